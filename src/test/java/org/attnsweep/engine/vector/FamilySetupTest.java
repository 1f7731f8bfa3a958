package org.attnsweep.engine.vector;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Precision;
import org.attnsweep.model.Weights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The two set-up paths of the vector engine agree: a run of a family (generated data: the family's
 * unit projections sliced and scaled by ‖μ‖, shared evaluation rows) and the same run with its
 * family stripped (as data read from files: its own tokens projected directly, the probes as extra
 * evaluation rows). Over 40 steps every loss, every metric and the rebuilt weights must agree.
 */
class FamilySetupTest {
    /** float64: the two paths differ only in rounding order (μ·(W e) against W(μ e)). */
    private static final double ATOL64 = 1e-11, RTOL64 = 1e-9;
    /** float32: the same difference at float32 rounding, amplified a little by 40 steps. */
    private static final double ATOL32 = 2e-5, RTOL32 = 2e-4;
    private static final int STEPS = 40;

    @ParameterizedTest
    @EnumSource(Precision.class)
    void familyAndDirectSetUpAgree(Precision precision) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        double atol = precision == Precision.FLOAT64 ? ATOL64 : ATOL32, rtol = precision == Precision.FLOAT64 ? RTOL64 : RTOL32;
        for (int[] shape : new int[][] {{13, 2, 7, 5}, {24, 3, 16, 17}, {33, 5, 9, 3}}) {
            List<RunData> fam = Fixtures.mixedBatch(rnd, shape[0], shape[1], shape[2], shape[3], 4);
            List<RunData> own = new ArrayList<>();
            for (RunData r : fam) {
                assertNotNull(r.family());
                own.add(new RunData(r.config(), r.train(), r.test(), r.muPos(), r.muNeg(), r.init()));
                assertNull(own.get(own.size() - 1).family());
            }
            VectorEngine engine = new VectorEngine(precision, 1);
            try (EngineBatch a = engine.open(fam); EngineBatch b = engine.open(own)) {
                int R = fam.size();
                boolean[] all = new boolean[R];
                java.util.Arrays.fill(all, true);
                double[] la = new double[R], lb = new double[R];
                double[][] ma = new double[R][Metric.COUNT], mb = new double[R][Metric.COUNT];
                String ctx = precision + " shape " + java.util.Arrays.toString(shape) + Fixtures.tag(seed);
                for (int t = 0; t <= STEPS; t++) {
                    if (t % 10 == 0) {
                        a.metrics(all, ma);
                        b.metrics(all, mb);
                        for (int r = 0; r < R; r++) {
                            for (Metric m : Metric.values()) {
                                int rr = r, tt = t;
                                Fixtures.assertClose(mb[r][m.ordinal()], ma[r][m.ordinal()], atol, rtol,
                                        () -> "run " + rr + " step " + tt + " " + m.column() + " " + ctx);
                            }
                        }
                    }
                    if (t == STEPS) break;
                    a.step(all, la);
                    b.step(all, lb);
                    for (int r = 0; r < R; r++) {
                        int rr = r, tt = t;
                        Fixtures.assertClose(lb[r], la[r], atol, rtol, () -> "run " + rr + " loss at step " + tt + " " + ctx);
                    }
                }
                for (int r = 0; r < R; r++) {
                    Weights wa = a.weights(r), wb = b.weights(r);
                    double[][] pa = {wa.WQ(), wa.WK(), wa.WV(), wa.wO()}, pb = {wb.WQ(), wb.WK(), wb.WV(), wb.wO()};
                    for (int k = 0; k < 4; k++) {
                        for (int i = 0; i < pa[k].length; i++) {
                            int rr = r, kk = k, ii = i;
                            Fixtures.assertClose(pb[k][i], pa[k][i], atol, rtol, () -> "run " + rr + " weight block " + kk + "[" + ii + "] " + ctx);
                        }
                    }
                }
            }
        }
    }
}
