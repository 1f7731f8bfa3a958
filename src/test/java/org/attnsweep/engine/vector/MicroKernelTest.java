package org.attnsweep.engine.vector;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attnsweep.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The micro-kernels of KernelsF32 and the generated KernelsF64 (dot, axpy, gemm, gather, scores, and the
 * direct form's rowPanel, softmaxColumns, gatherRowsTo with VectorExp) against
 * plain float64 loops at awkward sizes, so that every vector body, register block and scalar tail
 * runs: 1, 3, 7, 13 (below one vector), 16, 17, 31, 33 (around one or two 16-float vectors),
 * 127, 257 (many vectors plus a tail).
 *
 * <p>Tolerance: any summation order of n products obeys |fl(Σ) − Σ| ≤ γ_n·Σ|terms| with
 * γ_n ≈ n·u (Higham, Accuracy and Stability, §3.1), u the unit roundoff of the kernel's precision.
 * Each check allows {@link #SAFETY}·(n + 2)·u·Σ|terms| — the +2 for the final scale-and-add into
 * the output — which is rigorous for the kernels and still ~1e3× tighter than any indexing
 * error, which shows up as an O(1) fraction of Σ|terms|.
 */
class MicroKernelTest {
    private static final int[] SIZES = {1, 3, 7, 13, 16, 17, 31, 33, 127, 257};
    /** Slack over the first-order γ_n bound (second-order terms, and the float64 reference's own rounding). */
    private static final double SAFETY = 2;
    /** Sentinel for entries a kernel must not touch. */
    private static final double UNTOUCHED = -123456.75; // exact in float32 too

    /** One precision's kernels, in float64 terms: float32 rounds its inputs first (and they are then exact). */
    private interface Kernels {
        double u();

        double dot(double[] a, int ia, double[] b, int ib, int n);

        void axpy(double a, double[] x, int ix, double[] y, int iy, int n);

        void axpyClear(double a, double[] x, double[] y, int n);

        void gemm(double[] C, double a, double[] A, double[] B, int rows, int inner, int cols);

        void gemm(double[] C, double a, double[] A, int ia, int lda, double[] B, int ib, int rows, int inner, int cols);

        void gather(double[] out, int o, double[] coef, int c, int stride, double[] src, int[] map, int mo, int M, int m);

        void gatherRows(double[] out, double[] coef, int rowStep, int stride, double[] src, int[] map, int mo, int M, int m);

        /** gatherRows into P rows held tile-major at the kernels' tile width. */
        void gatherRowsTiled(double[] out, int P, double[] coef, int rowStep, int stride, double[] src, int[] map, int mo, int M, int m);

        /** The offset of element (j, c) of a P×m matrix held tile-major at the kernels' tile width. */
        int tiledAt(int j, int c, int P, int m);

        void scores(double[] Z, int zRow, double[] Q, double[] K, int[] map, int mo, int M, int mk);

        /** Lanes of one vector. */
        int lanes();

        void rowPanel(double[] C, int c0, double[] A, int[] map, int mo, int rs, int ks, double[] B, int b0, int ldb, int rows, int inner, int cols);

        double softmaxColumns(double[] Z, int z0, double[] u, int uo, int M, int w, double[] ub, int ubo);

        double softmaxRow(double[] z, int row, int M, double[] u, int[] map, int mo);

        void gatherRowsTo(double[] out, int o, double[] coef, int rowStep, int stride, double[] src, int[] map, int mo, int M, int m);

        /** VectorExp.exp of x, a whole number of vectors. */
        double[] exp(double[] x);
    }

    private static final Kernels F32 = new Kernels() {
        public double u() {
            return 0x1p-24;
        }

        public double dot(double[] a, int ia, double[] b, int ib, int n) {
            return KernelsF32.dot(f(a), ia, f(b), ib, n);
        }

        public void axpy(double a, double[] x, int ix, double[] y, int iy, int n) {
            float[] yf = f(y);
            KernelsF32.axpy((float) a, f(x), ix, yf, iy, n);
            for (int i = 0; i < y.length; i++) y[i] = yf[i];
        }

        public void axpyClear(double a, double[] x, double[] y, int n) {
            float[] xf = f(x), yf = f(y);
            KernelsF32.axpyClear((float) a, xf, yf, n);
            for (int i = 0; i < x.length; i++) x[i] = xf[i];
            for (int i = 0; i < y.length; i++) y[i] = yf[i];
        }

        public void gemm(double[] C, double a, double[] A, double[] B, int rows, int inner, int cols) {
            float[] cf = f(C);
            KernelsF32.gemm(cf, (float) a, f(A), f(B), rows, inner, cols);
            for (int i = 0; i < C.length; i++) C[i] = cf[i];
        }

        public void gemm(double[] C, double a, double[] A, int ia, int lda, double[] B, int ib, int rows, int inner, int cols) {
            float[] cf = f(C);
            KernelsF32.gemm(cf, (float) a, f(A), ia, lda, f(B), ib, rows, inner, cols);
            for (int i = 0; i < C.length; i++) C[i] = cf[i];
        }

        public void gather(double[] out, int o, double[] coef, int c, int stride, double[] src, int[] map, int mo, int M, int m) {
            float[] of = f(out);
            KernelsF32.gather(of, o, f(coef), c, stride, f(src), map, mo, M, m);
            for (int i = 0; i < out.length; i++) out[i] = of[i];
        }

        public void gatherRows(double[] out, double[] coef, int rowStep, int stride, double[] src, int[] map, int mo, int M, int m) {
            float[] of = f(out);
            KernelsF32.gatherRows(of, f(coef), rowStep, stride, f(src), map, mo, M, m);
            for (int i = 0; i < out.length; i++) out[i] = of[i];
        }

        public void gatherRowsTiled(double[] out, int P, double[] coef, int rowStep, int stride, double[] src, int[] map, int mo, int M, int m) {
            float[] of = f(out);
            KernelsF32.gatherRowsTiled(of, P, f(coef), rowStep, stride, f(src), map, mo, M, m);
            for (int i = 0; i < out.length; i++) out[i] = of[i];
        }

        public int tiledAt(int j, int c, int P, int m) {
            return GemmF32.tiledAt(j, c, P, m, KernelsF32.W);
        }

        public void scores(double[] Z, int zRow, double[] Q, double[] K, int[] map, int mo, int M, int mk) {
            float[] zf = f(Z);
            KernelsF32.sampleScores(zf, zRow, f(Q), f(K), map, mo, M, mk, new float[KernelsF32.scoresScratch(M, mk)]);
            for (int i = 0; i < Z.length; i++) Z[i] = zf[i];
        }

        public int lanes() {
            return KernelsF32.L;
        }

        public void rowPanel(double[] C, int c0, double[] A, int[] map, int mo, int rs, int ks, double[] B, int b0, int ldb, int rows, int inner, int cols) {
            float[] cf = f(C);
            KernelsF32.rowPanel(cf, c0, f(A), map, mo, rs, ks, f(B), b0, ldb, rows, inner, cols);
            for (int i = 0; i < C.length; i++) C[i] = cf[i];
        }

        public double softmaxColumns(double[] Z, int z0, double[] u, int uo, int M, int w, double[] ub, int ubo) {
            float[] zf = f(Z), uf = f(ub);
            float total = KernelsF32.softmaxColumns(zf, z0, f(u), uo, M, w, uf, ubo);
            for (int i = 0; i < Z.length; i++) Z[i] = zf[i];
            for (int i = 0; i < ub.length; i++) ub[i] = uf[i];
            return total;
        }

        public double softmaxRow(double[] z, int row, int M, double[] u, int[] map, int mo) {
            float[] zf = f(z);
            float ub = KernelsF32.softmaxRow(zf, row, M, f(u), map, mo);
            for (int i = 0; i < z.length; i++) z[i] = zf[i];
            return ub;
        }

        public void gatherRowsTo(double[] out, int o, double[] coef, int rowStep, int stride, double[] src, int[] map, int mo, int M, int m) {
            float[] of = f(out);
            KernelsF32.gatherRowsTo(of, o, f(coef), rowStep, stride, f(src), map, mo, M, m);
            for (int i = 0; i < out.length; i++) out[i] = of[i];
        }

        public double[] exp(double[] x) {
            float[] xf = f(x);
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i += KernelsF32.L) {
                float[] lanes = VectorExp.exp(jdk.incubator.vector.FloatVector.fromArray(KernelsF32.S, xf, i)).toArray();
                for (int j = 0; j < lanes.length; j++) out[i + j] = lanes[j];
            }
            return out;
        }

        private static float[] f(double[] x) {
            float[] out = new float[x.length];
            for (int i = 0; i < x.length; i++) out[i] = (float) x[i];
            return out;
        }

        @Override
        public String toString() {
            return "float32";
        }
    };

    private static final Kernels F64 = new Kernels() {
        public double u() {
            return 0x1p-53;
        }

        public double dot(double[] a, int ia, double[] b, int ib, int n) {
            return KernelsF64.dot(a, ia, b, ib, n);
        }

        public void axpy(double a, double[] x, int ix, double[] y, int iy, int n) {
            KernelsF64.axpy(a, x, ix, y, iy, n);
        }

        public void axpyClear(double a, double[] x, double[] y, int n) {
            KernelsF64.axpyClear(a, x, y, n);
        }

        public void gemm(double[] C, double a, double[] A, double[] B, int rows, int inner, int cols) {
            KernelsF64.gemm(C, a, A, B, rows, inner, cols);
        }

        public void gemm(double[] C, double a, double[] A, int ia, int lda, double[] B, int ib, int rows, int inner, int cols) {
            KernelsF64.gemm(C, a, A, ia, lda, B, ib, rows, inner, cols);
        }

        public void gather(double[] out, int o, double[] coef, int c, int stride, double[] src, int[] map, int mo, int M, int m) {
            KernelsF64.gather(out, o, coef, c, stride, src, map, mo, M, m);
        }

        public void gatherRows(double[] out, double[] coef, int rowStep, int stride, double[] src, int[] map, int mo, int M, int m) {
            KernelsF64.gatherRows(out, coef, rowStep, stride, src, map, mo, M, m);
        }

        public void gatherRowsTiled(double[] out, int P, double[] coef, int rowStep, int stride, double[] src, int[] map, int mo, int M, int m) {
            KernelsF64.gatherRowsTiled(out, P, coef, rowStep, stride, src, map, mo, M, m);
        }

        public int tiledAt(int j, int c, int P, int m) {
            return GemmF64.tiledAt(j, c, P, m, KernelsF64.W);
        }

        public void scores(double[] Z, int zRow, double[] Q, double[] K, int[] map, int mo, int M, int mk) {
            KernelsF64.sampleScores(Z, zRow, Q, K, map, mo, M, mk, new double[KernelsF64.scoresScratch(M, mk)]);
        }

        public int lanes() {
            return KernelsF64.L;
        }

        public void rowPanel(double[] C, int c0, double[] A, int[] map, int mo, int rs, int ks, double[] B, int b0, int ldb, int rows, int inner, int cols) {
            KernelsF64.rowPanel(C, c0, A, map, mo, rs, ks, B, b0, ldb, rows, inner, cols);
        }

        public double softmaxColumns(double[] Z, int z0, double[] u, int uo, int M, int w, double[] ub, int ubo) {
            return KernelsF64.softmaxColumns(Z, z0, u, uo, M, w, ub, ubo);
        }

        public double softmaxRow(double[] z, int row, int M, double[] u, int[] map, int mo) {
            return KernelsF64.softmaxRow(z, row, M, u, map, mo);
        }

        public void gatherRowsTo(double[] out, int o, double[] coef, int rowStep, int stride, double[] src, int[] map, int mo, int M, int m) {
            KernelsF64.gatherRowsTo(out, o, coef, rowStep, stride, src, map, mo, M, m);
        }

        public double[] exp(double[] x) {
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i += KernelsF64.L) {
                VectorExp.exp(jdk.incubator.vector.DoubleVector.fromArray(KernelsF64.S, x, i)).intoArray(out, i);
            }
            return out;
        }

        @Override
        public String toString() {
            return "float64";
        }
    };

    static Stream<Arguments> precisions() {
        return Stream.of(Arguments.of(F32), Arguments.of(F64));
    }

    /** Values in [−1, 1] rounded to float32, so both precisions see exactly the same inputs. */
    private static double[] random(SplittableRandom rnd, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = (float) (2 * rnd.nextDouble() - 1);
        return x;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void dotMatchesPlainLoop(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int n : SIZES) {
            for (int rep = 0; rep < 4; rep++) {
                int ia = rnd.nextInt(5), ib = rnd.nextInt(5);
                double[] a = random(rnd, ia + n + rnd.nextInt(3)), b = random(rnd, ib + n + rnd.nextInt(3));
                double exact = 0, abs = 0;
                for (int i = 0; i < n; i++) {
                    exact += a[ia + i] * b[ib + i];
                    abs += Math.abs(a[ia + i] * b[ib + i]);
                }
                double atol = SAFETY * (n + 2) * k.u() * abs;
                Fixtures.assertClose(exact, k.dot(a, ia, b, ib, n), atol, 0,
                        () -> k + " dot n=" + n + " ia=" + ia + " ib=" + ib + tag(seed));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void axpyMatchesPlainLoopAndStaysInRange(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int n : SIZES) {
            int ix = rnd.nextInt(5), iy = rnd.nextInt(5), pad = 1 + rnd.nextInt(3);
            double a = (float) (4 * rnd.nextDouble() - 2);
            double[] x = random(rnd, ix + n + pad);
            double[] y = new double[iy + n + pad];
            java.util.Arrays.fill(y, UNTOUCHED);
            double[] y0 = random(rnd, n);
            System.arraycopy(y0, 0, y, iy, n);
            k.axpy(a, x, ix, y, iy, n);
            for (int i = 0; i < y.length; i++) {
                int ii = i;
                if (i < iy || i >= iy + n) {
                    assertEquals(UNTOUCHED, y[i], () -> k + " axpy n=" + n + " wrote outside [iy, iy+n) at " + ii + tag(seed));
                    continue;
                }
                double exact = y0[i - iy] + a * x[ix + i - iy];
                double atol = SAFETY * 2 * k.u() * (Math.abs(y0[i - iy]) + Math.abs(a * x[ix + i - iy]));
                Fixtures.assertClose(exact, y[i], atol, 0, () -> k + " axpy n=" + n + " entry " + ii + tag(seed));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void gemmMatchesPlainLoopAtAwkwardShapes(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int rows : SIZES) {
            for (int inner : SIZES) {
                for (int cols : SIZES) {
                    double a = (float) (2 * rnd.nextDouble() - 1);
                    double[] A = random(rnd, rows * inner), B = random(rnd, inner * cols), C0 = random(rnd, rows * cols);
                    double[] C = C0.clone();
                    k.gemm(C, a, A, B, rows, inner, cols);
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < cols; c++) {
                            double s = 0, abs = 0;
                            for (int i = 0; i < inner; i++) {
                                s += A[r * inner + i] * B[i * cols + c];
                                abs += Math.abs(A[r * inner + i] * B[i * cols + c]);
                            }
                            int at = r * cols + c;
                            double atol = SAFETY * (inner + 2) * k.u() * (Math.abs(a) * abs + Math.abs(C0[at]));
                            int rr = r, cc = c;
                            Fixtures.assertClose(C0[at] + a * s, C[at], atol, 0, () -> k + " gemm rows=" + rows + " inner=" + inner
                                    + " cols=" + cols + " a=" + a + " at C[" + rr + "][" + cc + "]" + tag(seed));
                        }
                    }
                }
            }
        }
    }

    /**
     * The GEMM on blocks of the inner index (A from column offset ia of rows lda apart, B from row
     * offset ib), as the direct form sums Tᵀα: block by block it must give the whole product, each
     * block adding its own rounding, so the bound counts inner + 2 per block.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void gemmInBlocksOfInnerMatchesPlainLoop(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int rows : new int[] {1, 7, 13}) {
            for (int inner : new int[] {1, 31, 257}) {
                for (int cols : new int[] {3, 33, 64, 127}) {
                    int block = 1 + rnd.nextInt(inner + 2), blocks = (inner + block - 1) / block;
                    double a = (float) (2 * rnd.nextDouble() - 1);
                    double[] A = random(rnd, rows * inner), B = random(rnd, inner * cols), C0 = random(rnd, rows * cols);
                    double[] C = C0.clone();
                    for (int p0 = 0; p0 < inner; p0 += block) k.gemm(C, a, A, p0, inner, B, p0 * cols, rows, Math.min(block, inner - p0), cols);
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < cols; c++) {
                            double s = 0, abs = 0;
                            for (int i = 0; i < inner; i++) {
                                s += A[r * inner + i] * B[i * cols + c];
                                abs += Math.abs(A[r * inner + i] * B[i * cols + c]);
                            }
                            int at = r * cols + c;
                            double atol = SAFETY * (inner + 2 * blocks) * k.u() * (Math.abs(a) * abs + Math.abs(C0[at]));
                            int rr = r, cc = c;
                            Fixtures.assertClose(C0[at] + a * s, C[at], atol, 0, () -> k + " gemm in blocks of " + block + " rows=" + rows
                                    + " inner=" + inner + " cols=" + cols + " at C[" + rr + "][" + cc + "]" + tag(seed));
                        }
                    }
                }
            }
        }
    }

    /** Tokens per sample for the gather and scores tests: 1, around the 2×4 score block, and M = 16. */
    private static final int[] TOKENS = {1, 2, 3, 5, 8, 16};

    /**
     * gather: out[o..o+m) += Σ_t coef[c + t·stride]·src[map[mo+t]·m ..+m) over one sample's M rows
     * (rows of a token table repeated, as a signal token is), with stride 1 (a row of D) and M (a
     * column); nothing outside [o, o+m) is written.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void gatherMatchesPlainLoopAndStaysInRange(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int m : SIZES) {
            for (int M : TOKENS) {
                for (int stride : new int[] {1, M}) {
                    int P = 1 + rnd.nextInt(2 * M), mo = rnd.nextInt(4), c = rnd.nextInt(3);
                    int[] map = new int[mo + M];
                    for (int t = 0; t < map.length; t++) map[t] = rnd.nextInt(P);
                    double[] src = random(rnd, P * m), coef = random(rnd, c + (M - 1) * stride + 1);
                    int rows = 1 + rnd.nextInt(3), o = rnd.nextInt(rows) * m + rnd.nextInt(2);
                    double[] out = new double[rows * m + 2];
                    java.util.Arrays.fill(out, UNTOUCHED);
                    double[] out0 = random(rnd, m);
                    System.arraycopy(out0, 0, out, o, m);
                    k.gather(out, o, coef, c, stride, src, map, mo, M, m);
                    for (int i = 0; i < out.length; i++) {
                        int ii = i;
                        String what = k + " gather m=" + m + " M=" + M + " stride=" + stride + " o=" + o;
                        if (i < o || i >= o + m) {
                            assertEquals(UNTOUCHED, out[i], () -> what + " wrote outside [o, o+m) at " + ii + tag(seed));
                            continue;
                        }
                        double exact = out0[i - o], abs = Math.abs(exact);
                        for (int t = 0; t < M; t++) {
                            double term = coef[c + t * stride] * src[map[mo + t] * m + i - o];
                            exact += term;
                            abs += Math.abs(term);
                        }
                        Fixtures.assertClose(exact, out[i], SAFETY * (M + 2) * k.u() * abs, 0, () -> what + " entry " + ii + tag(seed));
                    }
                }
            }
        }
    }

    /**
     * axpyClear, the span update's A −= ηα folded into the reset of α, against axpy then zeroing
     * x's first n entries, bit for bit in both arrays (x and y one entry longer than n, which must
     * stay as they were), at every size's vector body and tail.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void axpyClearIsAxpyThenZeroBitForBit(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int n : SIZES) {
            double a = (float) (2 * rnd.nextDouble() - 1);
            double[] x = random(rnd, n + 1), y = random(rnd, n + 1);
            double[] wantX = x.clone(), wantY = y.clone();
            k.axpy(a, wantX, 0, wantY, 0, n);
            java.util.Arrays.fill(wantX, 0, n, 0);
            k.axpyClear(a, x, y, n);
            for (int i = 0; i <= n; i++) {
                int ii = i;
                assertEquals(Double.doubleToRawLongBits(wantY[i]), Double.doubleToRawLongBits(y[i]),
                        () -> k + " axpyClear n=" + n + ": y[" + ii + "] differs from axpy's" + tag(seed));
                assertEquals(Double.doubleToRawLongBits(wantX[i]), Double.doubleToRawLongBits(x[i]),
                        () -> k + " axpyClear n=" + n + ": x[" + ii + "] is not axpy's x then zeroed" + tag(seed));
            }
        }
    }

    /**
     * gatherRows, the step's gather of all M output rows of a sample four at a time, against M calls
     * of the one-row gather it replaces, bit for bit (the whole output array, so nothing else is
     * written either): both orientations (rows of D: rowStep M, stride 1; columns: rowStep 1,
     * stride M), M = 2..16 (groups of four and the M mod 4 rest), ragged widths (every vector block
     * and scalar tail of both kernels), and maps with repeated tokens (P small against M, so groups
     * of four with a token twice fall back to row by row and rows of one token add in order).
     * gatherRowsTiled, the span form's, likewise into the same rows held tile-major (every
     * element in its place by GemmF*.tiledAt, nothing written past them).
     * Floats converted to double and back are exact, so equality here is equality of the kernel's bits.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void gatherRowsMatchesRowByRowGatherBitForBit(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int trial = 0; trial < 200; trial++) {
            // A third of the widths whole blocks of 4 vectors (m_k = 128, 256, 512, ...), which take gatherRows' wide block.
            int M = 2 + rnd.nextInt(15), m = trial % 3 == 0 ? 4 * k.lanes() * (1 + rnd.nextInt(4)) : SIZES[rnd.nextInt(SIZES.length)] + rnd.nextInt(3);
            boolean rows = rnd.nextBoolean();
            int rowStep = rows ? M : 1, stride = rows ? 1 : M;
            // P from 1 (every token the same) to 2M (mostly distinct), and sometimes a map of distinct tokens.
            int P = 1 + rnd.nextInt(2 * M), mo = rnd.nextInt(4);
            int[] map = new int[mo + M];
            for (int t = 0; t < map.length; t++) map[t] = rnd.nextInt(P);
            if (rnd.nextInt(3) == 0) {
                P = mo + M;
                for (int t = 0; t < map.length; t++) map[t] = map.length - 1 - t;
            }
            double[] src = random(rnd, P * m), coef = random(rnd, M * M);
            double[] want = random(rnd, P * m + 1), got = want.clone();
            for (int r = 0; r < M; r++) k.gather(want, map[mo + r] * m, coef, r * rowStep, stride, src, map, mo, M, m);
            double[] tiles = new double[want.length];
            tiles[P * m] = got[P * m];
            for (int j = 0; j < P; j++) for (int c = 0; c < m; c++) tiles[k.tiledAt(j, c, P, m)] = got[j * m + c];
            k.gatherRows(got, coef, rowStep, stride, src, map, mo, M, m);
            k.gatherRowsTiled(tiles, P, coef, rowStep, stride, src, map, mo, M, m);
            String what = k + " gatherRows M=" + M + " m=" + m + " P=" + P + " rowStep=" + rowStep + " stride=" + stride
                    + " map=" + java.util.Arrays.toString(map) + tag(seed);
            for (int i = 0; i < want.length; i++) {
                int ii = i;
                assertEquals(Double.doubleToRawLongBits(want[i]), Double.doubleToRawLongBits(got[i]),
                        () -> what + ": entry " + ii + " differs: " + got[ii] + " vs the row-by-row " + want[ii]);
            }
            for (int j = 0; j < P; j++) {
                for (int c = 0; c < m; c++) {
                    int jj = j, cc = c, at = k.tiledAt(j, c, P, m);
                    assertEquals(Double.doubleToRawLongBits(want[j * m + c]), Double.doubleToRawLongBits(tiles[at]),
                            () -> what + ": tile-major (" + jj + ", " + cc + ") at " + at + " differs: " + tiles[at] + " vs the row-by-row " + want[jj * m + cc]);
                }
            }
            assertEquals(Double.doubleToRawLongBits(want[P * m]), Double.doubleToRawLongBits(tiles[P * m]), () -> what + ": tile-major wrote past its P rows");
        }
    }

    /**
     * sampleScores: a sample's M×M logits z_la = q_{j_l}·k_{j_a} by 2×4 blocks (l even, a a
     * multiple of 4, past M − 1 clipped): each logit
     * equal bit for bit to {@code dot} of the same rows (the kernel promises dot's summation order,
     * so the two forms' logits repeat each other), within the γ_n bound of the exact product, and
     * nothing written outside the sample's M×M block.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void scoresEqualDotAndStayInTheSample(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int mk : SIZES) {
            for (int M : TOKENS) checkScores(k, M, mk, rnd, seed);
        }
    }

    /**
     * sampleScores with the keys by lanes (KernelsF32.KEY_LANES: 16 lanes, M ≥ 8; other widths
     * and float64 take the 2×4 blocks, checked the same): every M around a 16-key vector and past
     * one (a second vector of keys, 8-query blocks cut short), each logit dot's bit for bit. It
     * fails when a chain of c_{l,r} is summed out of r's order, the tail is fused into the chains,
     * or a transposed key is misplaced.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void scoresByKeyLanesEqualDot(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int mk : SIZES) {
            for (int M : new int[] {7, 8, 9, 12, 15, 17, 24, 31, 33}) checkScores(k, M, mk, rnd, seed);
        }
    }

    /** One random sample's scores of M tokens at width mk against dot, and nothing written outside its M×M block. */
    private static void checkScores(Kernels k, int M, int mk, SplittableRandom rnd, long seed) {
        int P = 1 + rnd.nextInt(2 * M), mo = rnd.nextInt(4), zRow = rnd.nextInt(3);
        int[] map = new int[mo + M];
        for (int t = 0; t < map.length; t++) map[t] = rnd.nextInt(P);
        double[] Q = random(rnd, P * mk), K = random(rnd, P * mk);
        double[] Z = new double[(zRow + M + 1) * M];
        java.util.Arrays.fill(Z, UNTOUCHED);
        k.scores(Z, zRow, Q, K, map, mo, M, mk);
        for (int i = 0; i < Z.length; i++) {
            int row = i / M - zRow, col = i % M;
            String what = k + " scores m_k=" + mk + " M=" + M + " zRow=" + zRow + " at row " + row + " col " + col;
            if (row < 0 || row >= M) {
                assertEquals(UNTOUCHED, Z[i], () -> what + ": written outside the sample" + tag(seed));
                continue;
            }
            int q = map[mo + row] * mk, kk = map[mo + col] * mk;
            assertEquals(k.dot(Q, q, K, kk, mk), Z[i], () -> what + ": differs from dot" + tag(seed));
            double exact = 0, abs = 0;
            for (int j = 0; j < mk; j++) {
                exact += Q[q + j] * K[kk + j];
                abs += Math.abs(Q[q + j] * K[kk + j]);
            }
            Fixtures.assertClose(exact, Z[i], SAFETY * (mk + 2) * k.u() * abs, 0, () -> what + tag(seed));
        }
    }

    /**
     * VectorExp's error in units of the result's precision (u = half an ulp): float32's Cody–Waite
     * reduction and degree-7 polynomial stay within a few ulp of e^x (the remainder is 5e-9
     * relative, the rest is Horner's rounding); float64 is Math.exp itself, within 1 ulp. 8u leaves
     * room over both and is still ~10⁵× tighter than a wrong coefficient or exponent (an error of 2^−16
     * or more).
     */
    private static final double EXP_U = 8;

    /**
     * VectorExp.exp against Math.exp over the softmax's arguments x ≤ 0: random x in [−87, 0] (whole
     * vectors), the ends 0 and −87, tiny arguments, a clamped one (float32: below −87 the result is
     * e^−87, which no softmax sum can tell from 0), and NaN, which must stay NaN.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void expMatchesMathExp(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int L = k.lanes();
        double[] x = new double[64 * L];
        for (int i = 0; i < x.length; i++) x[i] = (float) (-87 * rnd.nextDouble());
        x[0] = 0;
        x[1] = -87;
        x[2] = -1e-7;
        x[3] = (float) -Math.log(2) / 2;
        double[] got = k.exp(x);
        for (int i = 0; i < x.length; i++) {
            double want = Math.exp(x[i]);
            int ii = i;
            Fixtures.assertClose(want, got[i], 0, EXP_U * k.u(), () -> k + " exp(" + x[ii] + ")" + tag(seed));
        }
        double[] odd = new double[L];
        java.util.Arrays.fill(odd, -1000);
        odd[0] = Double.NaN;
        double[] o = k.exp(odd);
        assertEquals(true, Double.isNaN(o[0]), () -> k + " exp(NaN) = " + o[0]);
        for (int i = 1; i < L; i++) {
            int ii = i;
            assertEquals(true, o[i] >= 0 && o[i] <= 1.7e-38, () -> k + " exp(-1000) = " + o[ii] + ", not within [0, e^-87]");
        }
    }

    /**
     * rowPanel: C = A_rows·B, its coefficient rows picked through a map or, from row mo on, read with a stride, every
     * output row count (whole and partial register blocks), inner sizes from SIZES, one to three
     * vectors wide, B's rows as far apart as C's or closer (a vector then reads on into B's next row,
     * as the direct form's transposed samples are read): each element within the γ_n bound of the
     * exact product, nothing outside the rows × cols block written.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void rowPanelMatchesPlainLoop(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int L = k.lanes();
        for (int trial = 0; trial < 120; trial++) {
            int rows = 1 + rnd.nextInt(20), inner = SIZES[rnd.nextInt(SIZES.length)], cols = L * (1 + rnd.nextInt(3));
            boolean mapped = rnd.nextBoolean();
            int P = rows + rnd.nextInt(5), mo = rnd.nextInt(3);
            int[] map = new int[mo + rows];
            for (int t = 0; t < map.length; t++) map[t] = rnd.nextInt(P);
            // mapped: rows of A are tokens of length inner (ks = 1); else columns mo.. of a wider matrix (rs = 1, ks = mo + rows + pad).
            int rs = mapped ? inner : 1, ks = mapped ? 1 : mo + rows + rnd.nextInt(3);
            int b0 = rnd.nextInt(2), c0 = rnd.nextInt(3), ldb = rnd.nextBoolean() ? cols : 1 + rnd.nextInt(cols);
            double[] A = random(rnd, mapped ? P * inner : inner * ks), B = random(rnd, b0 + (inner - 1) * ldb + cols + 1);
            double[] C = new double[c0 + rows * cols + 2];
            java.util.Arrays.fill(C, UNTOUCHED);
            k.rowPanel(C, c0, A, mapped ? map : null, mo, rs, ks, B, b0, ldb, rows, inner, cols);
            String what = k + " rowPanel rows=" + rows + " inner=" + inner + " cols=" + cols + " ldb=" + ldb + " mapped=" + mapped + tag(seed);
            for (int i = 0; i < C.length; i++) {
                int ii = i;
                if (i < c0 || i >= c0 + rows * cols) {
                    assertEquals(UNTOUCHED, C[i], () -> what + ": entry " + ii + " outside the block written");
                    continue;
                }
                int r = (i - c0) / cols, c = (i - c0) % cols, row = (mapped ? map[mo + r] : mo + r) * rs;
                double exact = 0, abs = 0;
                for (int kk = 0; kk < inner; kk++) {
                    double t = A[row + kk * ks] * B[b0 + kk * ldb + c];
                    exact += t;
                    abs += Math.abs(t);
                }
                Fixtures.assertClose(exact, C[i], SAFETY * (inner + 2) * k.u() * abs, 0, () -> what + " at row " + r + " col " + c);
            }
        }
    }

    /**
     * softmaxColumns: a sample's logits by columns (z_la at a·w + l) over keys a < M for every lane l < w
     * (w = M padded to whole vectors, sometimes a vector more): s_la = e^(z_la − max_a z)/Σ_a against a
     * float64 loop, ū_l = Σ_a s_la u_{j_a} (u by occurrence), the returned Σ_{l<M} ū_l, and nothing outside the sample's
     * M×w block and ū's w lanes written. Logits in [−30, 30], so some e^(z − max) underflow far
     * below the others. Tolerances: s_la within (M + 2 + EXP_U + |x_a| + x̄)·u relative, x_a = z_la − max:
     * each e within EXP_U·u, plus |x_a|·u from x_a itself rounded in the kernel's precision (e^x
     * turns an absolute error in x into a relative one), x̄ = Σ e_a|x_a| / Σ e_a for the same in the
     * sum, its γ_M and the division; ū (and the total) within that times Σ|s_a u_a| plus their own
     * (M + 2)·u·Σ|terms|. softmaxRow, the row form the span step and the evaluation take (one
     * query's logits in a row, VectorExp L keys at a time, the last vector masked), is held to the same on each lane's logits laid out as a row
     * at an offset, and must write nothing outside that row.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void softmaxColumnsAndRowMatchPlainLoop(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int L = k.lanes();
        for (int M : TOKENS) {
            for (int extra = 0; extra < 2; extra++) {
                int w = (M + L - 1) / L * L + extra * L, z0 = rnd.nextInt(3), ubo = rnd.nextInt(3), P = 1 + rnd.nextInt(2 * M), mo = rnd.nextInt(3);
                int[] map = new int[mo + M];
                for (int t = 0; t < map.length; t++) map[t] = rnd.nextInt(P);
                double[] Z = new double[z0 + M * w + 2], u = random(rnd, P), ub = new double[ubo + w + 2];
                java.util.Arrays.fill(Z, UNTOUCHED);
                java.util.Arrays.fill(ub, UNTOUCHED);
                for (int i = 0; i < M * w; i++) Z[z0 + i] = (float) (60 * rnd.nextDouble() - 30);
                double[] in = Z.clone();
                // softmaxColumns takes the sample's values by occurrence (u_{j_a} at mo + a), softmaxRow through map
                double[] uOcc = new double[mo + M];
                for (int a = 0; a < M; a++) uOcc[mo + a] = u[map[mo + a]];
                double total = k.softmaxColumns(Z, z0, uOcc, mo, M, w, ub, ubo);
                String what = k + " softmaxColumns M=" + M + " w=" + w + tag(seed);
                double wantTotal = 0, totalAbs = 0;   // totalAbs: the total's tolerance, each ū's plus its add
                for (int l = 0; l < w; l++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0, xbar = 0;
                    for (int a = 0; a < M; a++) max = Math.max(max, in[z0 + a * w + l]);
                    for (int a = 0; a < M; a++) {
                        double x = in[z0 + a * w + l] - max;
                        sum += Math.exp(x);
                        xbar += Math.exp(x) * -x;
                    }
                    xbar /= sum;
                    int r0 = rnd.nextInt(3);
                    double[] row = new double[r0 + M + 2];
                    java.util.Arrays.fill(row, UNTOUCHED);
                    for (int a = 0; a < M; a++) row[r0 + a] = in[z0 + a * w + l];
                    double rowUb = k.softmaxRow(row, r0, M, u, map, mo);
                    double wantUb = 0, abs = 0, sErr = 0;
                    for (int a = 0; a < M; a++) {
                        double x = in[z0 + a * w + l] - max, s = Math.exp(x) / sum, rtol = (M + 2 + EXP_U - x + xbar) * SAFETY * k.u();
                        int at = z0 + a * w + l, ll = l, aa = a;
                        Fixtures.assertClose(s, Z[at], 1e-37, rtol, () -> what + " s at l=" + ll + " a=" + aa);
                        Fixtures.assertClose(s, row[r0 + a], 1e-37, rtol, () -> what + " softmaxRow s at l=" + ll + " a=" + aa);
                        wantUb += s * u[map[mo + a]];
                        abs += Math.abs(s * u[map[mo + a]]);
                        sErr += rtol * Math.abs(s * u[map[mo + a]]);
                    }
                    int ll = l;
                    double ubTol = sErr + (M + 2) * SAFETY * k.u() * abs;
                    Fixtures.assertClose(wantUb, ub[ubo + l], ubTol, 0, () -> what + " ū at l=" + ll);
                    Fixtures.assertClose(wantUb, rowUb, ubTol, 0, () -> what + " softmaxRow ū at l=" + ll);
                    for (int i = 0; i < row.length; i++) {
                        if (i >= r0 && i < r0 + M) continue;
                        int ii = i;
                        assertEquals(UNTOUCHED, row[i], () -> what + ": softmaxRow wrote entry " + ii + " outside its row");
                    }
                    if (l < M) {
                        wantTotal += wantUb;
                        totalAbs += ubTol + (M + 2) * SAFETY * k.u() * (Math.abs(wantUb) + ubTol);
                    }
                }
                Fixtures.assertClose(wantTotal, total, totalAbs, 0, () -> what + " total");
                for (int i = 0; i < Z.length; i++) {
                    if (i >= z0 && i < z0 + M * w) continue;
                    int ii = i;
                    assertEquals(UNTOUCHED, Z[i], () -> what + ": logit entry " + ii + " outside the sample written");
                }
                for (int i = 0; i < ub.length; i++) {
                    if (i >= ubo && i < ubo + w) continue;
                    int ii = i;
                    assertEquals(UNTOUCHED, ub[i], () -> what + ": ū entry " + ii + " outside the sample written");
                }
            }
        }
    }

    /**
     * softmaxRow on rows of several vectors and a masked last one (M = L − 1, L + 1, 2L, 2L + 3,
     * which TOKENS' M ≤ 16 reach only at narrow widths): s_a against a float64 loop, ū, and nothing
     * outside the row written; tolerances as in {@link #softmaxColumnsAndRowMatchPlainLoop}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void softmaxRowOverSeveralVectorsMatchesPlainLoop(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int L = k.lanes();
        for (int M : new int[] {Math.max(1, L - 1), L + 1, 2 * L, 2 * L + 3}) {
            int r0 = rnd.nextInt(3), P = 1 + rnd.nextInt(2 * M), mo = rnd.nextInt(3);
            int[] map = new int[mo + M];
            for (int t = 0; t < map.length; t++) map[t] = rnd.nextInt(P);
            double[] u = random(rnd, P), row = new double[r0 + M + 2];
            java.util.Arrays.fill(row, UNTOUCHED);
            for (int a = 0; a < M; a++) row[r0 + a] = (float) (60 * rnd.nextDouble() - 30);
            double[] in = row.clone();
            double ub = k.softmaxRow(row, r0, M, u, map, mo);
            String what = k + " softmaxRow M=" + M + tag(seed);
            double max = Double.NEGATIVE_INFINITY, sum = 0, xbar = 0;
            for (int a = 0; a < M; a++) max = Math.max(max, in[r0 + a]);
            for (int a = 0; a < M; a++) {
                double x = in[r0 + a] - max;
                sum += Math.exp(x);
                xbar += Math.exp(x) * -x;
            }
            xbar /= sum;
            double wantUb = 0, abs = 0, sErr = 0;
            for (int a = 0; a < M; a++) {
                double x = in[r0 + a] - max, s = Math.exp(x) / sum, rtol = (M + 2 + EXP_U - x + xbar) * SAFETY * k.u();
                int aa = a;
                Fixtures.assertClose(s, row[r0 + a], 1e-37, rtol, () -> what + " s at a=" + aa);
                wantUb += s * u[map[mo + a]];
                abs += Math.abs(s * u[map[mo + a]]);
                sErr += rtol * Math.abs(s * u[map[mo + a]]);
            }
            Fixtures.assertClose(wantUb, ub, sErr + (M + 2) * SAFETY * k.u() * abs, 0, () -> what + " ū");
            for (int i = 0; i < row.length; i++) {
                if (i >= r0 && i < r0 + M) continue;
                int ii = i;
                assertEquals(UNTOUCHED, row[i], () -> what + ": wrote entry " + ii + " outside its row");
            }
        }
    }

    /**
     * gatherRowsTo: a sample's M output rows written contiguously, equal bit for bit to gather row by
     * row into the same rows (both coefficient layouts, maps with repeated tokens, widths from SIZES).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void gatherRowsToMatchesRowByRowGatherBitForBit(Kernels k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int trial = 0; trial < 100; trial++) {
            int M = 1 + rnd.nextInt(17), m = SIZES[rnd.nextInt(SIZES.length)];
            boolean rows = rnd.nextBoolean();
            int rowStep = rows ? M : 1, stride = rows ? 1 : M;
            int P = 1 + rnd.nextInt(2 * M), mo = rnd.nextInt(4), o = rnd.nextInt(3);
            int[] map = new int[mo + M];
            for (int t = 0; t < map.length; t++) map[t] = rnd.nextInt(P);
            double[] src = random(rnd, P * m), coef = random(rnd, M * M);
            double[] want = random(rnd, o + M * m + 2), got = want.clone();
            for (int r = 0; r < M; r++) k.gather(want, o + r * m, coef, r * rowStep, stride, src, map, mo, M, m);
            k.gatherRowsTo(got, o, coef, rowStep, stride, src, map, mo, M, m);
            String what = k + " gatherRowsTo M=" + M + " m=" + m + " rowStep=" + rowStep + tag(seed);
            for (int i = 0; i < want.length; i++) {
                int ii = i;
                assertEquals(Double.doubleToRawLongBits(want[i]), Double.doubleToRawLongBits(got[i]),
                        () -> what + ": entry " + ii + " differs: " + got[ii] + " vs the row-by-row " + want[ii]);
            }
        }
    }
}
