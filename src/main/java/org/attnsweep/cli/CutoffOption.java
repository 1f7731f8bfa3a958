package org.attnsweep.cli;

import picocli.CommandLine.Option;

/** The boundary fit's cutoff, shared by sweep, merge and aggregate. */
final class CutoffOption {
    @Option(names = "--cutoff", defaultValue = "0.2",
            description = "boundary fit: a cell is benign when its mean test loss exceeds the Bayes loss H(p) by less than this (default ${DEFAULT-VALUE})")
    double cutoff;

    /** The cutoff, refused unless finite and positive. */
    double value() {
        if (!(cutoff > 0) || !Double.isFinite(cutoff)) throw new IllegalArgumentException("--cutoff must be finite and > 0: got " + cutoff);
        return cutoff;
    }
}
