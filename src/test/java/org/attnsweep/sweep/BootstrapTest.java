package org.attnsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.attnsweep.model.Metric;
import org.junit.jupiter.api.Test;

/** The percentile bootstrap: numpy's quantiles, seeded (same input, same interval), narrowing as 1/√n, and none without repeats. */
class BootstrapTest {
    private static final long SEED = Long.getLong("attnsweep.seed", System.nanoTime());

    @Test
    void quantilesInterpolateLikeNumpy() {
        double[] v = {1, 2, 3, 4};
        assertEquals(1.075, Bootstrap.quantile(v, 0.025), 1e-12); // np.quantile([1,2,3,4], 0.025)
        assertEquals(3.925, Bootstrap.quantile(v, 0.975), 1e-12);
        assertEquals(2.5, Bootstrap.quantile(v, 0.5), 1e-12);
    }

    @Test
    void theIntervalOfAMeanIsSeededAndNarrowsAsOneOverRootN() {
        SplittableRandom rng = new SplittableRandom(SEED);
        double[] small = new double[25], large = new double[2500];
        for (int i = 0; i < small.length; i++) small[i] = rng.nextGaussian();
        for (int i = 0; i < large.length; i++) large[i] = rng.nextGaussian();
        Bootstrap.Interval a = Bootstrap.ofMean(small), b = Bootstrap.ofMean(large);
        assertEquals(a, Bootstrap.ofMean(small), "the same values give the same interval");
        double mean = java.util.Arrays.stream(small).average().orElseThrow();
        assertTrue(a.lo() < mean && mean < a.hi(), "seed " + SEED + ": " + a + " around " + mean);
        // 95% of a mean of n unit normals spans about 2·1.96/√n: 0.78 at n = 25, 0.078 at n = 2500
        double ratio = (a.hi() - a.lo()) / (b.hi() - b.lo());
        assertTrue(ratio > 6 && ratio < 15, "seed " + SEED + ": width ratio " + ratio + ", expected about 10");
    }

    @Test
    void cellsWithoutRepeatsHaveNoInterval() {
        List<Aggregate.Cell> cells = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            cells.add(new Aggregate.Cell(Map.of("N", Integer.toString(i)), List.of(new Aggregate.Run(i, new double[Metric.COUNT], false, 1))));
        }
        assertFalse(Bootstrap.of(cells, c -> c.size()).known());
    }

    /** The fit's line on stdout says in words what a fit lacks; NaN was printed (audit s21: an all-diverged sweep). */
    @Test
    void aFitWithoutPointsIntervalOrR2IsDescribedInWords() {
        double nan = Double.NaN;
        assertEquals("boundary: N*SNR^2 = C with no C (no N has a cell within the cutoff) (no R^2, 0 points, excess test-loss cutoff 0.200)\n",
                Aggregate.describe(List.of(new Aggregate.Fit(Map.of(), nan, nan, 0, nan, nan)), 0.2));
        assertEquals("boundary: N*SNR^2 = C with C = 0.2500 (no interval) (no R^2, 1 point, excess test-loss cutoff 0.200)\n",
                Aggregate.describe(List.of(new Aggregate.Fit(Map.of(), 0.25, nan, 1, nan, nan)), 0.2));
        assertEquals("boundary: N*SNR^2 = C with C = 12.50 [10.00, 15.00] (R^2 = 0.900, 3 points, excess test-loss cutoff 0.200)\n",
                Aggregate.describe(List.of(new Aggregate.Fit(Map.of(), 12.5, 0.9, 3, 10, 15)), 0.2));
    }
}
