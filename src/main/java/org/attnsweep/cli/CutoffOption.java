package org.attnsweep.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The boundary fit's cutoff, shared by sweep, merge and aggregate. It is checked as the command
 * line is parsed, so a bad cutoff stops a sweep (any shard of it) or a merge before any work.
 */
final class CutoffOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    private double cutoff;

    @Option(names = "--cutoff", defaultValue = "0.2",
            description = "boundary fit: a cell is benign when its mean test loss exceeds the Bayes loss H(p) by less than this (default ${DEFAULT-VALUE})")
    void cutoff(double v) {
        if (!(v > 0) || !Double.isFinite(v)) throw new ParameterException(mixee.commandLine(), "--cutoff must be finite and > 0: got " + v);
        cutoff = v;
    }

    /** The cutoff, finite and positive. */
    double value() {
        return cutoff;
    }
}
