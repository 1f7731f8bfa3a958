package org.attnsweep.engine.reference;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.data.TokenSet;
import org.attnsweep.model.InitScheme;
import org.attnsweep.model.LabelMode;
import org.attnsweep.model.Loss;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.SignalBasis;
import org.attnsweep.model.Weights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * docs/math.md §3's closed-form gradients ({@link ReferenceEngine#gradients}) against central finite
 * differences of {@link ReferenceEngine#loss}, entry by entry, in float64, for every loss of
 * docs/math.md §8 (the hinge away from its kink: a draw with a margin within {@link #KINK} of 1 is
 * drawn again) with one head, and with H ∈ {2, 3} heads (§7) under a loss that rotates with the
 * shape, each head's blocks checked on their own.
 */
class ReferenceGradientTest {
    /** FD step: balances truncation h²·|L'''|/6 ≈ 1e-10 against rounding ε·L/h ≈ 1e-11. */
    private static final double H = 1e-5;
    /** Absolute slack: the FD error above, with a 10–100× margin. */
    private static final double ATOL = 1e-8;
    /** Relative slack: truncation grows with the entry's own curvature, roughly ∝ |gradient|. */
    private static final double RTOL = 1e-6;
    /**
     * Each block's largest gradient entry must exceed this, or a wrong block could hide under ATOL:
     * 1e4·ATOL makes an O(1) relative error in the block's largest entries visible.
     */
    private static final double MIN_SIGNAL = 1e4 * ATOL;
    /** Entries checked per block; larger blocks are sampled at random (indices from the seed). */
    private static final int MAX_ENTRIES = 120;
    /** The hinge's FD needs every margin y·f this far from its kink t = 1: 100× the largest move H causes there. */
    private static final double KINK = 1e-3;

    /** Every shape of {@link #shapes} with every loss at H = 1, and at H = 2 and 3 with a loss rotating over the shapes. */
    static Stream<Arguments> configs() {
        List<Arguments> shapes = shapes().toList();
        return java.util.stream.IntStream.range(0, shapes.size()).boxed().flatMap(k -> {
            Stream<Object[]> oneHead = Stream.of(Loss.values()).map(loss -> new Object[] {loss, 1});
            Stream<Object[]> moreHeads = Stream.of(2, 3).map(H -> new Object[] {Loss.values()[(k + H) % Loss.values().length], H});
            return Stream.concat(oneHead, moreHeads).map(lh -> {
                Object[] in = shapes.get(k).get(), out = java.util.Arrays.copyOf(in, in.length + 2);
                out[0] = in[0] + " " + ((Loss) lh[0]).key() + " H=" + lh[1];
                out[in.length] = lh[0];
                out[in.length + 1] = lh[1];
                return Arguments.of(out);
            });
        });
    }

    static Stream<Arguments> shapes() {
        // name, d, M, m_k, m_v, N, p, init, labels, signals, orthogonal noise
        return Stream.of(
                Arguments.of("M=2 theory p=0", 6, 2, 3, 4, 4, 0.0, InitScheme.THEORY, LabelMode.BALANCED, SignalBasis.AXIS, false),
                Arguments.of("M=2 torch p=0.3", 7, 2, 5, 3, 5, 0.3, InitScheme.TORCH, LabelMode.RADEMACHER, SignalBasis.RANDOM, false),
                Arguments.of("M=3 theory p=0.2 orthogonal", 9, 3, 4, 5, 6, 0.2, InitScheme.THEORY, LabelMode.RADEMACHER, SignalBasis.RANDOM, true),
                Arguments.of("M=5 torch p=0.1", 8, 5, 3, 3, 3, 0.1, InitScheme.TORCH, LabelMode.BALANCED, SignalBasis.AXIS, true),
                Arguments.of("M=4 theory m_v=1", 5, 4, 1, 1, 7, 0.4, InitScheme.THEORY, LabelMode.BALANCED, SignalBasis.AXIS, false),
                Arguments.of("M=3 torch large (sampled)", 33, 3, 13, 17, 5, 0.25, InitScheme.TORCH, LabelMode.RADEMACHER, SignalBasis.RANDOM, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void closedFormMatchesCentralDifferences(String name, int d, int M, int mk, int mv, int N, double p, InitScheme init,
                                             LabelMode labels, SignalBasis signals, boolean orthogonal, Loss loss, int heads) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        RunSpec s = Fixtures.smallSpec(rnd, d, M, mk, mv, N);
        s.p = p;
        s.init = init;
        s.labels = labels;
        s.signals = signals;
        s.orthogonalNoise = orthogonal;
        s.loss = loss;
        s.heads = heads;
        // Weights of order one, so softmax is far from uniform and every block has a real gradient.
        s.sigma0 = Fixtures.uniform(rnd, 0.5, 1.0);
        s.sigmaV = Fixtures.uniform(rnd, 0.5, 1.0);
        s.sigmaO = Fixtures.uniform(rnd, 0.5, 1.0);
        s.initDivisor = Fixtures.uniform(rnd, 0.3, 0.6);
        s.mu = Fixtures.uniform(rnd, 1.0, 2.0);
        // A draw can leave a tiny block (m_k = m_v = 1 with a saturated softmax): draw again until
        // every block has a gradient large enough for the comparison to mean something.
        RunData data = hingeAcrossKink(Fixtures.data(s), loss);
        ReferenceEngine.Gradients g = ReferenceEngine.gradients(data.init(), data.train(), loss, null);
        for (int attempt = 1; attempt < 20 && !(allAbove(g, heads, MIN_SIGNAL) && offKink(data, loss)); attempt++) {
            s.seed = rnd.nextLong();
            data = hingeAcrossKink(Fixtures.data(s), loss);
            g = ReferenceEngine.gradients(data.init(), data.train(), loss, null);
        }
        assertTrue(offKink(data, loss), "no draw in 20 kept every margin off the hinge's kink" + tag(seed));
        TokenSet train = data.train();
        Weights w = data.init();
        String ctx = name + " " + data.config() + tag(seed);

        for (int h = 0; h < heads; h++) {
            check("W_Q head " + h, w, w.WQ(), g.WQ(), h, heads, train, loss, rnd, ctx);
            check("W_K head " + h, w, w.WK(), g.WK(), h, heads, train, loss, rnd, ctx);
            check("W_V head " + h, w, w.WV(), g.WV(), h, heads, train, loss, rnd, ctx);
            check("w_O head " + h, w, w.wO(), g.wO(), h, heads, train, loss, rnd, ctx);
        }
    }

    /**
     * For the hinge, w_O scaled (f is linear in it) so the largest |f| is 3: margins then fall on
     * both sides of the kink, and the flat side (ℓ′ = 0) is checked against FD too.
     */
    private static RunData hingeAcrossKink(RunData data, Loss loss) {
        if (loss != Loss.HINGE) return data;
        TokenSet train = data.train();
        org.attnsweep.engine.Projected[] pr = org.attnsweep.engine.Projected.heads(data.init(), train.tokens());
        double max = 0;
        for (int n = 0; n < train.N(); n++) max = Math.max(max, Math.abs(org.attnsweep.engine.Metrics.forward(train, n, pr, null)));
        Weights w = data.init().copy();
        for (int i = 0; i < w.wO().length; i++) w.wO()[i] *= 3 / max;
        return new RunData(data.config(), train, data.test(), data.muPos(), data.muNeg(), w);
    }

    /** Whether every training margin y·f is at least KINK from the hinge's kink (always, for the smooth losses). */
    private static boolean offKink(RunData data, Loss loss) {
        if (loss != Loss.HINGE) return true;
        TokenSet train = data.train();
        org.attnsweep.engine.Projected[] pr = org.attnsweep.engine.Projected.heads(data.init(), train.tokens());
        for (int n = 0; n < train.N(); n++) {
            double t = train.y()[n] * org.attnsweep.engine.Metrics.forward(train, n, pr, null);
            if (Math.abs(t - 1) < KINK) return false;
        }
        return true;
    }

    /** Whether every block of every one of the heads (equal slices, head after head) has an entry above min. */
    private static boolean allAbove(ReferenceEngine.Gradients g, int heads, double min) {
        for (double[] block : new double[][] {g.WQ(), g.WK(), g.WV(), g.wO()}) {
            int n = block.length / heads;
            for (int h = 0; h < heads; h++) {
                double maxAbs = 0;
                for (int i = h * n; i < (h + 1) * n; i++) maxAbs = Math.max(maxAbs, Math.abs(block[i]));
                if (maxAbs <= min) return false;
            }
        }
        return true;
    }

    /**
     * Compares grad[i] with the central difference of L in entry i of {@code block}, head h's part
     * (the h-th of {@code heads} equal slices) of an array of w.
     */
    private static void check(String block, Weights w, double[] entries, double[] grad, int h, int heads, TokenSet train, Loss loss,
                              SplittableRandom rnd, String ctx) {
        int n = entries.length / heads, from = h * n;
        double maxAbs = 0;
        for (int i = from; i < from + n; i++) maxAbs = Math.max(maxAbs, Math.abs(grad[i]));
        assertTrue(maxAbs > MIN_SIGNAL, block + ": largest gradient entry " + maxAbs
                + " is too small for the check to mean anything; " + ctx);

        int count = Math.min(n, MAX_ENTRIES);
        for (int t = 0; t < count; t++) {
            int i = from + (n <= MAX_ENTRIES ? t : rnd.nextInt(n));
            double orig = entries[i];
            entries[i] = orig + H;
            double lp = ReferenceEngine.loss(w, train, loss);
            entries[i] = orig - H;
            double lm = ReferenceEngine.loss(w, train, loss);
            entries[i] = orig;
            double fd = (lp - lm) / (2 * H);
            int ii = i;
            Fixtures.assertClose(fd, grad[i], ATOL, RTOL, () -> block + "[" + ii + "] closed form vs FD; " + ctx);
        }
    }
}
