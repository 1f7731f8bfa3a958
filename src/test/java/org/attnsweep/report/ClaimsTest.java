package org.attnsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.attnsweep.model.Metric;
import org.attnsweep.sweep.Aggregate;
import org.junit.jupiter.api.Test;

/**
 * Verdicts are computed, never written by hand: synthetic results built so that a claim must
 * come out "holds", and others built so that it must come out "differs".
 */
class ClaimsTest {
    private static final long SEED = Long.getLong("attnsweep.seed", System.nanoTime());

    /**
     * Paper A's heatmap grid (N 2..20 step 2 × ‖μ‖ 1..100, SNR = ‖μ‖ / 6.4) whose true boundary is
     * N·SNR² = trueC: a cell's runs have test loss about 0.01 on the benign side and about log 2
     * (chance) on the other, with a little noise per run.
     */
    static List<Aggregate.Cell> heatmap(double trueC, SplittableRandom rng) {
        List<Aggregate.Cell> cells = new ArrayList<>();
        for (int N = 2; N <= 20; N += 2) {
            for (int mu = 1; mu <= 100; mu++) {
                double snr = mu / 6.4;
                Map<String, String> cfg = new LinkedHashMap<>();
                cfg.put("N", Integer.toString(N));
                cfg.put("mu", Integer.toString(mu));
                cfg.put("snr", Double.toString(snr));
                cfg.put("p", "0");
                List<Aggregate.Run> runs = new ArrayList<>();
                for (int r = 0; r < 4; r++) {
                    double[] m = new double[Metric.COUNT];
                    m[Metric.TEST_LOSS.ordinal()] = (N * snr * snr >= trueC ? 0.01 : Math.log(2)) + 0.02 * rng.nextDouble();
                    runs.add(new Aggregate.Run(r, m, false, 10));
                }
                cells.add(new Aggregate.Cell(cfg, runs));
            }
        }
        return cells;
    }

    @Test
    void aBoundaryHoldsNear1000AndDiffersFarFromIt() {
        SplittableRandom rng = new SplittableRandom(SEED);
        Claims.Claim holds = Claims.boundaryA(heatmap(1000, rng), 0.2);
        assertEquals(Claims.Verdict.HOLDS, holds.verdict(), "seed " + SEED + ": " + holds);
        assertTrue(holds.mean() > 700 && holds.mean() < 1400, "the fit finds the planted C: " + holds);
        assertTrue(holds.lo() <= holds.mean() && holds.mean() <= holds.hi(), "an interval around it: " + holds);

        Claims.Claim differs = Claims.boundaryA(heatmap(100, rng), 0.2);
        assertEquals(Claims.Verdict.DIFFERS, differs.verdict(), "seed " + SEED + ": " + differs);
        assertTrue(differs.why().contains("rule: holds within a factor 2"), differs.why());

        // nothing below the cutoff: no C, so the claim cannot be measured
        Claims.Claim none = Claims.boundaryA(heatmap(1e9, rng), 0.2);
        assertEquals(Claims.Verdict.NOT_MEASURABLE, none.verdict(), none.toString());
    }

    @Test
    void aDirectionHoldsOnlyWhenTheWholeIntervalIsOnItsSide() {
        SplittableRandom rng = new SplittableRandom(SEED);
        Claims.About a = new Claims.About("x", "A", "Fig. 3", "attention moves to the signal token", "");
        double[] up = new double[20], down = new double[20], flat = new double[20];
        for (int i = 0; i < 20; i++) {
            up[i] = 0.3 + 0.05 * rng.nextGaussian();
            down[i] = -0.3 + 0.05 * rng.nextGaussian();
            flat[i] = (i % 2 == 0 ? 1 : -1) * (0.5 + 0.05 * rng.nextDouble());
        }
        assertEquals(Claims.Verdict.HOLDS, Claims.direction(a, up, 1, "change").verdict(), "seed " + SEED);
        assertEquals(Claims.Verdict.DIFFERS, Claims.direction(a, down, 1, "change").verdict(), "seed " + SEED);
        assertEquals(Claims.Verdict.DIFFERS, Claims.direction(a, flat, 1, "change").verdict(), "an interval across 0, seed " + SEED);
        assertEquals(Claims.Verdict.NOT_MEASURABLE, Claims.direction(a, new double[] {1}, 1, "change").verdict(), "one run");
    }

    @Test
    void bBenignErrorHoldsNearPAndDiffersAwayFromIt() {
        SplittableRandom rng = new SplittableRandom(SEED);
        Claims.About a = new Claims.About("B-benign-error-p0.1", "B", "Fig. 1", "test error tends to p", "0.1");
        double[] near = new double[10], far = new double[10];
        for (int i = 0; i < 10; i++) {
            near[i] = 0.1 + 0.02 * rng.nextGaussian();
            far[i] = 0.3 + 0.02 * rng.nextGaussian();
        }
        assertEquals(Claims.Verdict.HOLDS, Claims.near(a, near, 0.1, Claims.ERROR_TOLERANCE, "test error").verdict(), "seed " + SEED);
        assertEquals(Claims.Verdict.DIFFERS, Claims.near(a, far, 0.1, Claims.ERROR_TOLERANCE, "test error").verdict(), "seed " + SEED);
    }

    @Test
    void spearmanIsOneForAMonotoneSeriesAndMinusOneReversed() {
        double[] x = {1, 2, 3, 4, 5}, y = {0.1, 0.5, 0.6, 2, 9};
        assertEquals(1, Claims.spearman(x, y), 1e-12);
        assertEquals(-1, Claims.spearman(x, new double[] {9, 2, 0.6, 0.5, 0.1}), 1e-12);
    }

    @Test
    void claimsCsvQuotesFieldsWithCommas() {
        Claims.Claim c = new Claims.About("id", "A", "Fig. 1", "a, b", "").with(1, 0.5, 2, Claims.Verdict.HOLDS, "say \"so\"");
        assertEquals("id,paper,figure,statement,paper_value,ours_mean,ours_lo,ours_hi,verdict,why\nid,A,Fig. 1,\"a, b\",,1,0.5,2,holds,\"say \"\"so\"\"\"\n",
                Claims.csv(List.of(c)));
    }
}
