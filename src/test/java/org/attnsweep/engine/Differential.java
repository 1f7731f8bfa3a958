package org.attnsweep.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.data.TokenSet;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Weights;

/**
 * The comparison the differential tests share (EngineDifferentialTest, DirectFormTest): one batch
 * stepped on two engines, the reference and a fast one, or two fast ones, side by side — every
 * per-step training loss, every metric (each head's too, and the run's as the sum or mean of its
 * heads') every {@code eval} steps and at the last, then the final weights — each within
 * atol + allowance + rtol·|ref| ({@link Fixtures#assertClose}). The tolerances are the callers',
 * with the reasons for their sizes written there.
 */
public final class Differential {
    /** How far (in tolerances) an update path must move the reference weights, or an engine that skipped it would pass. */
    public static final double MOVED = 10;

    /**
     * |got − ref| ≤ atol + rtol·|ref| for every value but the qk metrics, which take qkAtol as their
     * atol (means of q·k over m_k terms that cancel); marginAmbiguity: a sample whose reference f
     * lies this close to 0 may be classified either way, so error rates may differ by such samples.
     */
    public record Tol(double atol, double rtol, double marginAmbiguity, double qkAtol) {
        /** The qk metrics at the same atol as the rest. */
        public Tol(double atol, double rtol, double marginAmbiguity) {
            this(atol, rtol, marginAmbiguity, atol);
        }

        double atol(Metric m) {
            return switch (m) {
                case QK_SS, QK_SN, QK_NS, QK_NN -> qkAtol;
                default -> atol;
            };
        }
    }

    /**
     * An absolute allowance added to the tolerance's atol, per compared value: the loss of run r at
     * step t, metric column i (i < Metric.width(H)) of run r at the evaluation after t steps, entry
     * i of weight k (W_Q, W_K, W_V, w_O) of run r at the end. {@link #NONE} for a tolerance that
     * stands on its own.
     */
    public interface Allowance {
        Allowance NONE = new Allowance() {
        };

        default double loss(int t, int r) {
            return 0;
        }

        default double metric(int t, int r, int i) {
            return 0;
        }

        default double weight(int r, int k, int i) {
            return 0;
        }
    }

    /** Which of the reference's weights must have moved from W(0) by more than {@link #MOVED} tolerances. */
    public enum Moved {
        /**
         * W_V in every run; W_Q, W_K and a trained w_O in at least one run of the batch (their
         * gradients can nearly cancel in one run: w_O with m_v = 1 is one number, seed
         * 659225776554452066 drew a run with label noise p = 0.34 whose w_O moved less).
         */
        EVERY_RUN_W_V,
        /**
         * Each of the four in at least one run of the batch: at 100 steps a random problem may leave
         * one run's w_O (seed -5031521942716461568, d = 3, m_v = 1, p = 0.41) or its W_V (seed
         * 2304825767201849456) nearly still.
         */
        SOME_RUN,
        /** Not checked: two fast engines against each other, each checked against the reference apart. */
        NOT_CHECKED
    }

    private Differential() {
    }

    /** The four weights of w in the allowance's order k: W_Q, W_K, W_V, w_O. */
    public static double[][] parts(Weights w) {
        return new double[][] {w.WQ(), w.WK(), w.WV(), w.wO()};
    }

    /** A row of metrics per run, each Metric.width(H) long: runs of H > 1 heads ask for each head's values too, as the trainer does. */
    public static double[][] metricRows(List<RunData> runs) {
        double[][] rows = new double[runs.size()][];
        for (int r = 0; r < rows.length; r++) rows[r] = new double[Metric.width(runs.get(r).config().heads())];
        return rows;
    }

    private static final String[] NAMES = {"W_Q", "W_K", "W_V", "w_O"};

    /**
     * {@code got} against {@code ref}, both opened on {@code runs}, over {@code steps} steps: losses
     * every step, metrics every {@code eval} steps and after the last, then the final weights, and
     * the weights' moves as {@code moved} asks.
     */
    public static void compare(EngineBatch ref, EngineBatch got, List<RunData> runs, int steps, int eval, Tol tol, Allowance allow, Moved moved,
                               String ctx) {
        int R = runs.size();
        boolean[] all = new boolean[R];
        java.util.Arrays.fill(all, true);
        double[] lRef = new double[R], lGot = new double[R];
        double[][] mRef = metricRows(runs), mGot = metricRows(runs);
        for (int t = 0; t <= steps; t++) {
            if (t % eval == 0 || t == steps) {
                ref.metrics(all, mRef);
                got.metrics(all, mGot);
                for (int r = 0; r < R; r++) {
                    int rr = r, tt = t;
                    java.util.function.IntToDoubleFunction extra = i -> allow.metric(tt, rr, i);
                    String at = ctx + " run " + r + " step " + t;
                    compareMetrics(runs.get(r), ref.weights(r), mRef[r], mGot[r], tol, extra, at);
                    compareHeads(runs.get(r).config().heads(), mRef[r], mGot[r], tol, extra, at);
                }
            }
            if (t == steps) break;
            ref.step(all, lRef);
            got.step(all, lGot);
            for (int r = 0; r < R; r++) {
                int rr = r, tt = t;
                assertTrue(Double.isFinite(lRef[r]), "reference loss not finite: the test problem is badly chosen; run " + r + " " + ctx);
                Fixtures.assertClose(lRef[r], lGot[r], tol.atol() + allow.loss(t, r), tol.rtol(), () -> "training loss, run " + rr + " step " + tt + " " + ctx);
            }
        }
        double[] most = {0, 0, 0, -1};   // the largest move of W_Q, W_K, W_V, w_O over the runs; w_O's stays −1 when no run trains it
        for (int r = 0; r < R; r++) {
            String where = " run " + r + " after " + steps + " steps " + runs.get(r).config() + " " + ctx;
            Weights w0 = runs.get(r).init(), wRef = ref.weights(r), wGot = got.weights(r);
            double[][] a = parts(wRef), b = parts(wGot), start = parts(w0);
            for (int k = 0; k < 4; k++) {
                if (k == 3 && !runs.get(r).config().trainWo()) continue;
                double m = moved(start[k], a[k], tol);
                most[k] = Math.max(most[k], m);
                if (k == 2 && moved == Moved.EVERY_RUN_W_V) assertTrue(m > MOVED, "W_V barely moved (" + m + " tolerances):" + where);
            }
            assertEquals(wRef.d(), wGot.d(), "d" + where);
            for (int k = 0; k < 4; k++) {
                assertEquals(a[k].length, b[k].length, NAMES[k] + " length" + where);
                for (int i = 0; i < a[k].length; i++) {
                    int kk = k, ii = i;
                    Fixtures.assertClose(a[k][i], b[k][i], tol.atol() + allow.weight(r, k, i), tol.rtol(), () -> NAMES[kk] + "[" + ii + "]" + where);
                }
            }
        }
        if (moved == Moved.NOT_CHECKED) return;
        assertTrue(most[0] > MOVED && most[1] > MOVED, "W_Q or W_K barely moved in every run (" + most[0] + ", " + most[1] + " tolerances): " + ctx);
        assertTrue(most[2] > MOVED, "W_V barely moved in every run (" + most[2] + " tolerances): " + ctx);
        assertTrue(most[3] < 0 || most[3] > MOVED, "w_O barely moved in every run that trains it (" + most[3] + " tolerances): " + ctx);
    }

    /** The largest move of any entry from a to b, in units of the tolerance at b. */
    private static double moved(double[] a, double[] b, Tol tol) {
        double w = 0;
        for (int i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (tol.atol() + tol.rtol() * Math.abs(b[i])));
        return w;
    }

    private static void compareMetrics(RunData run, Weights wRef, double[] ref, double[] got, Tol tol, java.util.function.IntToDoubleFunction allow,
                                       String ctx) {
        for (Metric m : Metric.values()) {
            int i = m.ordinal();
            switch (m) {
                case TRAIN_ERROR -> compareError(run.train(), wRef, ref[i], got[i], tol, m, ctx);
                case TEST_ERROR, TEST_ERROR_CLEAN -> compareError(run.test(), wRef, ref[i], got[i], tol, m, ctx);
                default -> Fixtures.assertClose(ref[i], got[i], tol.atol(m) + allow.applyAsDouble(i), tol.rtol(), () -> m.column() + " " + ctx + " " + run.config());
            }
        }
    }

    /**
     * The combined metrics are each head's combined as docs/math.md §7 says, from the same numbers, so
     * they agree to float64 rounding of a sum of H per-sample means of O(1) values (~1e-15 relative):
     * 1e-12 leaves a 1000× margin, and a head left out or counted twice is off by O(1/H).
     */
    private static final double HEADS_SUM_ATOL = 1e-12, HEADS_SUM_RTOL = 1e-12;

    /**
     * With H > 1 heads: each head's values against the reference's with the metrics' tolerance, and
     * in both engines the run's metric against the sum (v_*) or mean (attn_*, qk_*) of its heads'.
     * A missing head's values (left zero) fail the first check wherever the reference's are not.
     */
    private static void compareHeads(int H, double[] ref, double[] got, Tol tol, java.util.function.IntToDoubleFunction allow, String ctx) {
        assertEquals(Metric.width(H), got.length, ctx);
        if (H == 1) return;
        for (int i = 0; i < Metric.PER_HEAD.size(); i++) {
            Metric m = Metric.PER_HEAD.get(i);
            for (int h = 0; h < H; h++) {
                int j = Metric.headIndex(h, i), hh = h;
                Fixtures.assertClose(ref[j], got[j], tol.atol(m) + allow.applyAsDouble(j), tol.rtol(), () -> m.column() + " of head " + hh + " " + ctx);
            }
            for (double[] v : new double[][] {ref, got}) {
                double sum = 0, abs = 0;
                for (int h = 0; h < H; h++) {
                    sum += v[Metric.headIndex(h, i)];
                    abs += Math.abs(v[Metric.headIndex(h, i)]);
                }
                boolean summed = m.column().startsWith("v_");
                double combined = summed ? sum : sum / H;
                // The bound scales with the heads' magnitudes, not the combined value's (which may cancel).
                Fixtures.assertClose(combined, v[m.ordinal()], HEADS_SUM_ATOL + HEADS_SUM_RTOL * abs / (summed ? 1 : H), 0,
                        () -> m.column() + " is not the " + (summed ? "sum" : "mean") + " of its heads' " + (v == ref ? "(reference) " : "") + ctx);
            }
        }
    }

    /**
     * Error rates are counts: a sample whose reference margin f is within rounding of 0 may
     * legitimately land on the other side, so the counts may differ by at most the number of
     * such samples (usually none).
     */
    private static void compareError(TokenSet set, Weights wRef, double ref, double got, Tol tol, Metric m, String ctx) {
        Projected[] pr = Projected.heads(wRef, set.tokens());
        int ambiguous = 0;
        for (int n = 0; n < set.N(); n++) {
            if (Math.abs(Metrics.forward(set, n, pr, null)) <= tol.marginAmbiguity()) ambiguous++;
        }
        long diff = Math.round(Math.abs(ref - got) * set.N());
        assertTrue(diff <= ambiguous, m.column() + ": reference " + ref + ", engine " + got + " differ by " + diff
                + " samples; only " + ambiguous + " have |f| <= " + tol.marginAmbiguity() + "; " + ctx);
    }
}
