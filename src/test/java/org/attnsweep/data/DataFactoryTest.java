package org.attnsweep.data;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.attnsweep.Fixtures;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Formulation;
import org.attnsweep.engine.reference.ReferenceEngine;
import org.attnsweep.engine.vector.VectorEngine;
import org.attnsweep.model.InitScheme;
import org.attnsweep.model.LabelMode;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.SignalBasis;
import org.attnsweep.model.Weights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The data and initial weights of docs/math.md §1–2: label flips, label balance, noise σ per position,
 * signal norms and orthogonality, orthogonal noise, common random numbers across N and the
 * independence of repeats and splits, and the spread of both init schemes.
 *
 * <p>Statistical checks allow {@link #Z} standard errors of the estimate under docs/math.md's
 * distribution (each derived where used); exact properties are checked bit for bit, or to a few
 * units of rounding where arithmetic is involved.
 */
class DataFactoryTest {
    /** Standard errors allowed per statistical check (false alarm ~6e-7 per check). */
    private static final double Z = 5;
    /** Rounding slack for properties exact in real arithmetic: a few ulps times the dimension (d ≤ 1000). */
    private static final double EXACT_RTOL = 1e-13;
    /** Orthogonal noise: |ξ·μ|/(‖ξ‖‖μ‖) after projection, rounding only (the brief's 1e-12). */
    private static final double ORTHO_TOL = 1e-12;

    private static RunSpec spec(SplittableRandom rnd, int d, int M, int N) {
        RunSpec s = Fixtures.smallSpec(rnd, d, M, 3, 3, N);
        s.testN = N;
        return s;
    }

    @Test
    void labelFlipRateIsP() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        RunSpec s = spec(rnd, 2, 2, 40_000);
        s.p = Fixtures.uniform(rnd, 0.02, 0.49);
        s.labels = rnd.nextBoolean() ? LabelMode.BALANCED : LabelMode.RADEMACHER;
        RunData data = Fixtures.data(s);
        for (TokenSet set : new TokenSet[] {data.train(), data.test()}) {
            int flips = 0;
            for (int n = 0; n < set.N(); n++) if (set.y()[n] != set.yClean()[n]) flips++;
            double rate = (double) flips / set.N();
            // Binomial(N, p) proportion: SE √(p(1−p)/N).
            Fixtures.assertClose(s.p, rate, Z * Math.sqrt(s.p * (1 - s.p) / set.N()), 0, () -> "flip rate, p=" + s.p + tag(seed));
        }
        s.p = 0;
        RunData clean = Fixtures.data(s);
        assertArrayEquals(clean.train().yClean(), clean.train().y(), "p = 0 must flip nothing" + tag(seed));
        assertArrayEquals(data.train().yClean(), clean.train().yClean(), "p must not change the true labels" + tag(seed));
    }

    @Test
    void balancedLabelsAreExactlyBalanced() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int rep = 0; rep < 20; rep++) {
            int N = 1 + rnd.nextInt(400);
            RunSpec s = spec(rnd, 2, 2, N);
            s.labels = LabelMode.BALANCED;
            s.p = Fixtures.uniform(rnd, 0, 0.4);
            RunData data = Fixtures.data(s);
            int pos = 0;
            for (int y : data.train().yClean()) pos += y > 0 ? 1 : 0;
            int nn = N, pp = pos;
            assertEquals(N / 2.0, pos, N % 2 == 0 ? 0 : 0.5, () -> "N=" + nn + ": " + pp + " positive true labels" + tag(seed));
        }
    }

    @Test
    void rademacherLabelsAreBalancedOnlyOnAverageAndIndependent() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int N = 40_000;
        RunSpec s = spec(rnd, 2, 2, N);
        s.labels = LabelMode.RADEMACHER;
        int[] y = Fixtures.data(s).train().yClean();
        int pos = 0, equalPairs = 0;
        for (int n = 0; n < N; n++) pos += y[n] > 0 ? 1 : 0;
        for (int n = 0; n + 1 < N; n += 2) equalPairs += y[n] == y[n + 1] ? 1 : 0;
        int count = pos, equal = equalPairs;
        // Binomial(N, ½): SE √N/2. Pairs (2k, 2k+1) agree with probability ½ (never, if labels were paired as BALANCED).
        Fixtures.assertClose(N / 2.0, pos, Z * Math.sqrt(N) / 2, 0, () -> count + " positives of " + N + tag(seed));
        Fixtures.assertClose(N / 4.0, equalPairs, Z * Math.sqrt(N / 2.0) / 2, 0, () -> equal + " equal pairs" + tag(seed));
    }

    @ParameterizedTest
    @EnumSource(SignalBasis.class)
    void noiseHasTheConfiguredSigmaPerPositionAndSignalsSitAtToken1(SignalBasis basis) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = 64, M = 4, N = 1500;
        RunSpec s = spec(rnd, d, M, N);
        s.signals = basis;
        for (int j = 0; j < M - 1; j++) s.sigma[j] = Fixtures.uniform(rnd, 0.05, 5);
        RunData data = Fixtures.data(s);
        for (TokenSet set : new TokenSet[] {data.train(), data.test()}) {
            for (int l = 1; l < M; l++) {
                double[] noise = new double[set.N() * d];
                for (int n = 0; n < set.N(); n++) {
                    int j = set.token(n, l);
                    assertTrue(j >= 2, "position " + l + " of sample " + n + " maps to signal token " + j + tag(seed));
                    for (int i = 0; i < d; i++) noise[n * d + i] = set.at(j, i);
                }
                checkNormal("noise position " + l, noise, s.sigma[l - 1], tag(seed));
            }
            for (int n = 0; n < set.N(); n++) {
                assertEquals(set.yClean()[n] > 0 ? 0 : 1, set.token(n, 0), "token 1 of sample " + n + " must be the signal of its true label" + tag(seed));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SignalBasis.class)
    void signalsHaveNormMuAndAreOrthogonal(SignalBasis basis) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int d : new int[] {2, 3, 17, 1000}) {
            RunSpec s = spec(rnd, d, 2, 3);
            s.signals = basis;
            s.mu = Fixtures.uniform(rnd, 0.1, 100);
            RunData data = Fixtures.data(s);
            double[] p = data.muPos(), m = data.muNeg();
            String ctx = basis + " d=" + d + " ‖μ‖=" + s.mu + tag(seed);
            if (basis == SignalBasis.AXIS) {
                double[] e1 = new double[d], e2 = new double[d];
                e1[0] = s.mu;
                e2[1] = s.mu;
                assertArrayEquals(e1, p, 0, "μ₊ = ‖μ‖e₁ exactly; " + ctx);
                assertArrayEquals(e2, m, 0, "μ₋ = ‖μ‖e₂ exactly; " + ctx);
            }
            Fixtures.assertClose(s.mu, DataFactory.norm(p), 0, EXACT_RTOL, () -> "‖μ₊‖; " + ctx);
            Fixtures.assertClose(s.mu, DataFactory.norm(m), 0, EXACT_RTOL, () -> "‖μ₋‖; " + ctx);
            Fixtures.assertClose(0, DataFactory.dot(p, m) / (s.mu * s.mu), EXACT_RTOL, 0, () -> "μ₊·μ₋/‖μ‖²; " + ctx);
            for (TokenSet set : new TokenSet[] {data.train(), data.test()}) {
                assertArrayEquals(p, Arrays.copyOfRange(set.tokens(), 0, d), 0, "token 0 is μ₊; " + ctx);
                assertArrayEquals(m, Arrays.copyOfRange(set.tokens(), d, 2 * d), 0, "token 1 is μ₋; " + ctx);
            }
        }
        if (basis == SignalBasis.RANDOM) {
            RunSpec s = spec(rnd, 50, 2, 3);
            s.signals = basis;
            RunConfig c = s.build(0);
            assertFalse(Arrays.equals(DataFactory.generate(c).muPos(), DataFactory.generate(c.withRepeat(1)).muPos()),
                    "random signals must differ between repeats" + tag(seed));
        }
    }

    @ParameterizedTest
    @EnumSource(SignalBasis.class)
    void orthogonalNoiseIsOrthogonalToBothSignals(SignalBasis basis) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = 40, M = 3, N = 200;
        RunSpec s = spec(rnd, d, M, N);
        s.signals = basis;
        s.sigma = new double[] {4, 0.2};
        s.mu = Fixtures.uniform(rnd, 0.5, 50);
        s.orthogonalNoise = true;
        RunData data = Fixtures.data(s);
        double cos = maxCosine(data);
        assertTrue(cos <= ORTHO_TOL, "orthogonal noise, " + basis + ": max |cos(ξ, μ)| = " + cos + tag(seed));
        // Covariance σ²(I − e₁e₁ᵀ − e₂e₂ᵀ): E‖ξ‖² = σ²(d − 2); per token ‖ξ‖²/σ² ~ χ²(d−2), relative SD √(2/(d−2)).
        for (int l = 1; l < M; l++) {
            double sigma = s.sigma[l - 1], sum = 0;
            int count = 0;
            for (TokenSet set : new TokenSet[] {data.train(), data.test()}) {
                for (int n = 0; n < set.N(); n++, count++) {
                    int j = set.token(n, l);
                    double[] xi = Arrays.copyOfRange(set.tokens(), j * d, (j + 1) * d);
                    sum += DataFactory.dot(xi, xi) / (sigma * sigma * (d - 2));
                }
            }
            int ll = l, cnt = count;
            Fixtures.assertClose(1, sum / count, 0, Z * Math.sqrt(2.0 / (d - 2) / cnt), () -> "E‖ξ‖²/(σ²(d−2)) at position " + ll + tag(seed));
        }
        // The same check on plain noise must fail by far, or it measures nothing.
        s.orthogonalNoise = false;
        assertTrue(maxCosine(Fixtures.data(s)) > 0.1, "plain noise looked orthogonal, " + basis + tag(seed));
    }

    /** Largest |ξ·μ±|/(‖ξ‖‖μ±‖) over every noise token of both splits. */
    private static double maxCosine(RunData data) {
        double worst = 0;
        for (TokenSet set : new TokenSet[] {data.train(), data.test()}) {
            int d = set.d();
            for (int j = 2; j < set.P(); j++) {
                double[] xi = Arrays.copyOfRange(set.tokens(), j * d, (j + 1) * d);
                for (double[] mu : new double[][] {data.muPos(), data.muNeg()}) {
                    worst = Math.max(worst, Math.abs(DataFactory.dot(xi, mu)) / (DataFactory.norm(xi) * DataFactory.norm(mu)));
                }
            }
        }
        return worst;
    }

    @Test
    void raisingNKeepsTheFirstSamplesAndTheTestSet() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (LabelMode labels : LabelMode.values()) {
            int n1 = 1 + rnd.nextInt(9), n2 = n1 + 1 + rnd.nextInt(20);
            RunSpec s = spec(rnd, 9, 1 + 1 + rnd.nextInt(4), n1);
            s.labels = labels;
            s.p = 0.3;
            s.orthogonalNoise = rnd.nextBoolean();
            s.signals = rnd.nextBoolean() ? SignalBasis.RANDOM : SignalBasis.AXIS;
            s.testN = 17;
            RunConfig c1 = s.build(0), c2 = c1.withN(n2);
            RunData a = DataFactory.generate(c1), b = DataFactory.generate(c2);
            String ctx = labels + " N=" + n1 + " vs N=" + n2 + tag(seed);
            int M = c1.M(), d = c1.d();
            int P1 = a.train().P();
            assertArrayEquals(a.train().tokens(), Arrays.copyOfRange(b.train().tokens(), 0, P1 * d), "first tokens; " + ctx);
            assertArrayEquals(a.train().map(), Arrays.copyOfRange(b.train().map(), 0, n1 * M), "first token map; " + ctx);
            assertArrayEquals(a.train().yClean(), Arrays.copyOf(b.train().yClean(), n1), "first true labels; " + ctx);
            assertArrayEquals(a.train().y(), Arrays.copyOf(b.train().y(), n1), "first observed labels (flips); " + ctx);
            assertTestSetEqual(a.test(), b.test(), ctx);
            Fixtures.assertSameWeights(a.init(), b.init(), "init weights; " + ctx);
        }
    }

    /**
     * A generated run's token arrays are built on their first read, and then exactly as the run's
     * draws lay them out: [‖μ‖e₊, ‖μ‖e₋, the family's noise] (a shifted test set: its turned
     * signals and its noise times s), bit for bit; readers on several threads at once get the one
     * array built.
     */
    @Test
    void tokensAreBuiltOnFirstReadOnceForEveryThread() throws Exception {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (boolean shifted : new boolean[] {false, true}) {
            RunSpec s = spec(rnd, 4 + rnd.nextInt(20), 2 + rnd.nextInt(5), 1 + rnd.nextInt(30));
            s.testN = 1 + rnd.nextInt(30);
            s.orthogonalNoise = rnd.nextBoolean();
            s.signals = rnd.nextBoolean() ? SignalBasis.RANDOM : SignalBasis.AXIS;
            if (shifted) {
                s.testSigmaScale = Fixtures.uniform(rnd, 0.5, 2);
                s.testSignalAngle = Fixtures.uniform(rnd, 10, 80);
            }
            RunConfig c = s.build(0);
            String ctx = (shifted ? "shifted" : "unshifted") + " d=" + c.d() + " M=" + c.M() + " N=" + c.N() + " test N=" + c.testN() + tag(seed);
            RunData data = DataFactory.generate(c);
            assertFalse(data.train().built() || data.test().built(), "tokens built before any read; " + ctx);

            Family f = Family.of(c);
            int d = c.d(), Pn = (data.train().P() - 2) * d, Pt = (data.test().P() - 2) * d;
            double[][] e = f.directions(), mu = new double[2][d];
            for (int i = 0; i < d; i++) {
                mu[0][i] = e[0][i] * c.mu();
                mu[1][i] = e[1][i] * c.mu();
            }
            double[][] testMu = shifted ? DataFactory.testSignals(c, e) : mu;
            double[] testNoise = Arrays.copyOf(f.testNoise(), Pt);
            if (shifted) for (int i = 0; i < Pt; i++) testNoise[i] *= c.testSigmaScale();
            assertArrayEquals(concat(mu, Arrays.copyOf(f.trainNoise(c.N()), Pn)), readAtOnce(data.train(), ctx), "training tokens; " + ctx);
            assertArrayEquals(concat(testMu, testNoise), readAtOnce(data.test(), ctx), "test tokens; " + ctx);
        }
    }

    /** [a[0], a[1], rest] in one array. */
    private static double[] concat(double[][] a, double[] rest) {
        int d = a[0].length;
        double[] x = Arrays.copyOf(a[0], 2 * d + rest.length);
        System.arraycopy(a[1], 0, x, d, d);
        System.arraycopy(rest, 0, x, 2 * d, rest.length);
        return x;
    }

    /** set's tokens read by four threads released together, asserted to be one array. */
    private static double[] readAtOnce(TokenSet set, String ctx) throws Exception {
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<double[]>> reads = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                reads.add(pool.submit(() -> {
                    start.await();
                    return set.tokens();
                }));
            }
            double[] first = reads.get(0).get();
            for (Future<double[]> r : reads) assertSame(first, r.get(), "threads got different arrays; " + ctx);
            assertTrue(set.built(), ctx);
            return first;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The span form's runs of a family never read their own token arrays (they project the family's
     * once), so generating their data never builds them; the reference engine, which reads them,
     * does (what makes this test able to fail).
     */
    @Test
    void spanRunsOfAFamilyNeverBuildTheirTokens() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int R = 4;
        List<RunData> runs = Fixtures.mixedBatch(rnd, 3 + rnd.nextInt(10), 2 + rnd.nextInt(5), 1 + rnd.nextInt(8), 1 + rnd.nextInt(5), R);
        boolean[] all = new boolean[R];
        Arrays.fill(all, true);
        for (Engine engine : new Engine[] {
                new VectorEngine(Precision.FLOAT32, Formulation.SPAN, 1, null),
                new ReferenceEngine()}) {
            boolean reads = engine instanceof ReferenceEngine;
            try (EngineBatch batch = engine.open(runs)) {
                double[][] out = new double[R][Metric.width(1)];
                batch.metrics(all, out);
                batch.step(all, new double[R]);
                batch.metrics(all, out);
            }
            for (int r = 0; r < R; r++) {
                RunData run = runs.get(r);
                assertTrue(run.family() != null, "run " + r + " has no family" + tag(seed));
                assertEquals(reads, run.test().built(), engine + ": test tokens of run " + r + " built" + tag(seed));
                assertEquals(reads, run.train().built(), engine + ": training tokens of run " + r + " built" + tag(seed));
            }
        }
    }

    @Test
    void repeatsAndSplitsDrawDifferentData() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = 1000;
        RunSpec s = spec(rnd, d, 3, 40);
        s.p = 0.25;
        RunConfig c = s.build(0);
        RunData a = DataFactory.generate(c), b = DataFactory.generate(c.withRepeat(1 + rnd.nextInt(50)));
        assertFalse(Arrays.equals(a.train().yClean(), b.train().yClean()), "true labels equal across repeats" + tag(seed));
        assertFalse(Arrays.equals(a.train().y(), b.train().y()), "observed labels equal across repeats" + tag(seed));
        assertFalse(Arrays.equals(a.init().WQ(), b.init().WQ()), "init equal across repeats" + tag(seed));
        // Independent N(0, σ²I_d) tokens have cosine ~ N(0, 1/d): 0.5 is 16 standard errors at d = 1000.
        double bound = 0.5;
        for (int j = 2; j < a.train().P(); j++) {
            int jj = j;
            assertTrue(Math.abs(cosine(a.train(), j, b.train(), j)) < bound, () -> "train token " + jj + " alike across repeats" + tag(seed));
            assertTrue(Math.abs(cosine(a.test(), j, b.test(), j)) < bound, () -> "test token " + jj + " alike across repeats" + tag(seed));
            assertTrue(Math.abs(cosine(a.train(), j, a.test(), j)) < bound, () -> "train and test token " + jj + " alike" + tag(seed));
        }
        assertFalse(Arrays.equals(a.init().WQ(), a.init().WK()), "W_Q and W_K drawn from one stream" + tag(seed));
    }

    @Test
    void sigmaAndMuScaleTheSameDraws() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        RunSpec s = spec(rnd, 12, 3, 9);
        s.orthogonalNoise = rnd.nextBoolean();
        s.signals = SignalBasis.RANDOM;
        RunData a = Fixtures.data(s);
        // Doubling is exact in floating point, so the scaled draws must match bit for bit.
        s.mu *= 2;
        s.sigma = new double[] {2 * s.sigma[0], 2 * s.sigma[1]};
        RunData b = Fixtures.data(s);
        double[] ta = a.train().tokens(), tb = b.train().tokens();
        for (int i = 0; i < ta.length; i++) {
            int ii = i;
            assertEquals(2 * ta[i], tb[i], 0, () -> "token entry " + ii + " is not twice the original" + tag(seed));
        }
        assertArrayEquals(a.train().y(), b.train().y(), "labels changed with scale" + tag(seed));
    }

    @ParameterizedTest
    @EnumSource(InitScheme.class)
    void initialWeightsHaveTheSchemesSpread(InitScheme scheme) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = 64, mk = 512, mv = 2048;
        RunSpec s = Fixtures.smallSpec(rnd, d, 2, mk, mv, 2);
        s.init = scheme;
        s.initDivisor = Fixtures.uniform(rnd, 1, 64);
        s.sigma0 = Fixtures.uniform(rnd, 0.001, 1);
        s.sigmaV = Fixtures.uniform(rnd, 0.001, 1);
        s.sigmaO = Fixtures.uniform(rnd, 0.001, 1);
        Weights w = DataFactory.initialWeights(s.build(0));
        String ctx = scheme + " divisor=" + s.initDivisor + " σ₀=" + s.sigma0 + " σ_V=" + s.sigmaV + " σ_O=" + s.sigmaO + tag(seed);
        if (scheme == InitScheme.TORCH) {
            double bound = 1 / Math.sqrt(d) / s.initDivisor;
            checkUniform("W_Q", w.WQ(), bound, ctx);
            checkUniform("W_K", w.WK(), bound, ctx);
            checkUniform("W_V", w.WV(), bound, ctx);
            checkUniform("w_O", w.wO(), 1 / Math.sqrt(mv), ctx);
        } else {
            checkNormal("W_Q", w.WQ(), s.sigma0, ctx);
            checkNormal("W_K", w.WK(), s.sigma0, ctx);
            checkNormal("W_V", w.WV(), s.sigmaV, ctx);
            checkNormal("w_O", w.wO(), s.sigmaO, ctx);
        }
    }

    /** U(±b): every |x| ≤ b and the largest near b; mean 0 (SE b/√(3n)); RMS b/√3 with relative SE √(0.2/n). */
    private static void checkUniform(String name, double[] x, double b, String ctx) {
        double max = 0;
        for (double v : x) max = Math.max(max, Math.abs(v));
        int n = x.length;
        double maxAbs = max;
        assertTrue(max <= b, () -> name + ": |entry| " + maxAbs + " > bound " + b + "; " + ctx);
        // P(all n entries within (1 − 20/n)·b) = (1 − 20/n)^n ≈ e^−20.
        assertTrue(max >= b * (1 - 20.0 / n), () -> name + ": largest |entry| " + maxAbs + " far below bound " + b + "; " + ctx);
        checkMoments(name, x, b / Math.sqrt(3), Math.sqrt(0.2 / n), ctx);
    }

    /** N(0, σ²): mean 0 (SE σ/√n); RMS σ with relative SE 1/√(2n). */
    private static void checkNormal(String name, double[] x, double sigma, String ctx) {
        checkMoments(name, x, sigma, 1 / Math.sqrt(2.0 * x.length), ctx);
    }

    /** Mean 0 within {@link #Z} SEs std/√n, and RMS std within Z relative SEs {@code rmsSe}. */
    private static void checkMoments(String name, double[] x, double std, double rmsSe, String ctx) {
        double sum = 0, sum2 = 0;
        for (double v : x) {
            sum += v;
            sum2 += v * v;
        }
        int n = x.length;
        Fixtures.assertClose(0, sum / n, Z * std / Math.sqrt(n), 0, () -> name + " mean; " + ctx);
        Fixtures.assertClose(std, Math.sqrt(sum2 / n), 0, Z * rmsSe, () -> name + " std; " + ctx);
    }

    private static double cosine(TokenSet a, int ja, TokenSet b, int jb) {
        int d = a.d();
        double[] x = Arrays.copyOfRange(a.tokens(), ja * d, (ja + 1) * d), y = Arrays.copyOfRange(b.tokens(), jb * d, (jb + 1) * d);
        return DataFactory.dot(x, y) / (DataFactory.norm(x) * DataFactory.norm(y));
    }

    private static void assertTestSetEqual(TokenSet a, TokenSet b, String ctx) {
        assertArrayEquals(a.tokens(), b.tokens(), "test tokens; " + ctx);
        assertArrayEquals(a.map(), b.map(), "test token map; " + ctx);
        assertArrayEquals(a.y(), b.y(), "test labels; " + ctx);
        assertArrayEquals(a.yClean(), b.yClean(), "test true labels; " + ctx);
    }
}
