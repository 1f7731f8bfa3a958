package org.attnsweep.engine.vector;

import static org.attnsweep.engine.vector.KernelsF32.L;
import static org.attnsweep.engine.vector.KernelsF32.S;

import java.util.Locale;
import jdk.incubator.vector.FloatVector;

/**
 * The vector engine's GEMM, C[rows×cols] += a·A[rows×inner]·B[inner×cols] (row-major, dense), on a
 * register tile of {@code rows × vectors} chosen once per JVM ({@link #TILE}): the tile's
 * rows·vectors accumulators, its vectors of B and the broadcast of A must all stay in registers
 * through the inner loop. How many vector registers C2 has depends on the instruction set the JVM
 * runs with, not on the width alone: 32 with AVX-512 (-XX:UseAVX=3: EVEX encodes registers 16–31 at
 * 128 and 256 bits too) and on AArch64 (NEON's 32 × 128 bits), 16 with AVX2, AVX or SSE. A 6×4
 * tile takes 24 + 4 + 1 = 29 registers; with 16 it spills, and 6×2 (12 + 2 + 1 = 15) or 4×2
 * (8 + 2 + 1 = 11) do not. Each tile is its own hand-unrolled method because the accumulators must
 * be locals: an array of vectors, or a vector passed to a helper C2 does not inline, is boxed.
 *
 * <p>Every element of C is computed the same way whichever tile, tail or width computes it: a fused
 * multiply-add chain over inner in order from 0, then C += a·sum in one fma. The tile choice
 * therefore never changes a result, only its speed (GemmTilesTest checks this bit for bit).
 */
final class GemmF32 {
    /** Register tiles: rows of A and vectors of B's columns (each {@link KernelsF32#L} wide). */
    enum Tile {
        T6X4(6, 4), T6X2(6, 2), T4X2(4, 2);

        final int rows, vectors;

        Tile(int rows, int vectors) {
            this.rows = rows;
            this.vectors = vectors;
        }

        /** e.g. {@code 6x4}. */
        String label() {
            return rows + "x" + vectors;
        }

        /**
         * The tile for {@code registers} vector registers: 6×4 with 32, 6×2 with 16. Measured at
         * every width in benchmarks/RESULTS.md (GemmBench, each tile forced): with 32 registers 6×4
         * is fastest at 512 and at 128 bits; with 16 (AVX2), 6×2 beats 4×2 and 6×4 spills.
         */
        static Tile forRegisters(int registers) {
            return registers >= 32 ? T6X4 : T6X2;
        }
    }

    /** Vector registers C2 allocates in this JVM (see the class comment). */
    static final int REGISTERS = registers();
    /** The tile of this JVM. */
    static final Tile TILE = Tile.forRegisters(REGISTERS);
    /** The columns of one {@link #TILE}: the unit of the tile-major layout ({@link #tiledAt}). */
    static final int WIDTH = TILE.vectors * L;

    private GemmF32() {
    }

    /** e.g. {@code 6x4@512}: the tile and the species' width in bits, for the engine line. */
    static String describe() {
        return String.format(Locale.ROOT, "%s@%d", TILE.label(), S.vectorBitSize());
    }

    /** The machine's vector registers ({@link #jvmRegisters}), or the budget {@link VectorWidth#REGISTERS} names. */
    private static int registers() {
        return VectorWidth.registers(jvmRegisters());
    }

    /**
     * 32 on AArch64; on x86 32 when HotSpot runs with UseAVX=3 (AVX-512), else 16. Where the flag
     * cannot be read (another VM or architecture) 16: the smaller budget never spills.
     */
    private static int jvmRegisters() {
        if ("aarch64".equals(System.getProperty("os.arch"))) return 32;
        try {
            var vm = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return vm != null && Integer.parseInt(vm.getVMOption("UseAVX").getValue()) >= 3 ? 32 : 16;
        } catch (RuntimeException | LinkageError e) {
            return 16;
        }
    }

    /**
     * C += a·A·B on tile t, A from offset {@code ia} with rows {@code lda} apart and B from offset
     * {@code ib} with rows {@code cols} apart (the tiles read a packed copy of B, {@link #gemmRows}).
     * The columns that do not fill a tile run one vector at a time, then as scalars; rows past the
     * last of a partial tile repeat it and are not stored.
     */
    static void gemm(Tile t, float[] C, float a, float[] A, int ia, int lda, float[] B, int ib, int rows, int inner, int cols) {
        gemmRows(t, C, C, a, A, ia, lda, B, ib, 0, rows, inner, cols);
    }

    /**
     * Rows [from, to) of {@link #gemm}'s C += a·A·B: every element is the same fma chain as in the
     * whole product, so a product split by rows over threads gives the same bits.
     */
    static void gemmRows(Tile t, float[] C, float a, float[] A, int ia, int lda, float[] B, int ib, int from, int to, int inner, int cols) {
        gemmRows(t, C, C, a, A, ia, lda, B, ib, from, to, inner, cols);
    }

    /**
     * C = C0 + a·A·B on tile t (C0 rows×cols, read only where C is written; C0 = C is {@link #gemm}):
     * each element the same fma chain, then fma(sum, a, C0), so the bits of copying C0 into C and
     * then {@link #gemm}, without the copy's pass over C.
     */
    static void gemmFrom(Tile t, float[] C, float[] C0, float a, float[] A, int ia, int lda, float[] B, int ib, int rows, int inner, int cols) {
        gemmRows(t, C, C0, a, A, ia, lda, B, ib, 0, rows, inner, cols);
    }

    /**
     * Rows [from, to) of C = C0 + a·A·B: C0's element read once, just before C's is written (so C0 = C
     * updates in place). Each panel of B's columns is first copied, tile by tile, into a packed
     * buffer ({@link #pack}): each tile's inner rows of width floats one after another, so a tile's
     * loop reads B as one contiguous stream at a stride known when it is compiled. In place, B's
     * rows lie {@code cols} floats apart (2 KiB at m_k = 512): each load came from another cache line
     * or two, and with a stride C2 only learns at run time it kept two range checks on B's loads at
     * every inner index (the 1,000-run jiang-heatmap grid on an AVX2 Zen 3: 0.83× the CPU time with
     * the packing; benchmarks/RESULTS.md, s25).
     * The copy costs about what 6 rows of a tile's work cost, so products of a few rows pay for it
     * (none is a large part of any step); a product of fewer rows than a tile (γᵀG: one) goes row by
     * row over B in place instead. The same fma chains either way: the same bits.
     */
    private static void gemmRows(Tile t, float[] C, float[] C0, float a, float[] A, int ia, int lda, float[] B, int ib, int from, int to, int inner, int cols) {
        block(t, C, C0, a, A, ia, lda, B, ib, false, from, to, inner, cols, 0, cols);
    }

    /**
     * Rows [from, to) and columns [cFrom, cTo) of C = C0 + a·A·B: all of a product, or one thread's
     * piece of it whichever way it is split. B row-major from offset ib (rows {@code cols} apart; a
     * piece packs only its own columns, so a split by columns copies each of B's columns once where
     * a split by rows packs all of B in every piece), or with {@code tiledB} tile-major
     * ({@link #tiledAt}, tile t's width) from offset ib: the tiles read B as it is, so no panel is
     * copied ({@link #pack}); cFrom is then 0 or a tile's first column, cTo a tile's first column or
     * cols. Every element is the same fma chain as in the whole product on B row-major: the same bits.
     */
    static void gemmPart(Tile t, float[] C, float[] C0, float a, float[] A, int ia, int lda, float[] B, int ib, boolean tiledB, int from, int to,
                         int inner, int cols, int cFrom, int cTo) {
        block(t, C, C0, a, A, ia, lda, B, ib, tiledB, from, to, inner, cols, cFrom, cTo);
    }

    /**
     * The offset of element (j, c) of a rows×cols matrix held tile-major for tiles {@code width}
     * columns wide: column block c − c mod width (a tile's columns) holds its rows one after another,
     * width floats each, from offset (c − c mod width)·rows; the columns past the last whole tile
     * (cols mod width of them) follow row-major, from offset tiled·rows with tiled = cols − cols mod
     * width. It is the layout {@link #pack} copies B's panels into, for the whole matrix at once: the
     * span form keeps α, β, A_Q and A_K in it, so their products never copy them.
     */
    static int tiledAt(int j, int c, int rows, int cols, int width) {
        int tiled = cols - cols % width;
        return c < tiled ? (c - c % width) * rows + j * width + c % width : tiled * rows + j * (cols - tiled) + (c - tiled);
    }

    /**
     * Rows [from, to) and columns [cFrom, cTo) of C = C0 + a·A·B ({@link #gemmRows}'s product, C's
     * rows {@code cols} apart): whole tiles from cFrom, the columns left over by the tail. B's rows
     * are {@code cols} apart from offset ib, or with {@code tiledB} B is tile-major from offset ib
     * ({@link #tiledAt}: the tiles read it as it is, nothing packed; cFrom then a tile's first column).
     */
    private static void block(Tile t, float[] C, float[] C0, float a, float[] A, int ia, int lda, float[] B, int ib, boolean tiledB,
                              int from, int to, int inner, int cols, int cFrom, int cTo) {
        int width = t.vectors * L, tiled = cTo - (cTo - cFrom) % width, rows = to;
        if (tiledB && cFrom < cTo && cFrom % width != 0) throw new IllegalArgumentException("a tile-major B's columns start at a tile: " + cFrom);
        if (!tiledB && to - from < t.rows) {   // fewer rows than one tile: each row alone, B in place
            for (int r = from; r < rows; r++) tail(C, C0, a, A, ia, lda, B, ib, cols, r, inner, cols, cFrom, cTo);
            return;
        }
        if (tiled > cFrom) {
            int panel = panel(width, inner, tiled - cFrom);
            float[] Bp = tiledB ? B : packed(Math.min(panel, tiled - cFrom) * inner);
            for (int c0 = cFrom; c0 < tiled; c0 += panel) {
                int c1 = Math.min(tiled, c0 + panel);
                // The tile at column c from offset base + (c − c0)·inner: in B itself, or in the panel's copy.
                int base = tiledB ? ib + c0 * inner : 0;
                if (!tiledB) pack(B, ib, cols, inner, c0, c1, width, Bp);
                for (int r = from; r < rows; r += t.rows) {
                    for (int c = c0; c < c1; c += width) {
                        if (t == Tile.T6X4) tile6x4(C, C0, a, A, ia, lda, Bp, base + (c - c0) * inner, r, rows, inner, cols, c);
                        else if (t == Tile.T6X2) tile6x2(C, C0, a, A, ia, lda, Bp, base + (c - c0) * inner, r, rows, inner, cols, c);
                        else tile4x2(C, C0, a, A, ia, lda, Bp, base + (c - c0) * inner, r, rows, inner, cols, c);
                    }
                }
            }
        }
        if (tiled >= cTo) return;
        if (!tiledB) {
            for (int r = from; r < rows; r++) tail(C, C0, a, A, ia, lda, B, ib, cols, r, inner, cols, tiled, cTo);
            return;
        }
        // A tile-major B's tail: its inner rows of cols − tiled floats from offset ib + tiled·inner.
        if (cTo != cols || tiled != cols - cols % width) throw new IllegalArgumentException("a tile-major B's tail is its last columns: " + cTo);
        for (int r = from; r < rows; r++) tail(C, C0, a, A, ia, lda, B, ib + tiled * inner - tiled, cols - tiled, r, inner, cols, tiled, cTo);
    }

    /**
     * Columns [c0, c1) of B (inner rows, {@code cols} apart, from offset ib), a whole number of
     * tiles, into Bp: the tile at column c from offset (c − c0)·inner, its inner rows of
     * {@code width} floats in order.
     */
    private static void pack(float[] B, int ib, int cols, int inner, int c0, int c1, int width, float[] Bp) {
        for (int i = 0; i < inner; i++) {
            int src = ib + i * cols + c0;
            for (int dst = i * width, end = src + (c1 - c0); src < end; src += width, dst += width * inner) {
                for (int v = 0; v < width; v += L) FloatVector.fromArray(S, B, src + v).intoArray(Bp, dst + v);
            }
        }
    }

    /**
     * The bytes of B's packed columns one pass over the rows streams: half of the core's L2
     * ({@link L2Cache}: 256 KiB on a Zen 3's 512 KiB, 512 KiB on a Zen 4's or Zen 5's 1 MiB). On a
     * Zen 5 (AVX-512) the span step ran 1.010–1.039× (4 A/B pairs) with 512 KiB panels against 256
     * (benchmarks/RESULTS.md, s33): the step's 8 tiles of B in two panels instead of three, so A (G)
     * is read twice instead of three times per product.
     */
    static final int PANEL_BYTES = L2Cache.MACHINE.bytes / 2;

    /** Each thread's buffer for packed panels, kept across calls: {@link #PANEL_BYTES}, grown for a long inner dimension's one tile up to {@link #KEPT_BYTES}. */
    private static final ThreadLocal<float[]> PACKED = ThreadLocal.withInitial(() -> new float[PANEL_BYTES / Float.BYTES]);

    /**
     * The most a thread keeps for packing: a tile of 64 floats (6x4 at 512 bits) over 16,384 inner
     * indices (P tokens in a step's products). A longer one (a set-up projection over d = 10⁵, say)
     * gets a buffer for the call, which the garbage collector takes back.
     */
    static final int KEPT_BYTES = 4 << 20;

    /** A buffer of at least n floats for {@link #pack}: this thread's, grown if it must be and may be. */
    private static float[] packed(int n) {
        float[] b = PACKED.get();
        if (b.length >= n) return b;
        if ((long) n * Float.BYTES > KEPT_BYTES) return new float[n];
        b = new float[n];
        PACKED.set(b);
        return b;
    }

    /**
     * The columns of B one pass over A's rows takes (a whole number of tiles): B's inner × panel
     * packed floats ({@link #PANEL_BYTES}) then stay in a core's L2 while every row block streams past
     * them, where a pass over all of B's columns (m_k = 512 at paper A's shape: 302 × 512 floats,
     * 618 KiB) left L2 each row block on a 512 KiB L2. One tile where even one tile's columns exceed
     * the budget (a long inner dimension: then packed alone, {@link #packed}). Each element of C is still its one
     * tile's fma chain over the whole inner dimension in order, so the panels change the order tiles
     * are visited, not a bit (GemmTilesTest).
     */
    static int panel(int width, int inner, int tiled) {
        long tile = (long) Float.BYTES * width * inner;
        return tile > PANEL_BYTES ? width : (int) Math.max(width, PANEL_BYTES / tile * width);
    }

    /** Rows r..r+5, columns c..c+4L, B's tile packed in Bp from offset bo (rows 4L apart): 24 accumulators, 29 registers with B's 4 vectors and the broadcast. */
    private static void tile6x4(float[] C, float[] C0, float a, float[] A, int ia, int lda, float[] Bp, int bo, int r, int rows, int inner, int cols, int c) {
        int last = rows - 1;
        int a0 = ia + r * lda;
        int a1 = ia + Math.min(r + 1, last) * lda;
        int a2 = ia + Math.min(r + 2, last) * lda;
        int a3 = ia + Math.min(r + 3, last) * lda;
        int a4 = ia + Math.min(r + 4, last) * lda;
        int a5 = ia + Math.min(r + 5, last) * lda;
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        FloatVector s40 = s00, s41 = s00, s42 = s00, s43 = s00;
        FloatVector s50 = s00, s51 = s00, s52 = s00, s53 = s00;
        FloatVector g;
        for (int i = 0, b = bo; i < inner; i++, b += 4 * L) {
            FloatVector b0 = FloatVector.fromArray(S, Bp, b);
            FloatVector b1 = FloatVector.fromArray(S, Bp, b + L);
            FloatVector b2 = FloatVector.fromArray(S, Bp, b + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, Bp, b + 3 * L);
            g = FloatVector.broadcast(S, A[a0 + i]);
            s00 = b0.fma(g, s00); s01 = b1.fma(g, s01); s02 = b2.fma(g, s02); s03 = b3.fma(g, s03);
            g = FloatVector.broadcast(S, A[a1 + i]);
            s10 = b0.fma(g, s10); s11 = b1.fma(g, s11); s12 = b2.fma(g, s12); s13 = b3.fma(g, s13);
            g = FloatVector.broadcast(S, A[a2 + i]);
            s20 = b0.fma(g, s20); s21 = b1.fma(g, s21); s22 = b2.fma(g, s22); s23 = b3.fma(g, s23);
            g = FloatVector.broadcast(S, A[a3 + i]);
            s30 = b0.fma(g, s30); s31 = b1.fma(g, s31); s32 = b2.fma(g, s32); s33 = b3.fma(g, s33);
            g = FloatVector.broadcast(S, A[a4 + i]);
            s40 = b0.fma(g, s40); s41 = b1.fma(g, s41); s42 = b2.fma(g, s42); s43 = b3.fma(g, s43);
            g = FloatVector.broadcast(S, A[a5 + i]);
            s50 = b0.fma(g, s50); s51 = b1.fma(g, s51); s52 = b2.fma(g, s52); s53 = b3.fma(g, s53);
        }
        FloatVector va = FloatVector.broadcast(S, a);
        int o0 = r * cols + c;
        s00.fma(va, FloatVector.fromArray(S, C0, o0)).intoArray(C, o0);
        s01.fma(va, FloatVector.fromArray(S, C0, o0 + L)).intoArray(C, o0 + L);
        s02.fma(va, FloatVector.fromArray(S, C0, o0 + 2 * L)).intoArray(C, o0 + 2 * L);
        s03.fma(va, FloatVector.fromArray(S, C0, o0 + 3 * L)).intoArray(C, o0 + 3 * L);
        if (r + 1 > last) return;
        int o1 = (r + 1) * cols + c;
        s10.fma(va, FloatVector.fromArray(S, C0, o1)).intoArray(C, o1);
        s11.fma(va, FloatVector.fromArray(S, C0, o1 + L)).intoArray(C, o1 + L);
        s12.fma(va, FloatVector.fromArray(S, C0, o1 + 2 * L)).intoArray(C, o1 + 2 * L);
        s13.fma(va, FloatVector.fromArray(S, C0, o1 + 3 * L)).intoArray(C, o1 + 3 * L);
        if (r + 2 > last) return;
        int o2 = (r + 2) * cols + c;
        s20.fma(va, FloatVector.fromArray(S, C0, o2)).intoArray(C, o2);
        s21.fma(va, FloatVector.fromArray(S, C0, o2 + L)).intoArray(C, o2 + L);
        s22.fma(va, FloatVector.fromArray(S, C0, o2 + 2 * L)).intoArray(C, o2 + 2 * L);
        s23.fma(va, FloatVector.fromArray(S, C0, o2 + 3 * L)).intoArray(C, o2 + 3 * L);
        if (r + 3 > last) return;
        int o3 = (r + 3) * cols + c;
        s30.fma(va, FloatVector.fromArray(S, C0, o3)).intoArray(C, o3);
        s31.fma(va, FloatVector.fromArray(S, C0, o3 + L)).intoArray(C, o3 + L);
        s32.fma(va, FloatVector.fromArray(S, C0, o3 + 2 * L)).intoArray(C, o3 + 2 * L);
        s33.fma(va, FloatVector.fromArray(S, C0, o3 + 3 * L)).intoArray(C, o3 + 3 * L);
        if (r + 4 > last) return;
        int o4 = (r + 4) * cols + c;
        s40.fma(va, FloatVector.fromArray(S, C0, o4)).intoArray(C, o4);
        s41.fma(va, FloatVector.fromArray(S, C0, o4 + L)).intoArray(C, o4 + L);
        s42.fma(va, FloatVector.fromArray(S, C0, o4 + 2 * L)).intoArray(C, o4 + 2 * L);
        s43.fma(va, FloatVector.fromArray(S, C0, o4 + 3 * L)).intoArray(C, o4 + 3 * L);
        if (r + 5 > last) return;
        int o5 = (r + 5) * cols + c;
        s50.fma(va, FloatVector.fromArray(S, C0, o5)).intoArray(C, o5);
        s51.fma(va, FloatVector.fromArray(S, C0, o5 + L)).intoArray(C, o5 + L);
        s52.fma(va, FloatVector.fromArray(S, C0, o5 + 2 * L)).intoArray(C, o5 + 2 * L);
        s53.fma(va, FloatVector.fromArray(S, C0, o5 + 3 * L)).intoArray(C, o5 + 3 * L);
    }

    /** Rows r..r+5, columns c..c+2L, B's tile packed in Bp from offset bo (rows 2L apart): 12 accumulators, 15 registers with B's 2 vectors and the broadcast. */
    private static void tile6x2(float[] C, float[] C0, float a, float[] A, int ia, int lda, float[] Bp, int bo, int r, int rows, int inner, int cols, int c) {
        int last = rows - 1;
        int a0 = ia + r * lda;
        int a1 = ia + Math.min(r + 1, last) * lda;
        int a2 = ia + Math.min(r + 2, last) * lda;
        int a3 = ia + Math.min(r + 3, last) * lda;
        int a4 = ia + Math.min(r + 4, last) * lda;
        int a5 = ia + Math.min(r + 5, last) * lda;
        FloatVector s00 = FloatVector.zero(S), s01 = s00;
        FloatVector s10 = s00, s11 = s00;
        FloatVector s20 = s00, s21 = s00;
        FloatVector s30 = s00, s31 = s00;
        FloatVector s40 = s00, s41 = s00;
        FloatVector s50 = s00, s51 = s00;
        FloatVector g;
        for (int i = 0, b = bo; i < inner; i++, b += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(S, Bp, b);
            FloatVector b1 = FloatVector.fromArray(S, Bp, b + L);
            g = FloatVector.broadcast(S, A[a0 + i]);
            s00 = b0.fma(g, s00); s01 = b1.fma(g, s01);
            g = FloatVector.broadcast(S, A[a1 + i]);
            s10 = b0.fma(g, s10); s11 = b1.fma(g, s11);
            g = FloatVector.broadcast(S, A[a2 + i]);
            s20 = b0.fma(g, s20); s21 = b1.fma(g, s21);
            g = FloatVector.broadcast(S, A[a3 + i]);
            s30 = b0.fma(g, s30); s31 = b1.fma(g, s31);
            g = FloatVector.broadcast(S, A[a4 + i]);
            s40 = b0.fma(g, s40); s41 = b1.fma(g, s41);
            g = FloatVector.broadcast(S, A[a5 + i]);
            s50 = b0.fma(g, s50); s51 = b1.fma(g, s51);
        }
        FloatVector va = FloatVector.broadcast(S, a);
        int o0 = r * cols + c;
        s00.fma(va, FloatVector.fromArray(S, C0, o0)).intoArray(C, o0);
        s01.fma(va, FloatVector.fromArray(S, C0, o0 + L)).intoArray(C, o0 + L);
        if (r + 1 > last) return;
        int o1 = (r + 1) * cols + c;
        s10.fma(va, FloatVector.fromArray(S, C0, o1)).intoArray(C, o1);
        s11.fma(va, FloatVector.fromArray(S, C0, o1 + L)).intoArray(C, o1 + L);
        if (r + 2 > last) return;
        int o2 = (r + 2) * cols + c;
        s20.fma(va, FloatVector.fromArray(S, C0, o2)).intoArray(C, o2);
        s21.fma(va, FloatVector.fromArray(S, C0, o2 + L)).intoArray(C, o2 + L);
        if (r + 3 > last) return;
        int o3 = (r + 3) * cols + c;
        s30.fma(va, FloatVector.fromArray(S, C0, o3)).intoArray(C, o3);
        s31.fma(va, FloatVector.fromArray(S, C0, o3 + L)).intoArray(C, o3 + L);
        if (r + 4 > last) return;
        int o4 = (r + 4) * cols + c;
        s40.fma(va, FloatVector.fromArray(S, C0, o4)).intoArray(C, o4);
        s41.fma(va, FloatVector.fromArray(S, C0, o4 + L)).intoArray(C, o4 + L);
        if (r + 5 > last) return;
        int o5 = (r + 5) * cols + c;
        s50.fma(va, FloatVector.fromArray(S, C0, o5)).intoArray(C, o5);
        s51.fma(va, FloatVector.fromArray(S, C0, o5 + L)).intoArray(C, o5 + L);
    }

    /** Rows r..r+3, columns c..c+2L, B's tile packed in Bp from offset bo (rows 2L apart): 8 accumulators, 11 registers with B's 2 vectors and the broadcast. */
    private static void tile4x2(float[] C, float[] C0, float a, float[] A, int ia, int lda, float[] Bp, int bo, int r, int rows, int inner, int cols, int c) {
        int last = rows - 1;
        int a0 = ia + r * lda;
        int a1 = ia + Math.min(r + 1, last) * lda;
        int a2 = ia + Math.min(r + 2, last) * lda;
        int a3 = ia + Math.min(r + 3, last) * lda;
        FloatVector s00 = FloatVector.zero(S), s01 = s00;
        FloatVector s10 = s00, s11 = s00;
        FloatVector s20 = s00, s21 = s00;
        FloatVector s30 = s00, s31 = s00;
        FloatVector g;
        for (int i = 0, b = bo; i < inner; i++, b += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(S, Bp, b);
            FloatVector b1 = FloatVector.fromArray(S, Bp, b + L);
            g = FloatVector.broadcast(S, A[a0 + i]);
            s00 = b0.fma(g, s00); s01 = b1.fma(g, s01);
            g = FloatVector.broadcast(S, A[a1 + i]);
            s10 = b0.fma(g, s10); s11 = b1.fma(g, s11);
            g = FloatVector.broadcast(S, A[a2 + i]);
            s20 = b0.fma(g, s20); s21 = b1.fma(g, s21);
            g = FloatVector.broadcast(S, A[a3 + i]);
            s30 = b0.fma(g, s30); s31 = b1.fma(g, s31);
        }
        FloatVector va = FloatVector.broadcast(S, a);
        int o0 = r * cols + c;
        s00.fma(va, FloatVector.fromArray(S, C0, o0)).intoArray(C, o0);
        s01.fma(va, FloatVector.fromArray(S, C0, o0 + L)).intoArray(C, o0 + L);
        if (r + 1 > last) return;
        int o1 = (r + 1) * cols + c;
        s10.fma(va, FloatVector.fromArray(S, C0, o1)).intoArray(C, o1);
        s11.fma(va, FloatVector.fromArray(S, C0, o1 + L)).intoArray(C, o1 + L);
        if (r + 2 > last) return;
        int o2 = (r + 2) * cols + c;
        s20.fma(va, FloatVector.fromArray(S, C0, o2)).intoArray(C, o2);
        s21.fma(va, FloatVector.fromArray(S, C0, o2 + L)).intoArray(C, o2 + L);
        if (r + 3 > last) return;
        int o3 = (r + 3) * cols + c;
        s30.fma(va, FloatVector.fromArray(S, C0, o3)).intoArray(C, o3);
        s31.fma(va, FloatVector.fromArray(S, C0, o3 + L)).intoArray(C, o3 + L);
    }

    /**
     * Row r of C (rows {@code cols} apart), columns [from, to), B read in place (column c of inner row
     * i at ib + i·ldb + c): four vectors at a
     * time (four fma chains in flight), then one, then scalars. The columns a tile leaves (fewer than
     * its width, so never four vectors), and the whole of a product with fewer rows than a tile
     * ({@link #block}).
     */
    private static void tail(float[] C, float[] C0, float a, float[] A, int ia, int lda, float[] B, int ib, int ldb, int r, int inner, int cols,
                             int from, int to) {
        int c = from;
        int row = ia + r * lda;
        FloatVector va = FloatVector.broadcast(S, a);
        for (; c + 4 * L <= to; c += 4 * L) {
            FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            for (int i = 0, b = ib + c; i < inner; i++, b += ldb) {
                FloatVector g = FloatVector.broadcast(S, A[row + i]);
                s0 = FloatVector.fromArray(S, B, b).fma(g, s0);
                s1 = FloatVector.fromArray(S, B, b + L).fma(g, s1);
                s2 = FloatVector.fromArray(S, B, b + 2 * L).fma(g, s2);
                s3 = FloatVector.fromArray(S, B, b + 3 * L).fma(g, s3);
            }
            int off = r * cols + c;
            s0.fma(va, FloatVector.fromArray(S, C0, off)).intoArray(C, off);
            s1.fma(va, FloatVector.fromArray(S, C0, off + L)).intoArray(C, off + L);
            s2.fma(va, FloatVector.fromArray(S, C0, off + 2 * L)).intoArray(C, off + 2 * L);
            s3.fma(va, FloatVector.fromArray(S, C0, off + 3 * L)).intoArray(C, off + 3 * L);
        }
        for (; c + L <= to; c += L) {
            FloatVector s = FloatVector.zero(S);
            for (int i = 0, b = ib + c; i < inner; i++, b += ldb) {
                s = FloatVector.fromArray(S, B, b).fma(FloatVector.broadcast(S, A[row + i]), s);
            }
            int off = r * cols + c;
            s.fma(va, FloatVector.fromArray(S, C0, off)).intoArray(C, off);
        }
        for (; c < to; c++) {
            float s = 0;
            for (int i = 0; i < inner; i++) s = Math.fma(B[ib + i * ldb + c], A[row + i], s);
            C[r * cols + c] = Math.fma(s, a, C0[r * cols + c]);
        }
    }
}
