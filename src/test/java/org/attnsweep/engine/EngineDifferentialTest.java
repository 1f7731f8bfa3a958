package org.attnsweep.engine;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.data.TokenSet;
import org.attnsweep.engine.Differential.Tol;
import org.attnsweep.engine.reference.ReferenceEngine;
import org.attnsweep.model.Loss;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The differential test of every fast engine ({@link EngineCase}: vector float32/float64 × 1/2
 * threads, cuda where it loads) against the reference engine (direct GD in float64, docs/math.md §3), on
 * random mixed batches with a fresh seed per test (printed on failure; -Dattnsweep.seed replays):
 * every per-step training loss, every metric every {@link #EVAL} steps, and the final weights
 * rebuilt as W(0) + A Tᵀ. Small shapes cover M = 2 and M > 2 and widths around a vector's lanes;
 * cuda also runs a real shape (M = 16, m_k and m_v ≥ 128 so its GEMMs have several tiles and
 * attention several chunks, N up to 20 mixed in one batch so padding and per-run sizes matter).
 */
class EngineDifferentialTest {
    private static final int STEPS = 100;
    /**
     * A real shape costs ~100× a small one per step (and the emulated driver runs it on the CPU in
     * CI): fewer steps, still enough for every update path to move the weights past the tolerance.
     */
    private static final int REAL_STEPS = 8;
    private static final int EVAL = 10;
    private static final int R = 4;

    /** d, M, m_k, m_v: M = 2 and M > 2; widths below, at and just past a 16-float vector. */
    private static final int[][] SHAPES = {
            {8, 2, 4, 4}, {13, 3, 7, 1}, {17, 4, 13, 3}, {33, 2, 16, 17}, {40, 5, 3, 16}, {21, 7, 17, 33},
            {7, 2, 1, 13}, {16, 3, 33, 7}};
    /**
     * One real shape for cuda, drawn: d, M = 16, m_k and m_v ≥ 128 (two or three 64-wide GEMM tiles,
     * not always a multiple of one), and the largest N in 17..20 (run 0 has it; the others are
     * drawn below it, so one batch mixes N).
     */
    private static int[] realShape(SplittableRandom rnd) {
        return new int[] {96 + rnd.nextInt(65), 16, 128 + rnd.nextInt(65), 128 + rnd.nextInt(65), 17 + rnd.nextInt(4)};
    }

    /**
     * Tolerances per precision, |got − ref| ≤ atol + rtol·|ref|. float64: both engines do the same
     * math in a different order (span vs direct), so rounding differences of ~1e-16 per operation,
     * amplified by 100 steps of GD on well-conditioned problems, measure ≤ 1e-13: 1e-11 leaves a 100×
     * margin and still catches any float32 leak into the float64 path (1e-7). float32: the inputs
     * themselves are rounded to 6e-8 relative and every step rounds again; measured worst
     * differences over many seeds are ≤ 1e-5 relative, so 1e-4 leaves a ≥ 10× margin while any
     * formula error shows up at 1e-2 or more. atol is rtol/10: the smallest compared values
     * (cancelling qk means, w_O entries) are O(0.1). marginAmbiguity: a sample whose reference f is
     * this close to 0 may be classified either way (≥ 100× the atol, as f is a mean of ~M² rounded
     * products). cuda (float32) at real shapes sums 128-wide dot products and 300-token GEMM rows
     * in another order than the vector engine: the same float32 tolerance holds there too.
     */
    static Tol tol(Precision p) {
        return p == Precision.FLOAT64 ? F64 : F32;
    }

    static final Tol F64 = new Tol(1e-12, 1e-11, 1e-9);
    static final Tol F32 = new Tol(1e-5, 1e-4, 1e-3);

    static Stream<EngineCase> engines() {
        return EngineCase.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void matchesReference(EngineCase c) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        Tol tol = tol(c.precision());
        c.with(engine -> {
            List<int[]> shapes = new ArrayList<>(List.of(SHAPES));
            if (c.cuda()) shapes.add(realShape(rnd));
            for (int[] sh : shapes) {
                boolean real = sh.length > 4;
                List<RunData> runs = real ? Fixtures.mixedBatch(rnd, sh[0], sh[1], sh[2], sh[3], R, sh[4])
                        : Fixtures.mixedBatch(rnd, sh[0], sh[1], sh[2], sh[3], R);
                againstReference(engine, runs, real ? REAL_STEPS : STEPS, tol, shape(sh) + " N=" + Ns(runs) + tag(seed));
            }
        });
    }

    /** Batches per engine drawn for the heads test: each a random shape of {@link #SHAPES} with H = 2 or 3. */
    private static final int HEAD_BATCHES = 4;

    /**
     * H ∈ {2, 3} heads (docs/math.md §7), every engine against the reference over {@link #STEPS} steps
     * on random shapes with fresh seeds, with the one-head test's tolerances: each head is one
     * head's arithmetic, and f sums H of them (cuda: H slots of the batch per run, kernels/heads_sum.cu).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void headsMatchReference(EngineCase c) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        Tol tol = tol(c.precision());
        c.with(engine -> {
            for (int b = 0; b < HEAD_BATCHES; b++) {
                int[] sh = SHAPES[rnd.nextInt(SHAPES.length)];
                int H = 2 + b % 2;
                List<RunData> runs = Fixtures.mixedBatch(rnd, sh[0], sh[1], sh[2], sh[3], R, 10, H);
                againstReference(engine, runs, STEPS, tol, " H=" + H + shape(sh) + " N=" + Ns(runs) + tag(seed));
            }
        });
    }

    static Stream<EngineCase> enginesWithDirect() {
        return EngineCase.allWithDirect();
    }

    /**
     * A hinge run whose reference margin y·f comes this close to the kink t = 1 may take the other
     * side of it in float32 (margins carry ~1e-6 relative rounding; 100× that), where ℓ′ jumps by 1
     * and the engines legitimately part: such a draw is drawn again (float32 only; float64's
     * rounding, ~1e-14, never meets it).
     */
    private static final double HINGE_KINK = 1e-4;

    /**
     * Every loss of docs/math.md §8, mini-batch SGD and 1..3 heads (§7) against the reference, on the small shapes: each
     * batch holds one run of each loss (in a drawn order), N drawn in 4..12, and half its runs take
     * a drawn B in [1, N) (full batch the other half), w_O learnable or not at random. The vector
     * engine runs in both forms (forced direct as well as its own choice), cuda in span.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("enginesWithDirect")
    void everyLossAndMiniBatchMatchesReference(EngineCase c) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        Tol tol = tol(c.precision());
        int[] hingePast = {0};
        c.with(engine -> {
            for (int i = 0; i < SHAPES.length; i++) {
                int[] sh = SHAPES[i];
                int H = 1 + i % 3;   // every H of 1..3 on several shapes
                List<RunData> runs = lossBatch(rnd, sh, H);
                for (int attempt = 1; attempt < 20 && tol == F32 && hingeMargins(runs) < 0; attempt++) runs = lossBatch(rnd, sh, H);
                int past = hingeMargins(runs);
                assertTrue(tol != F32 || past >= 0, "every draw brought a hinge margin near its kink" + tag(seed));
                hingePast[0] += Math.max(past, 0);
                againstReference(engine, runs, STEPS, tol, shape(sh) + " runs=" + runs.stream().map(r -> r.config().loss().key()
                        + " N=" + r.config().N() + " B=" + r.config().batchSize() + " H=" + r.config().heads()).toList() + tag(seed));
            }
        });
        // The hinge's flat side (ℓ′ = 0 past the kink) must have been trained through, or a wrong
        // branch there would pass.
        assertTrue(hingePast[0] > 0, "no hinge margin ever passed 1: its zero branch went untested" + tag(seed));
    }

    /**
     * R runs of shape sh: one of each loss in a drawn order, N in 4..12, half with a drawn B in [1, N),
     * all with H heads (a cuda batch holds one H, as the sweeper groups them); the test gives each
     * shape its H in turn, so every loss meets every H in 1..3 with and without mini-batches.
     */
    private static List<RunData> lossBatch(SplittableRandom rnd, int[] sh, int H) {
        List<Loss> losses = new ArrayList<>(List.of(Loss.values()));
        java.util.Collections.shuffle(losses, new java.util.Random(rnd.nextLong()));
        List<RunData> runs = new ArrayList<>();
        for (int r = 0; r < R; r++) {
            int N = 4 + rnd.nextInt(9);
            RunSpec s = Fixtures.smallSpec(rnd, sh[0], sh[1], sh[2], sh[3], N);
            s.loss = losses.get(r % losses.size());
            // The squared loss curves 8× as much as the logistic at its steepest (ℓ″ = 2 against
            // 1/4): at smallSpec's η some draws sit past GD's stability edge, where a direction's
            // error grows several-fold a step (seed -2066019377711470687: ×6 a step from step 66
            // in every float32 engine alike), so no engine can track the reference. η/8 keeps its
            // runs as stable as the logistic ones.
            if (s.loss == Loss.SQUARED) s.lr /= 8;
            s.batchSize = rnd.nextBoolean() ? 1 + rnd.nextInt(N - 1) : null;
            s.heads = H;
            s.trainWo = rnd.nextBoolean();
            runs.add(Fixtures.data(s));
        }
        return runs;
    }

    /**
     * The hinge runs' reference training margins y·f over the steps compared: −1 when one comes
     * within {@link #HINGE_KINK} of 1, else how many (step, sample) pairs sit past the kink (ℓ′ = 0).
     */
    private static int hingeMargins(List<RunData> runs) {
        boolean[] hinge = new boolean[R];
        for (int r = 0; r < R; r++) hinge[r] = runs.get(r).config().loss() == Loss.HINGE;
        double[] loss = new double[R];
        int past = 0;
        try (EngineBatch ref = new ReferenceEngine().open(runs)) {
            for (int t = 0; t <= STEPS; t++) {
                for (int r = 0; r < R; r++) {
                    if (!hinge[r]) continue;
                    TokenSet train = runs.get(r).train();
                    Projected[] pr = Projected.heads(ref.weights(r), train.tokens());
                    for (int n = 0; n < train.N(); n++) {
                        double margin = train.y()[n] * Metrics.forward(train, n, pr, null);
                        if (Math.abs(margin - 1) < HINGE_KINK) return -1;
                        if (margin > 1) past++;
                    }
                }
                if (t < STEPS) ref.step(hinge, loss);
            }
        }
        return past;
    }

    /** " d=… M=… m_k=… m_v=…" of a shape of {@link #SHAPES}, for messages. */
    private static String shape(int[] sh) {
        return " d=" + sh[0] + " M=" + sh[1] + " m_k=" + sh[2] + " m_v=" + sh[3];
    }

    private static List<Integer> Ns(List<RunData> runs) {
        return runs.stream().map(r -> r.config().N()).toList();
    }

    /** {@code runs} opened on the reference engine and on {@code engine}, compared over {@code steps} steps ({@link Differential#compare}): W_V must move in every run. */
    private static void againstReference(Engine engine, List<RunData> runs, int steps, Tol tol, String what) {
        try (EngineBatch ref = new ReferenceEngine().open(runs); EngineBatch got = engine.open(runs)) {
            Differential.compare(ref, got, runs, steps, EVAL, tol, Differential.Allowance.NONE, Differential.Moved.EVERY_RUN_W_V, engine.describe() + what);
        }
    }
}
