package org.attnsweep.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import jcuda.CudaException;
import org.attnsweep.Fixtures;
import org.attnsweep.engine.cuda.Kernels.Base;
import org.attnsweep.engine.cuda.Kernels.Operand;
import org.attnsweep.model.Loss;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kernel of kernels/ on its own, llm.c style: launched alone on random, non-degenerate
 * float32 inputs laid out as the engine lays out a batch, and compared with the float64 function
 * of the same name in {@link CpuPhases} computed from the same (float32-rounded) inputs.
 *
 * <p>Real shapes: M = 16, m_k = 136 and m_v = 130 (several 64×128 GEMM tiles, ragged last tiles,
 * attention_forward and gather stage several column chunks), and a batch of mixed N ∈ {20, 13, 2,
 * 7}, so P = 2 + N(M−1) ranges over 32..302 and every padded slice is exercised. One run of the
 * batch never sees μ₋ (all labels +1), one is left out of the run list or masked by go where the
 * kernel has them: its outputs must stay exactly as they were. Under native/cuda-emu every launch
 * is also checked for shared-memory races (scripts/emu-check). Skipped, with the reason printed,
 * where no CUDA driver answers.
 */
class CudaKernelsTest {
    static final int M = 16, MK = 136, MV = 130, W = 2 * MK;
    /** N of each run; run 2 has only label +1, so μ₋ (token 1) never occurs. */
    static final int[] NS = {20, 13, 2, 7};
    static final int R = NS.length, N_MAX = 20, P_MAX = 2 + N_MAX * (M - 1);

    // Float32 dot products of at most ~300 terms of O(1) values (inputs U(−1, 1)) against float64:
    // rounding grows like √K·2⁻²⁴·|terms|, ~1e-6 here; 1e-4 leaves a wide margin while an indexing
    // error (a wrong row, column or run) moves results by O(0.1).
    private static final double DOT_ATOL = 1e-4, DOT_RTOL = 1e-4;
    // Attention: logits of 136 terms, then exp and normalisation in float32 (relative 1e-6 each);
    // D is O(1e-4), so the absolute part is small.
    private static final double ATT_ATOL = 1e-6, ATT_RTOL = 1e-4;
    // loss_reduce sums float64 values in another order than the CPU: a few ulps.
    private static final double LOSS_RTOL = 1e-12;

    private static CudaEngine.Availability availability;
    private static CudaContext ctx;
    private static Kernels k;

    private final List<DeviceBuffer> buffers = new ArrayList<>();
    private long seed;
    private SplittableRandom rnd;
    private String tag;

    @BeforeAll
    static void open() {
        availability = CudaEngine.probe();
        if (!availability.available()) {
            System.out.println("CudaKernelsTest skipped: no usable GPU: " + availability.reason());
            return;
        }
        ctx = new CudaContext(0);
        k = ctx.kernels();
        System.out.println("CudaKernelsTest on " + ctx.name() + " cc=" + ctx.computeCapability() + ", images " + k.images());
    }

    @AfterAll
    static void shut() {
        if (ctx != null) ctx.close();
    }

    @BeforeEach
    void draw() {
        Assumptions.assumeTrue(availability.available(), () -> "no usable GPU: " + availability.reason());
        seed = Fixtures.seed();
        rnd = new SplittableRandom(seed);
        tag = Fixtures.tag(seed);
    }

    @AfterEach
    void free() {
        for (DeviceBuffer b : buffers) b.close();
        buffers.clear();
    }

    // ---- the batch's index structure (as CudaBatch builds it) ------------------------------------

    static int P(int r) {
        return 2 + NS[r] * (M - 1);
    }

    /** Labels ±1 (N_MAX per run): alternating, except run 2 (all +1). */
    static float[] labels() {
        float[] y = new float[R * N_MAX];
        for (int r = 0; r < R; r++) for (int n = 0; n < NS[r]; n++) y[r * N_MAX + n] = r == 2 || n % 2 == 0 ? 1 : -1;
        return y;
    }

    /**
     * Token map (N_MAX×M per run): position 0 the signal of the label, then the sample's own noise
     * tokens. In run 3, as loaded data may have it, sample 0 holds its first noise token twice (at
     * positions 1 and M−1), so that token repeats within a sample and token 2 + (M−2) never occurs.
     */
    static int[] tokenMap(float[] y) {
        int[] map = new int[R * N_MAX * M];
        for (int r = 0; r < R; r++) {
            for (int n = 0; n < NS[r]; n++) {
                map[(r * N_MAX + n) * M] = y[r * N_MAX + n] > 0 ? 0 : 1;
                for (int l = 1; l < M; l++) map[(r * N_MAX + n) * M + l] = 2 + n * (M - 1) + l - 1;
            }
        }
        map[3 * N_MAX * M + M - 1] = map[3 * N_MAX * M + 1];
        return map;
    }

    /** The CSR inverse of run r's map: {start (P_MAX+1), occ (N_MAX·M)}, occurrences n·M + p in increasing order. */
    static int[][] occurrences(int[] map) {
        int[] start = new int[R * (P_MAX + 1)], occ = new int[R * N_MAX * M];
        for (int r = 0; r < R; r++) {
            int P = P(r), at = 0;
            for (int j = 0; j <= P_MAX; j++) {
                start[r * (P_MAX + 1) + j] = at;
                if (j >= P) continue;
                for (int o = 0; o < NS[r] * M; o++) if (map[r * N_MAX * M + o] == j) occ[r * N_MAX * M + at++] = o;
            }
        }
        return new int[][] {start, occ};
    }

    // ---- device and host helpers ------------------------------------------------------------------

    private DeviceBuffer dev(float[] host) {
        return dev((long) host.length * Float.BYTES, b -> b.put(host, 0));
    }

    private DeviceBuffer dev(int[] host) {
        return dev((long) host.length * Integer.BYTES, b -> b.put(host, 0));
    }

    private DeviceBuffer dev(double[] host) {
        return dev((long) host.length * Double.BYTES, b -> b.put(host, 0));
    }

    /** A device buffer of {@code bytes}, filled by {@code put}, freed after the test. */
    private DeviceBuffer dev(long bytes, java.util.function.Consumer<DeviceBuffer> put) {
        DeviceBuffer b = ctx.alloc(bytes);
        buffers.add(b);
        put.accept(b);
        return b;
    }

    private static float[] get(DeviceBuffer b, int n) {
        float[] out = new float[n];
        b.get(out, 0);
        return out;
    }

    private static double[] getD(DeviceBuffer b, int n) {
        double[] out = new double[n];
        b.get(out, 0);
        return out;
    }

    private static int[] getI(DeviceBuffer b, int n) {
        // Ints come back through a float copy of the same bytes.
        float[] f = get(b, n);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = Float.floatToRawIntBits(f[i]);
        return out;
    }

    /** n values uniform in (−scale, scale). */
    private float[] uniform(int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (scale * (2 * rnd.nextDouble() - 1));
        return x;
    }

    private static float[] nan(int n) {
        float[] x = new float[n];
        Arrays.fill(x, Float.NaN);
        return x;
    }

    /** float64 copy of x[from, from+n). */
    private static double[] d(float[] x, int from, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = x[from + i];
        return out;
    }

    private static int[] slice(int[] x, int from, int n) {
        return Arrays.copyOfRange(x, from, from + n);
    }

    private void close(String what, double[] want, float[] got, int at, double atol, double rtol) {
        for (int i = 0; i < want.length; i++) close(what + "[" + i + "]", want[i], got[at + i], atol, rtol);
    }

    private void close(String what, double want, double got, double atol, double rtol) {
        if (!(Math.abs(got - want) <= atol + rtol * Math.abs(want))) {
            fail(String.format(Locale.ROOT, "%s: kernel %.9g, CPU %.9g (|diff| %.3g > %.1g + %.1g·|ref|)%s", what, got, want,
                    Math.abs(got - want), atol, rtol, tag));
        }
    }

    /** Elements [at, at+n) of got must equal those of before bit for bit (a run the launch must not touch). */
    private void untouched(String what, float[] before, float[] got, int at, int n) {
        for (int i = at; i < at + n; i++) {
            if (Float.floatToRawIntBits(before[i]) != Float.floatToRawIntBits(got[i])) {
                fail(what + "[" + (i - at) + "] changed from " + before[i] + " to " + got[i] + tag);
            }
        }
    }

    // ---- one test per kernel ----------------------------------------------------------------------

    @Test
    void scalarizeV() {
        int[] trainWo = {1, 1, 0, 1}, rows = new int[R];
        for (int r = 0; r < R; r++) rows[r] = P(r);
        float[] V = uniform(R * P_MAX * MV, 1), wO = uniform(R * MV, 1), u0 = uniform(R * P_MAX, 1);
        DeviceBuffer u = dev(u0);
        k.scalarizeV(dev(new int[] {0, 1, 2, 3}).ptr(), R, dev(trainWo).ptr(), dev(rows).ptr(), P_MAX, MV, dev(V).ptr(),
                dev(wO).ptr(), u.ptr());
        float[] got = get(u, R * P_MAX);
        for (int r = 0; r < R; r++) {
            if (trainWo[r] == 0) {
                untouched("scalarize_v run " + r + " (fixed w_O) u", u0, got, r * P_MAX, P_MAX);
                continue;
            }
            double[] want = CpuPhases.scalarizeV(d(V, r * P_MAX * MV, P(r) * MV), d(wO, r * MV, MV), P(r), MV);
            close("scalarize_v run " + r + " u", want, got, r * P_MAX, DOT_ATOL, DOT_RTOL);
        }
    }

    @Test
    void attentionForward() {
        float[] y = labels();
        int[] map = tokenMap(y);
        // Q|K entries U(±0.5): logits of 136 terms with standard deviation ~1, a softmax far from flat.
        float[] QK = uniform(R * P_MAX * W, 0.5), u = uniform(R * P_MAX, 1);
        int[] runs = {3, 0, 2};   // run 1 is left out
        DeviceBuffer f = dev(nan(R * N_MAX)), g = dev(nan(R * N_MAX)), c = dev(nan(R * N_MAX * M)), D = dev(nan(R * N_MAX * M * M));
        double[] lossNaN = new double[R * N_MAX];
        Arrays.fill(lossNaN, Double.NaN);
        DeviceBuffer loss = dev(lossNaN);
        // Run r trains loss r mod 4 (every loss once); runs 0 and 2 take a mini-batch of about half their samples.
        int[] kind = new int[R], B = new int[R], in = new int[R * N_MAX];
        for (int r = 0; r < R; r++) {
            kind[r] = r % Loss.values().length;
            B[r] = r % 2 == 0 ? Math.max(1, NS[r] / 2) : NS[r];
            int[] perm = rnd.ints(0, NS[r]).distinct().limit(NS[r]).toArray();
            for (int j = 0; j < B[r]; j++) in[r * N_MAX + perm[j]] = 1;
        }
        k.attentionForward(dev(runs).ptr(), runs.length, dev(NS).ptr(), N_MAX, M, MK, dev(map).ptr(), dev(QK).ptr(),
                (long) P_MAX * W, dev(u).ptr(), P_MAX, dev(y).ptr(), dev(kind).ptr(), dev(B).ptr(), dev(in).ptr(), f.ptr(),
                loss.ptr(), g.ptr(), c.ptr(), D.ptr(), null);
        float[] fh = get(f, R * N_MAX), gh = get(g, R * N_MAX), ch = get(c, R * N_MAX * M), Dh = get(D, R * N_MAX * M * M);
        double[] lh = getD(loss, R * N_MAX);
        for (int r : runs) {
            int N = NS[r];
            CpuPhases.Forward want = CpuPhases.attentionForward(N, M, MK, slice(map, r * N_MAX * M, N * M),
                    d(QK, r * P_MAX * W, P(r) * W), d(u, r * P_MAX, P(r)), d(y, r * N_MAX, N), Loss.values()[kind[r]], B[r],
                    slice(in, r * N_MAX, N));
            String at = "attention_forward run " + r;
            close(at + " f", want.f(), fh, r * N_MAX, ATT_ATOL, ATT_RTOL);
            close(at + " g", want.g(), gh, r * N_MAX, ATT_ATOL, ATT_RTOL);
            close(at + " c", want.c(), ch, r * N_MAX * M, ATT_ATOL, ATT_RTOL);
            close(at + " D", want.D(), Dh, r * N_MAX * M * M, ATT_ATOL, ATT_RTOL);
            for (int n = 0; n < N; n++) close(at + " loss[" + n + "]", want.loss()[n], lh[r * N_MAX + n], ATT_ATOL, ATT_RTOL);
        }
        untouched("attention_forward run 1 (not listed) f", nan(R * N_MAX), fh, N_MAX, N_MAX);
        untouched("attention_forward run 1 (not listed) D", nan(R * N_MAX * M * M), Dh, N_MAX * M * M, N_MAX * M * M);
    }

    /**
     * heads_sum (docs/math.md §7): the 4 slots as 2 runs of H = 2 heads (slots 0, 1 and 2, 3; N of a
     * run is its first slot's), the sum in head order written to both heads; then attention_forward
     * given that sum takes its loss and g from it, not from the head's own f.
     */
    @Test
    void headsSumAndTheForwardOfAHead() {
        int H = 2;
        float[] f = uniform(R * N_MAX, 1);
        DeviceBuffer fRun = dev(nan(R * N_MAX));
        k.headsSum(dev(new int[] {2, 0}).ptr(), 2, dev(NS).ptr(), N_MAX, H, dev(f).ptr(), fRun.ptr());
        float[] got = get(fRun, R * N_MAX);
        for (int s0 : new int[] {0, 2}) {
            for (int n = 0; n < N_MAX; n++) {
                for (int h = 0; h < H; h++) {
                    float want = n < NS[s0] ? 0.0f + f[s0 * N_MAX + n] + f[(s0 + 1) * N_MAX + n] : Float.NaN;
                    assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[(s0 + h) * N_MAX + n]),
                            "heads_sum slot " + (s0 + h) + " sample " + n + tag);
                }
            }
        }
        float[] y = labels();
        int[] map = tokenMap(y);
        float[] QK = uniform(R * P_MAX * W, 0.5), u = uniform(R * P_MAX, 1);
        DeviceBuffer fh = dev(nan(R * N_MAX)), g = dev(nan(R * N_MAX));
        k.attentionForward(dev(new int[] {0}).ptr(), 1, dev(NS).ptr(), N_MAX, M, MK, dev(map).ptr(), dev(QK).ptr(),
                (long) P_MAX * W, dev(u).ptr(), P_MAX, dev(y).ptr(), dev(new int[] {Loss.LOGISTIC.ordinal()}).ptr(), dev(NS).ptr(), null,
                fh.ptr(), null, g.ptr(), null, null, fRun.ptr());
        float[] own = get(fh, R * N_MAX), gh = get(g, R * N_MAX);
        CpuPhases.Forward alone = CpuPhases.attentionForward(NS[0], M, MK, slice(map, 0, NS[0] * M), d(QK, 0, P(0) * W),
                d(u, 0, P(0)), d(y, 0, NS[0]), Loss.LOGISTIC, NS[0], null);
        close("attention_forward of a head: its own f", alone.f(), own, 0, ATT_ATOL, ATT_RTOL);
        for (int n = 0; n < NS[0]; n++) {
            double want = Loss.LOGISTIC.sampleGradient(y[n], got[n], NS[0]);
            close("attention_forward of a head: g of the run's f, sample " + n, want, gh[n], ATT_ATOL, ATT_RTOL);
        }
    }

    @Test
    void lossReduce() {
        double[] loss = new double[R * N_MAX];
        for (int i = 0; i < loss.length; i++) loss[i] = 2 * rnd.nextDouble();
        loss[3 * N_MAX + 1] = Double.NaN;   // run 3 diverged
        double[] mean = new double[R];
        for (int r = 0; r < R; r++) mean[r] = CpuPhases.lossReduce(Arrays.copyOfRange(loss, r * N_MAX, r * N_MAX + NS[r]), NS[r]);
        // Run 0 trains on, run 1 is below its target, run 2 sits exactly at it (still trains), run 3 diverged.
        double[] target = {0, mean[1] * 1.01, mean[2], 0};
        DeviceBuffer L = dev(new double[R]), go = dev(new int[] {7, 7, 7, 7});
        k.lossReduce(dev(new int[] {0, 1, 2, 3}).ptr(), R, dev(NS).ptr(), N_MAX, dev(loss).ptr(), dev(target).ptr(), L.ptr(), go.ptr());
        double[] Lh = getD(L, R);
        int[] goh = getI(go, R);
        for (int r = 0; r < 3; r++) close("loss_reduce run " + r + " L", mean[r], Lh[r], 0, LOSS_RTOL);
        assertTrue(Double.isNaN(Lh[3]), "loss_reduce run 3 L must be NaN: " + Lh[3] + tag);
        assertEquals(List.of(1, 0, 1, 0), Arrays.stream(goh).boxed().toList(), "loss_reduce go" + tag);
    }

    @Test
    void gather() {
        float[] y = labels();
        int[] map = tokenMap(y);
        int[][] csr = occurrences(map);
        int[] go = {1, 0, 1, 1}, trainWo = {0, 1, 0, 1};
        // D and g at O(1), larger than a real step's, so α, β, γ are O(1) against the absolute tolerance.
        float[] D = uniform(R * N_MAX * M * M, 1), g = uniform(R * N_MAX, 1), c = uniform(R * N_MAX * M, 1);
        float[] QK = uniform(R * P_MAX * W, 0.5), AQK0 = uniform(R * P_MAX * W, 1), cV0 = uniform(R * P_MAX, 1);
        float[] eta = {0.1f, 0.2f, 0.05f, 0.3f};
        int[] P = new int[R];
        for (int r = 0; r < R; r++) P[r] = P(r);
        DeviceBuffer AB = dev(nan(R * P_MAX * W)), AQK = dev(AQK0), gamma = dev(nan(R * P_MAX)), cV = dev(cV0);
        k.gather(dev(new int[] {0, 1, 2, 3}).ptr(), R, dev(go).ptr(), dev(NS).ptr(), dev(P).ptr(), P_MAX, N_MAX, M, MK,
                dev(csr[0]).ptr(), dev(csr[1]).ptr(), dev(map).ptr(), dev(D).ptr(), dev(g).ptr(), dev(c).ptr(), dev(QK).ptr(),
                (long) P_MAX * W, dev(eta).ptr(), dev(trainWo).ptr(), AB.ptr(), AQK.ptr(), gamma.ptr(), cV.ptr());
        float[] ABh = get(AB, R * P_MAX * W), AQKh = get(AQK, R * P_MAX * W), gh = get(gamma, R * P_MAX), cVh = get(cV, R * P_MAX);
        for (int r = 0; r < R; r++) {
            String at = "gather run " + r;
            if (go[r] == 0) {
                untouched(at + " (go = 0) A_Q|K", AQK0, AQKh, r * P_MAX * W, P_MAX * W);
                untouched(at + " (go = 0) c_V", cV0, cVh, r * P_MAX, P_MAX);
                untouched(at + " (go = 0) [α|β]", nan(R * P_MAX * W), ABh, r * P_MAX * W, P_MAX * W);
                continue;
            }
            int N = NS[r];
            CpuPhases.Gathered want = CpuPhases.gather(N, M, MK, P[r], slice(map, r * N_MAX * M, N * M),
                    d(D, r * N_MAX * M * M, N * M * M), d(g, r * N_MAX, N), d(c, r * N_MAX * M, N * M),
                    d(QK, r * P_MAX * W, P[r] * W), eta[r], trainWo[r] == 1, d(AQK0, r * P_MAX * W, P[r] * W), d(cV0, r * P_MAX, P[r]));
            close(at + " [α|β]", want.AB(), ABh, r * P_MAX * W, DOT_ATOL, DOT_RTOL);
            close(at + " A_Q|K", want.AQK(), AQKh, r * P_MAX * W, DOT_ATOL, DOT_RTOL);
            close(at + " γ", want.gamma(), gh, r * P_MAX, DOT_ATOL, DOT_RTOL);
            close(at + " c_V", want.cV(), cVh, r * P_MAX, DOT_ATOL, DOT_RTOL);
        }
    }

    @Test
    void valueGram() {
        int[] go = {1, 1, 1, 0}, trainWo = {0, 1, 0, 1}, P = new int[R];
        for (int r = 0; r < R; r++) P[r] = P(r);
        float[] G = new float[R * P_MAX * P_MAX];
        for (int r = 0; r < R; r++) {
            for (int i = 0; i < P[r]; i++) {
                for (int j = 0; j <= i; j++) {
                    float v = (float) (2 * rnd.nextDouble() - 1);
                    G[r * P_MAX * P_MAX + i * P_MAX + j] = v;
                    G[r * P_MAX * P_MAX + j * P_MAX + i] = v;
                }
            }
        }
        float[] gamma = uniform(R * P_MAX, 1), eta = {0.1f, 0.2f, 0.05f, 0.3f}, wo2 = {1.5f, 0.7f, 2.0f, 1.0f};
        float[] u0 = uniform(R * P_MAX, 1), h0 = nan(R * P_MAX);
        DeviceBuffer h = dev(h0), u = dev(u0);
        k.valueGram(dev(new int[] {0, 1, 2, 3}).ptr(), R, dev(go).ptr(), dev(P).ptr(), P_MAX, dev(G).ptr(), dev(gamma).ptr(),
                dev(eta).ptr(), dev(wo2).ptr(), dev(trainWo).ptr(), h.ptr(), u.ptr());
        float[] hh = get(h, R * P_MAX), uh = get(u, R * P_MAX);
        for (int r = 0; r < R; r++) {
            String at = "value_gram run " + r;
            if (go[r] == 0) {
                untouched(at + " (go = 0) h", h0, hh, r * P_MAX, P_MAX);
                continue;
            }
            double[] Gr = new double[P[r] * P[r]];
            for (int i = 0; i < P[r]; i++) for (int j = 0; j < P[r]; j++) Gr[i * P[r] + j] = G[r * P_MAX * P_MAX + i * P_MAX + j];
            double[][] want = CpuPhases.valueGram(Gr, d(gamma, r * P_MAX, P[r]), P[r], eta[r], wo2[r], trainWo[r] == 1,
                    d(u0, r * P_MAX, P[r]));
            close(at + " h", want[0], hh, r * P_MAX, DOT_ATOL, DOT_RTOL);
            close(at + " u", want[1], uh, r * P_MAX, DOT_ATOL, DOT_RTOL);
        }
    }

    @Test
    void valueUpdate() {
        int[] go = {1, 1, 1, 0}, trainWo = {1, 0, 1, 1}, P = new int[R];
        for (int r = 0; r < R; r++) P[r] = P(r);
        float[] V0 = uniform(R * P_MAX * MV, 1), AV0 = uniform(R * P_MAX * MV, 1), wO0 = uniform(R * MV, 1);
        float[] gamma = uniform(R * P_MAX, 0.1), h = uniform(R * P_MAX, 1), eta = {0.1f, 0.2f, 0.05f, 0.3f};
        DeviceBuffer V = dev(V0), AV = dev(AV0), wO = dev(wO0);
        k.valueUpdate(dev(new int[] {0, 1, 2, 3}).ptr(), R, dev(go).ptr(), dev(trainWo).ptr(), dev(P).ptr(), P_MAX, MV,
                dev(gamma).ptr(), dev(h).ptr(), dev(eta).ptr(), V.ptr(), AV.ptr(), wO.ptr());
        float[] Vh = get(V, R * P_MAX * MV), AVh = get(AV, R * P_MAX * MV), wOh = get(wO, R * MV);
        for (int r = 0; r < R; r++) {
            String at = "value_update run " + r;
            if (go[r] == 0 || trainWo[r] == 0) {
                untouched(at + " (skipped) V", V0, Vh, r * P_MAX * MV, P_MAX * MV);
                untouched(at + " (skipped) w_O", wO0, wOh, r * MV, MV);
                continue;
            }
            double[][] want = CpuPhases.valueUpdate(d(V0, r * P_MAX * MV, P[r] * MV), d(AV0, r * P_MAX * MV, P[r] * MV),
                    d(wO0, r * MV, MV), d(gamma, r * P_MAX, P[r]), d(h, r * P_MAX, P[r]), P[r], MV, eta[r]);
            close(at + " V", want[0], Vh, r * P_MAX * MV, DOT_ATOL, DOT_RTOL);
            close(at + " A_V", want[1], AVh, r * P_MAX * MV, DOT_ATOL, DOT_RTOL);
            close(at + " w_O", want[2], wOh, r * MV, DOT_ATOL, DOT_RTOL);
        }
    }

    @Test
    void metricDots() {
        float[] y = labels();
        int[] map = tokenMap(y), E = {12, 5, 9, 7};
        int eMax = 12;
        float[] QK = uniform(R * P_MAX * W, 0.5), u = uniform(R * P_MAX, 1), QKe = uniform(R * eMax * W, 0.5), ue = uniform(R * eMax, 1);
        DeviceBuffer out = dev(nan(R * (N_MAX + 1) * 4));
        k.metricDots(dev(new int[] {0, 1, 2, 3}).ptr(), R, dev(NS).ptr(), dev(E).ptr(), N_MAX, P_MAX, eMax, M, MK, dev(map).ptr(),
                dev(QK).ptr(), dev(u).ptr(), dev(QKe).ptr(), dev(ue).ptr(), out.ptr());
        float[] oh = get(out, R * (N_MAX + 1) * 4);
        for (int r = 0; r < R; r++) {
            int N = NS[r];
            double[] want = CpuPhases.metricDots(N, M, MK, E[r], slice(map, r * N_MAX * M, N * M), d(QK, r * P_MAX * W, P(r) * W),
                    d(u, r * P_MAX, P(r)), d(QKe, r * eMax * W, E[r] * W), d(ue, r * eMax, E[r]));
            int base = r * (N_MAX + 1) * 4;
            close("metric_dots run " + r + " samples", Arrays.copyOf(want, N * 4), oh, base, DOT_ATOL, DOT_RTOL);
            close("metric_dots run " + r + " probes", Arrays.copyOfRange(want, N * 4, N * 4 + 3), oh, base + N_MAX * 4, DOT_ATOL, DOT_RTOL);
        }
    }

    /**
     * gemm at the step's shape (Q|K −= η G [α|β] in place, per-run P, a run masked by go), then the
     * same launch for one run alone must give that run's result bit for bit (batch invariance); for
     * each GEMM kind ({@link GemmKind}: 3xTF32 within the same float32 tolerance as FP32, which
     * TF32 products without the two correction terms, ~2⁻¹¹ relative each, miss).
     */
    @ParameterizedTest
    @EnumSource(GemmKind.class)
    void gemmStep(GemmKind kind) {
        Kernels byKind = k.with(kind);
        int[] go = {1, 0, 1, 1}, P = new int[R];
        for (int r = 0; r < R; r++) P[r] = P(r);
        float[] G = uniform(R * P_MAX * P_MAX, 1), AB = uniform(R * P_MAX * W, 1), QK0 = uniform(R * P_MAX * W, 1);
        float[] eta = {0.1f, 0.2f, 0.05f, 0.3f};
        DeviceBuffer QK = dev(QK0), QKalone = dev(QK0), g = dev(G), ab = dev(AB), e = dev(eta), gob = dev(go), pb = dev(P);
        Operand a = new Operand(g.ptr(), (long) P_MAX * P_MAX, P_MAX), b = new Operand(ab.ptr(), (long) P_MAX * W, W);
        byKind.gemm(false, dev(new int[] {0, 1, 2, 3}).ptr(), R, gob.ptr(), pb.ptr(), pb.ptr(), P_MAX, P_MAX, W, a, b,
                Base.of(QK.ptr(), (long) P_MAX * W), new Operand(QK.ptr(), (long) P_MAX * W, W), e.ptr(), -1f);
        byKind.gemm(false, dev(new int[] {2}).ptr(), 1, gob.ptr(), pb.ptr(), pb.ptr(), P_MAX, P_MAX, W, a, b,
                Base.of(QKalone.ptr(), (long) P_MAX * W), new Operand(QKalone.ptr(), (long) P_MAX * W, W), e.ptr(), -1f);
        float[] got = get(QK, R * P_MAX * W), alone = get(QKalone, R * P_MAX * W);
        for (int r = 0; r < R; r++) {
            if (go[r] == 0) {
                untouched(kind.nn + " run " + r + " (go = 0) Q|K", QK0, got, r * P_MAX * W, P_MAX * W);
                continue;
            }
            double[] Gr = new double[P[r] * P[r]];
            for (int i = 0; i < P[r]; i++) for (int j = 0; j < P[r]; j++) Gr[i * P[r] + j] = G[r * P_MAX * P_MAX + i * P_MAX + j];
            double[] want = CpuPhases.gemm(false, Gr, d(AB, r * P_MAX * W, P[r] * W), d(QK0, r * P_MAX * W, P[r] * W), P[r], P[r], W,
                    -eta[r]);
            close(kind.nn + " run " + r + " Q|K", want, got, r * P_MAX * W, DOT_ATOL, DOT_RTOL);
        }
        untouched(kind.nn + " run 2 alone vs in the batch", got, alone, 2 * P_MAX * W, P(2) * W);
    }

    /**
     * gemm at the set-up shape (one run, B transposed: Q|K = T [W_Q; W_K]ᵀ) with d a multiple of 4
     * (float4 loads) and not (scalar loads), and at the metrics shape (Q|K(s) = Q|K(0)(s) + Te A_Q|K,
     * rows E_r and inner P_r per run), Q|K(0)(s) read as each run's slice of one of two groups'
     * unit arrays ({@link #GROUP}); for each GEMM kind.
     */
    @ParameterizedTest
    @EnumSource(GemmKind.class)
    void gemmSetUpAndMetrics(GemmKind kind) {
        Kernels byKind = k.with(kind);
        for (int d : new int[] {204, 203}) {
            int rows = P_MAX;
            float[] T = uniform(rows * d, 1), Wqk = uniform(W * d, 1);
            DeviceBuffer C = dev(nan(rows * W));
            byKind.gemm(true, null, 1, null, null, null, rows, d, W, new Operand(dev(T).ptr(), 0, d), new Operand(dev(Wqk).ptr(), 0, d),
                    null, new Operand(C.ptr(), 0, W), null, 1f);
            double[] want = CpuPhases.gemm(true, d(T, 0, rows * d), d(Wqk, 0, W * d), null, rows, d, W, 1);
            close(kind.nt + " d=" + d + " Q|K", want, get(C, rows * W), 0, DOT_ATOL, DOT_RTOL);
        }
        int[] E = {12, 5, 9, 7}, P = new int[R];
        for (int r = 0; r < R; r++) P[r] = P(r);
        int eMax = 12;
        float[] Te = uniform(R * eMax * P_MAX, 1), AQK = uniform(R * P_MAX * W, 1), QK0g = uniform(2 * eMax * W, 1);
        DeviceBuffer QKe = dev(nan(R * eMax * W)), pb = dev(P);
        byKind.gemm(false, dev(new int[] {0, 1, 2, 3}).ptr(), R, null, dev(E).ptr(), pb.ptr(), eMax, P_MAX, W,
                new Operand(dev(Te).ptr(), (long) eMax * P_MAX, P_MAX), new Operand(dev(AQK).ptr(), (long) P_MAX * W, W),
                groupSlice(dev(QK0g), (long) eMax * W, E), new Operand(QKe.ptr(), (long) eMax * W, W), null, 1f);
        float[] got = get(QKe, R * eMax * W);
        for (int r = 0; r < R; r++) {
            double[] Ter = new double[E[r] * P[r]];
            for (int i = 0; i < E[r]; i++) for (int j = 0; j < P[r]; j++) Ter[i * P[r] + j] = Te[r * eMax * P_MAX + i * P_MAX + j];
            double[] want = CpuPhases.gemm(false, Ter, d(AQK, r * P_MAX * W, P[r] * W), slice(QK0g, r, eMax * W, E[r], W), E[r], P[r],
                    W, 1);
            close(kind.nn + " run " + r + " Q|K(s)", want, got, r * eMax * W, DOT_ATOL, DOT_RTOL);
        }
    }

    /**
     * gemv batched at the metrics shape (u(s) = u(0)(s) + ‖w_O‖² Te c_V, rows E_r, inner P_r, u(0)(s)
     * read as each run's slice of its group's unit array), and at the set-up shapes: transposed
     * (v_O = W_Vᵀ w_O, one run) and not (u = T v_O, P_max rows of d).
     */
    @Test
    void gemv() {
        int[] E = {12, 5, 9, 7}, P = new int[R];
        for (int r = 0; r < R; r++) P[r] = P(r);
        int eMax = 12;
        float[] Te = uniform(R * eMax * P_MAX, 1), cV = uniform(R * P_MAX, 1), u0g = uniform(2 * eMax, 1), wo2 = {1.5f, 0.7f, 2.0f, 1.0f};
        DeviceBuffer ue = dev(nan(R * eMax));
        k.gemv(false, dev(new int[] {0, 1, 2, 3}).ptr(), R, dev(E).ptr(), dev(P).ptr(), eMax, P_MAX,
                new Operand(dev(Te).ptr(), (long) eMax * P_MAX, P_MAX), dev(cV).ptr(), P_MAX, groupSlice(dev(u0g), eMax, E), ue.ptr(), eMax,
                dev(wo2).ptr(), 1f);
        float[] got = get(ue, R * eMax);
        for (int r = 0; r < R; r++) {
            double[] Ter = new double[E[r] * P[r]];
            for (int i = 0; i < E[r]; i++) for (int j = 0; j < P[r]; j++) Ter[i * P[r] + j] = Te[r * eMax * P_MAX + i * P_MAX + j];
            double[] prod = CpuPhases.gemv(false, Ter, E[r], P[r], P[r], d(cV, r * P_MAX, P[r])), u0 = slice(u0g, r, eMax, E[r], 1);
            for (int i = 0; i < E[r]; i++) {
                close("gemv_n run " + r + " u(s)[" + i + "]", u0[i] + wo2[r] * prod[i], got[r * eMax + i], DOT_ATOL, DOT_RTOL);
            }
        }
        for (int d : new int[] {204, 203}) {
            float[] T = uniform(P_MAX * d, 1), vo = uniform(d, 1);
            DeviceBuffer u = dev(nan(P_MAX));
            k.gemv(false, null, 1, null, null, P_MAX, d, new Operand(dev(T).ptr(), 0, d), dev(vo).ptr(), 0, null, u.ptr(), 0, null, 1f);
            close("gemv_n d=" + d + " u", CpuPhases.gemv(false, d(T, 0, P_MAX * d), P_MAX, d, d, d(vo, 0, d)), get(u, P_MAX), 0, DOT_ATOL,
                    DOT_RTOL);
        }
        int d = 300;
        float[] Wv = uniform(MV * d, 1), wO = uniform(MV, 1);
        DeviceBuffer vo = dev(nan(d));
        k.gemv(true, null, 1, null, null, d, MV, new Operand(dev(Wv).ptr(), 0, d), dev(wO).ptr(), 0, null, vo.ptr(), 0, null, 1f);
        double[] want = CpuPhases.gemv(true, d(Wv, 0, MV * d), MV, d, d, d(wO, 0, MV));
        close("gemv_t v_O", want, get(vo, d), 0, DOT_ATOL, DOT_RTOL);
    }

    /**
     * Runs' groups and ‖μ‖ for products that add a family slice: runs 0 and 2 of one family (group
     * 0: the last two of their E_r rows are the probes; rows 0, 1 and the probes times ‖μ‖), runs 1
     * and 3 reading group 1 as runs that are their own unit do (no probes, μ = 1), with other E_r.
     */
    private static final int[] GROUP = {0, 1, 0, 1};
    private static final float[] MU = {2.5f, 1f, 0.4f, 1f};
    private static final boolean[] FAMILY = {true, false, true, false};

    /** The units of {@link #GROUP} in {@code units} (group g at g·stride) as runs with E_r rows read them. */
    private Base groupSlice(DeviceBuffer units, long stride, int[] E) {
        int[] unit = new int[R];
        for (int r = 0; r < R; r++) unit[r] = E[r] - (FAMILY[r] ? 2 : 0);
        return new Base(units.ptr(), stride, dev(GROUP).ptr(), dev(unit).ptr(), dev(MU).ptr());
    }

    /**
     * Run r's slice of its group's unit array, E rows of {@code cols}, as family_slice.cu defines it:
     * rows past E − 2 of a family run are rows 0, 1 again (the probes), rows 0, 1 times ‖μ‖ rounded
     * to float32.
     */
    private static double[] slice(float[] units, int r, int stride, int E, int cols) {
        double[] out = new double[E * cols];
        for (int i = 0; i < E; i++) {
            int si = FAMILY[r] && i >= E - 2 ? i - (E - 2) : i;
            for (int j = 0; j < cols; j++) {
                float v = units[GROUP[r] * stride + si * cols + j];
                out[i * cols + j] = si < 2 ? MU[r] * v : v;
            }
        }
        return out;
    }

    /** A launch the driver refuses (more shared memory than any device has) names its kernel. */
    @Test
    void aFailedLaunchNamesItsKernel() {
        int hugeM = 300;   // attention_forward's dynamic shared memory grows as M²: ~440 KB here
        CudaException e = org.junit.jupiter.api.Assertions.assertThrows(CudaException.class, () -> k.attentionForward(
                dev(new int[] {0}).ptr(), 1, dev(new int[] {1}).ptr(), 1, hugeM, MK, dev(new int[hugeM]).ptr(),
                dev(new float[W]).ptr(), 0, dev(new float[1]).ptr(), 0, dev(new float[1]).ptr(), dev(new int[1]).ptr(),
                dev(new int[] {1}).ptr(), null, dev(new float[1]).ptr(), null, null, null, null, null));
        assertTrue(e.getMessage().startsWith("kernel attention_forward failed"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}
