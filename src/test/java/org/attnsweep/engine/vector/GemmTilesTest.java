package org.attnsweep.engine.vector;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attnsweep.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every GEMM register tile of GemmF32 and the generated GemmF64, whatever width this machine's
 * species has (the tiles are called by name, not through the width's choice), against a plain
 * float64 GEMM on random shapes whose rows end partial tiles at every height and whose columns end
 * in whole tiles, single vectors and scalars (ragged edges), with A and B taken from offsets inside
 * larger arrays (lda > inner) as the engine's blocked products take them, and with rows from one to
 * many row tiles (each packed panel of B passed over by every row block). Every tile must also give
 * the same bits as every other: the tile is chosen per machine, and a result must not depend on it.
 *
 * <p>Tolerance: any order of summing n products obeys |fl(Σ) − Σ| ≤ γ_n·Σ|terms|, γ_n ≈ n·u
 * (Higham, Accuracy and Stability, §3.1), u the unit roundoff; each element allows
 * {@link #SAFETY}·(inner + 2)·u·(|C₀| + |a|·Σ_i |A_ri·B_ic|), the +2 for the final C += a·sum. An
 * indexing error moves an element by an O(1) fraction of Σ|terms|, ~1e3× more.
 */
class GemmTilesTest {
    /** Slack over the first-order γ_n bound (second-order terms, the float64 reference's own rounding). */
    private static final double SAFETY = 2;
    /** Sentinel past C's last element, which no tile may write. */
    private static final double UNTOUCHED = -123456.75; // exact in float32 too
    /** Random shapes per tile and precision. */
    private static final int SHAPES = 40;

    /** One precision's tiled GEMM in float64 terms: float32 rounds its inputs first (they are then exact). */
    private interface Tiled {
        double u();

        int lanes();

        List<String> tiles();

        /** C += a·A·B on the named tile; returns C as the kernel's precision wrote it. */
        double[] gemm(String tile, double[] C, double a, double[] A, int ia, int lda, double[] B, int ib, int rows, int inner, int cols);
    }

    private static final Tiled F32 = new Tiled() {
        public double u() {
            return 0x1p-24;
        }

        public int lanes() {
            return KernelsF32.L;
        }

        public List<String> tiles() {
            return Stream.of(GemmF32.Tile.values()).map(Enum::name).toList();
        }

        public double[] gemm(String tile, double[] C, double a, double[] A, int ia, int lda, double[] B, int ib, int rows, int inner, int cols) {
            float[] c = f(C);
            GemmF32.gemm(GemmF32.Tile.valueOf(tile), c, (float) a, f(A), ia, lda, f(B), ib, rows, inner, cols);
            double[] out = new double[c.length];
            for (int i = 0; i < c.length; i++) out[i] = c[i];
            return out;
        }

        @Override
        public String toString() {
            return "float32";
        }
    };

    private static final Tiled F64 = new Tiled() {
        public double u() {
            return 0x1p-53;
        }

        public int lanes() {
            return KernelsF64.L;
        }

        public List<String> tiles() {
            return Stream.of(GemmF64.Tile.values()).map(Enum::name).toList();
        }

        public double[] gemm(String tile, double[] C, double a, double[] A, int ia, int lda, double[] B, int ib, int rows, int inner, int cols) {
            double[] c = C.clone();
            GemmF64.gemm(GemmF64.Tile.valueOf(tile), c, a, A, ia, lda, B, ib, rows, inner, cols);
            return c;
        }

        @Override
        public String toString() {
            return "float64";
        }
    };

    static Stream<Arguments> tiles() {
        List<Arguments> out = new ArrayList<>();
        for (Tiled k : List.of(F32, F64)) for (String t : k.tiles()) out.add(Arguments.of(k, t));
        return out.stream();
    }

    static Stream<Tiled> precisions() {
        return Stream.of(F32, F64);
    }

    /** A random shape: rows cross a few tile heights, columns a few tile widths plus a ragged rest. */
    private record Shape(int rows, int inner, int cols, int ia, int lda, int ib) {
        static Shape random(SplittableRandom rnd, int lanes) {
            // one shape in four with many row tiles over each packed panel of B
            int rows = rnd.nextInt(4) == 0 ? manyRows(rnd) : rnd.nextInt(1, 20), inner = rnd.nextInt(1, 40);
            // 0..3 widths of the widest tile (4 vectors), then 0..3 vectors, then 0..L−1 scalars
            int cols = rnd.nextInt(4) * 4 * lanes + rnd.nextInt(4) * lanes + rnd.nextInt(lanes);
            if (cols == 0) cols = 1 + rnd.nextInt(2 * lanes);
            return new Shape(rows, inner, cols, rnd.nextInt(3), inner + rnd.nextInt(3), rnd.nextInt(3));
        }

        /**
         * A shape whose inner dimension is long enough that GemmF*.panel takes B's columns a few
         * tiles at a time, or (past its budget for one tile of the widest kind) one tile at a time.
         */
        static Shape paneled(SplittableRandom rnd, int lanes, int bytes) {
            int widest = 4 * lanes * bytes;
            int rows = rnd.nextBoolean() ? manyRows(rnd) : rnd.nextInt(1, 14), inner = rnd.nextInt(GemmF32.PANEL_BYTES / widest / 3, 2 * GemmF32.PANEL_BYTES / widest);
            int cols = rnd.nextInt(3, 7) * 4 * lanes + rnd.nextInt(4) * lanes + rnd.nextInt(lanes);
            return new Shape(rows, inner, cols, rnd.nextInt(3), inner + rnd.nextInt(3), rnd.nextInt(3));
        }

        /** Seven to eleven row tiles of the tallest kind, the last one partial or not. */
        static int manyRows(SplittableRandom rnd) {
            return rnd.nextInt(40, 68);
        }

        @Override
        public String toString() {
            return "rows=" + rows + " inner=" + inner + " cols=" + cols + " ia=" + ia + " lda=" + lda + " ib=" + ib;
        }
    }

    @ParameterizedTest(name = "{0} tile {1}")
    @MethodSource("tiles")
    void tileMatchesFloat64Gemm(Tiled k, String tile) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int n = 0; n < SHAPES + 2; n++) {
            Shape s = n < SHAPES ? Shape.random(rnd, k.lanes()) : Shape.paneled(rnd, k.lanes(), k == F32 ? Float.BYTES : Double.BYTES);
            double[] A = random(rnd, s.ia + s.rows * s.lda, k), B = random(rnd, s.ib + s.inner * s.cols, k);
            double[] C = random(rnd, s.rows * s.cols + k.lanes(), k);
            for (int i = s.rows * s.cols; i < C.length; i++) C[i] = UNTOUCHED;
            double a = k == F32 ? (float) -0.37 : -0.37;
            double[] got = k.gemm(tile, C, a, A, s.ia, s.lda, B, s.ib, s.rows, s.inner, s.cols);
            for (int r = 0; r < s.rows; r++) {
                for (int c = 0; c < s.cols; c++) {
                    double sum = 0, abs = 0;
                    for (int i = 0; i < s.inner; i++) {
                        double t = A[s.ia + r * s.lda + i] * B[s.ib + i * s.cols + c];
                        sum += t;
                        abs += Math.abs(t);
                    }
                    int o = r * s.cols + c;
                    double ref = C[o] + a * sum;
                    double atol = SAFETY * (s.inner + 2) * k.u() * (Math.abs(C[o]) + Math.abs(a) * abs);
                    int rr = r, cc = c;
                    Fixtures.assertClose(ref, got[o], atol, 0, () -> k + " tile " + tile + " " + s + " element (" + rr + ", " + cc + ")" + tag(seed));
                }
            }
            for (int i = s.rows * s.cols; i < C.length; i++) {
                int ii = i;
                assertEquals(UNTOUCHED, got[i], () -> k + " tile " + tile + " " + s + " wrote past C at " + ii + tag(seed));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("precisions")
    void everyTileGivesTheSameBits(Tiled k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int n = 0; n < SHAPES; n++) {
            Shape s = Shape.random(rnd, k.lanes());
            double[] A = random(rnd, s.ia + s.rows * s.lda, k), B = random(rnd, s.ib + s.inner * s.cols, k);
            double[] C = random(rnd, s.rows * s.cols, k);
            double a = k == F32 ? (float) 0.61 : 0.61;
            String first = k.tiles().getFirst();
            double[] want = k.gemm(first, C, a, A, s.ia, s.lda, B, s.ib, s.rows, s.inner, s.cols);
            for (String t : k.tiles()) {
                double[] got = k.gemm(t, C, a, A, s.ia, s.lda, B, s.ib, s.rows, s.inner, s.cols);
                for (int i = 0; i < want.length; i++) {
                    int ii = i;
                    assertEquals(Double.doubleToRawLongBits(want[i]), Double.doubleToRawLongBits(got[i]),
                            () -> k + " tile " + t + " differs from tile " + first + " at " + ii + " (" + s + "): "
                                    + got[ii] + " vs " + want[ii] + tag(seed));
                }
            }
        }
    }

    /**
     * Each element of C, whatever tile computes it, is one fma chain over the inner index in order
     * from 0, then C += a·sum in one fma: bit for bit a scalar loop doing exactly that, which is
     * what the engine's bit-invariance across tiles, widths and threads rests on. Inner lengths
     * reach past the step's P at paper A's shape (302), where the tiles' loops run long, and, in the
     * last shapes, far enough that the columns go in panels of a few tiles (or, past the panel's
     * budget, one tile at a time: {@link GemmF32#panel}). The same for {@link GemmF32#gemmFrom} (C = C0 +
     * a·sum into another array, the evaluation's), for the product split by rows
     * ({@link GemmF32#gemmRows}) or by columns ({@link GemmF32#gemmPart}) as threads split it, and
     * for B held tile-major ({@link GemmF32#gemmPart} with tiledB, the span form's α, β, A_Q and A_K): whole,
     * into another array from C0, and split by rows and by whole tiles.
     */
    @ParameterizedTest(name = "float32 tile {0}")
    @MethodSource("f32Tiles")
    void everyElementIsOneFmaChain(GemmF32.Tile t) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int maxInner = 400;
        for (int n = 0; n < SHAPES / 4 + 4; n++) {
            // The last shapes: inner long enough that GemmF32.panel takes B's columns a few tiles at a
            // time (several panels over the row blocks) or, past its budget, one tile at a time; the
            // very last past what a thread keeps for packing (a buffer for the call).
            boolean panels = n >= SHAPES / 4, past = n == SHAPES / 4 + 3;
            int lanes = KernelsF32.L, width = t.vectors * lanes;
            int rows = past ? rnd.nextInt(6, 14) : n % 2 == 1 ? Shape.manyRows(rnd) : rnd.nextInt(1, 20), inner = past ? GemmF32.KEPT_BYTES / (Float.BYTES * width) + rnd.nextInt(1, 100)
                    : panels ? rnd.nextInt(GemmF32.PANEL_BYTES / (Float.BYTES * width) / 3, 2 * GemmF32.PANEL_BYTES / (Float.BYTES * width))
                    : rnd.nextInt(1, maxInner);
            int cols = (past ? 1 : panels ? rnd.nextInt(3, 7) : rnd.nextInt(1, 3)) * width + rnd.nextInt(2) * lanes + rnd.nextInt(lanes);
            int ia = rnd.nextInt(3), lda = inner + rnd.nextInt(3), ib = rnd.nextInt(3);
            float[] A = f(random(rnd, ia + rows * lda, F32)), B = f(random(rnd, ib + inner * cols, F32));
            float[] C = f(random(rnd, rows * cols, F32)), got = C.clone(), fromC = new float[rows * cols], C0 = C.clone();
            float a = -0.37f;
            GemmF32.gemm(t, got, a, A, ia, lda, B, ib, rows, inner, cols);
            // gemmRows: the rows in two parts, as threads split them (each part packs B itself)
            int split = rnd.nextInt(rows + 1);
            float[] parts = C.clone();
            GemmF32.gemmRows(t, parts, a, A, ia, lda, B, ib, 0, split, inner, cols);
            GemmF32.gemmRows(t, parts, a, A, ia, lda, B, ib, split, rows, inner, cols);
            // gemmPart by columns: the columns in three parts, as threads split them (each packs only its own
            // columns): cut at drawn tile boundaries, or, every other shape, at any column.
            int tiles = cols / width;
            int cut1 = n % 2 == 0 ? rnd.nextInt(tiles + 1) * width : rnd.nextInt(cols + 1), cut2 = n % 2 == 0
                    ? Math.max(cut1, rnd.nextInt(tiles + 1) * width) : rnd.nextInt(cut1, cols + 1);
            float[] byCols = C.clone();
            GemmF32.gemmPart(t, byCols, byCols, a, A, ia, lda, B, ib, false, 0, rows, inner, cols, 0, cut1);
            GemmF32.gemmPart(t, byCols, byCols, a, A, ia, lda, B, ib, false, 0, rows, inner, cols, cut1, cut2);
            GemmF32.gemmPart(t, byCols, byCols, a, A, ia, lda, B, ib, false, 0, rows, inner, cols, cut2, cols);
            // gemmFrom: the same elements into another array, C only read (its NaN start must all be overwritten).
            java.util.Arrays.fill(fromC, Float.NaN);
            GemmF32.gemmFrom(t, fromC, C0, a, A, ia, lda, B, ib, rows, inner, cols);
            assertArrayEquals(C, C0, () -> "tile " + t.label() + ": gemmFrom wrote into C0" + tag(seed));
            // B tile-major (at this tile's width), read as it is: whole, from C0, by rows, by whole tiles.
            float[] Bt = new float[inner * cols];
            for (int i = 0; i < inner; i++) for (int c = 0; c < cols; c++) Bt[GemmF32.tiledAt(i, c, inner, cols, width)] = B[ib + i * cols + c];
            float[] tiled = C.clone(), tiledFrom = new float[rows * cols], tiledParts = C.clone();
            GemmF32.gemmPart(t, tiled, tiled, a, A, ia, lda, Bt, 0, true, 0, rows, inner, cols, 0, cols);
            java.util.Arrays.fill(tiledFrom, Float.NaN);
            GemmF32.gemmPart(t, tiledFrom, C0, a, A, ia, lda, Bt, 0, true, 0, rows, inner, cols, 0, cols);
            assertArrayEquals(C, C0, () -> "tile " + t.label() + ": gemmPart (B tile-major) wrote into C0" + tag(seed));
            int tcut1 = rnd.nextInt(tiles + 1) * width, tcut2 = Math.max(tcut1, rnd.nextInt(tiles + 1) * width);
            GemmF32.gemmPart(t, tiledParts, tiledParts, a, A, ia, lda, Bt, 0, true, 0, split, inner, cols, 0, tcut1);
            GemmF32.gemmPart(t, tiledParts, tiledParts, a, A, ia, lda, Bt, 0, true, split, rows, inner, cols, 0, tcut1);
            GemmF32.gemmPart(t, tiledParts, tiledParts, a, A, ia, lda, Bt, 0, true, 0, rows, inner, cols, tcut1, tcut2);
            GemmF32.gemmPart(t, tiledParts, tiledParts, a, A, ia, lda, Bt, 0, true, 0, rows, inner, cols, tcut2, cols);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    float sum = 0;
                    for (int i = 0; i < inner; i++) sum = Math.fma(B[ib + i * cols + c], A[ia + r * lda + i], sum);
                    float want = Math.fma(sum, a, C[r * cols + c]);
                    int rr = r, cc = c, in = inner, co = cols;
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[r * cols + c]),
                            () -> "tile " + t.label() + " rows=" + rows + " inner=" + in + " cols=" + co + " element (" + rr + ", " + cc + "): "
                                    + got[rr * co + cc] + " vs " + want + tag(seed));
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(parts[r * cols + c]),
                            () -> "gemmRows split at " + split + ", tile " + t.label() + " rows=" + rows + " inner=" + in + " cols=" + co + " element (" + rr + ", " + cc + "): "
                                    + parts[rr * co + cc] + " vs " + want + tag(seed));
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(byCols[r * cols + c]),
                            () -> "gemmPart split by columns at " + cut1 + ", " + cut2 + ", tile " + t.label() + " rows=" + rows + " inner=" + in + " cols=" + co
                                    + " element (" + rr + ", " + cc + "): " + byCols[rr * co + cc] + " vs " + want + tag(seed));
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(fromC[r * cols + c]),
                            () -> "gemmFrom, tile " + t.label() + " rows=" + rows + " inner=" + in + " cols=" + co + " element (" + rr + ", " + cc + "): "
                                    + fromC[rr * co + cc] + " vs " + want + tag(seed));
                    for (float[] x : List.of(tiled, tiledFrom, tiledParts)) {
                        String which = x == tiled ? "whole" : x == tiledFrom ? "from C0" : "split at row " + split + ", columns " + tcut1 + ", " + tcut2;
                        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(x[r * cols + c]),
                                () -> "gemmPart (B tile-major) " + which + ", tile " + t.label() + " rows=" + rows + " inner=" + in + " cols=" + co
                                        + " element (" + rr + ", " + cc + "): " + x[rr * co + cc] + " vs " + want + tag(seed));
                    }
                }
            }
        }
    }

    /**
     * The tile-major layout ({@link GemmF32#tiledAt}) places every element of a rows×cols matrix at its
     * own offset in [0, rows·cols), each tile's rows one after another from the tile's first column
     * times rows, and the columns past the last whole tile row-major after the tiles: so a tile's
     * loop reads its B as one stream, and {@code gemmPart}'s tail finds the rest at its offset.
     */
    @org.junit.jupiter.api.Test
    void tileMajorLayoutIsAPermutationByTiles() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int n = 0; n < 200; n++) {
            int width = 4 << rnd.nextInt(4), rows = rnd.nextInt(1, 30), cols = rnd.nextInt(1, 5 * width), tiled = cols - cols % width;
            boolean[] seen = new boolean[rows * cols];
            for (int j = 0; j < rows; j++) {
                for (int c = 0; c < cols; c++) {
                    int at = GemmF32.tiledAt(j, c, rows, cols, width), jj = j, cc = c;
                    java.util.function.Supplier<String> where = () -> "width " + width + " rows " + rows + " cols " + cols + " (" + jj + ", " + cc + ")" + tag(seed);
                    if (c < tiled) {
                        // Tile block c / width holds its rows × width floats, from (c / width)·width·rows on.
                        int block = c / width * width * rows;
                        org.junit.jupiter.api.Assertions.assertTrue(at >= block && at < block + width * rows, where);
                        // Within it a row's columns lie side by side, and the next row follows width floats on.
                        if (c % width > 0) assertEquals(GemmF32.tiledAt(j, c - 1, rows, cols, width) + 1, at, where);
                        if (j > 0) assertEquals(GemmF32.tiledAt(j - 1, c, rows, cols, width) + width, at, where);
                    } else {
                        // The columns past the last whole tile: row-major after every tile block.
                        org.junit.jupiter.api.Assertions.assertTrue(at >= tiled * rows, where);
                        if (c > tiled) assertEquals(GemmF32.tiledAt(j, c - 1, rows, cols, width) + 1, at, where);
                        if (j > 0) assertEquals(GemmF32.tiledAt(j - 1, c, rows, cols, width) + cols - tiled, at, where);
                    }
                    assertEquals(at, GemmF64.tiledAt(j, c, rows, cols, width), () -> "GemmF64.tiledAt differs" + tag(seed));
                    org.junit.jupiter.api.Assertions.assertFalse(seen[at], () -> "offset " + at + " taken twice" + tag(seed));
                    seen[at] = true;
                }
            }
        }
    }

    static Stream<GemmF32.Tile> f32Tiles() {
        return Stream.of(GemmF32.Tile.values());
    }

    /** Uniform in [−1, 1), rounded to float32 for the float32 kernels so their inputs are exact. */
    private static double[] random(SplittableRandom rnd, int n, Tiled k) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = k == F32 ? (float) rnd.nextDouble(-1, 1) : rnd.nextDouble(-1, 1);
        return x;
    }

    private static float[] f(double[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (float) x[i];
        return out;
    }
}
