package org.attnsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.attnsweep.model.RunSpec;
import org.junit.jupiter.api.Test;

/**
 * RunConfig.evaluations (the test evaluations after step 0 that the FLOP count of scripts/heatmap-bench
 * charges) against the curve rows the store expects of a run: the same rows, less step 0's.
 */
class EvaluationCountTest {
    @Test
    void evaluationsAreTheCurveRowsAfterStepZero() {
        for (int every = 1; every <= 7; every++) {
            RunSpec s = new RunSpec();
            s.evalEvery = every;
            var c = s.build(0);
            for (int stop = 0; stop <= 30; stop++) {
                int e = every, t = stop;
                assertEquals(ResultStore.expectedCurveRows(stop, every) - 1, c.evaluations(stop),
                        () -> "eval-every " + e + ", stop step " + t);
            }
        }
    }
}
