package org.attnsweep.cli;

import org.attnsweep.sweep.Plan;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The cap on a plan's runs, shared by train and sweep: a plan over it is refused before it is expanded. */
final class MaxRunsOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    private long maxRuns;

    @Option(names = "--max-runs", defaultValue = "" + Plan.Limits.MAX_RUNS, paramLabel = "<n>",
            description = "refuse a plan of more runs than this (default ${DEFAULT-VALUE}); raise it for a larger sweep")
    void maxRuns(long v) {
        if (v < 1) throw new ParameterException(mixee.commandLine(), "--max-runs must be >= 1: got " + v);
        maxRuns = v;
    }

    /** The plan limits: this cap and the memory a batch may use (described by {@code budget}). */
    Plan.Limits limits(long memoryBytes, String budget) {
        return new Plan.Limits(maxRuns, memoryBytes, budget);
    }
}
