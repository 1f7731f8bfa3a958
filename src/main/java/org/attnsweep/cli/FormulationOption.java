package org.attnsweep.cli;

import org.attnsweep.engine.Formulation;
import picocli.CommandLine.Option;

/** The GD formulation of the fast engines, shared by train and sweep; not part of a run's config (both forms give the same GD to rounding). */
final class FormulationOption {
    @Option(names = "--formulation", defaultValue = "auto",
            description = "span, direct, or auto: per batch, the one the cost model finds cheaper (default ${DEFAULT-VALUE}; the cuda engine runs span only)")
    String formulation;

    /** The formulation, refused unless auto, span or direct. */
    Formulation value() {
        return Formulation.parse(formulation);
    }
}
