package org.attnsweep.train;

import java.util.List;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.Weights;

/**
 * What one run produced.
 *
 * @param config        the run's config
 * @param stopStep      the step at which it stopped (GD updates applied before it)
 * @param reachedTarget it stopped because its training loss fell below the target
 * @param diverged      its training loss became non-finite, or a final loss or error did (recorded and flagged, never dropped)
 * @param overflowed    the final losses and errors that came out non-finite while its training loss stayed finite
 *                      (its evaluation overflowed the engine's precision); empty otherwise
 * @param finalMetrics  docs/math.md §5 metrics at the stop step
 * @param curve         recorded rows: {@code [step, metrics...]}
 * @param headCurve     with H > 1 heads, each head's recorded rows: {@code [step, head, values of
 *                      Metric.PER_HEAD...]}, H rows per row of {@code curve} in head order; empty with one head
 * @param finalWeights  weights at the stop step, when asked for
 */
public record RunResult(RunConfig config, int stopStep, boolean reachedTarget, boolean diverged, List<String> overflowed,
                        double[] finalMetrics, List<double[]> curve, List<double[]> headCurve, Weights finalWeights) {
}
