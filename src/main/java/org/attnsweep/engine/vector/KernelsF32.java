package org.attnsweep.engine.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector engine's micro-kernels in this file's precision, shared by the span and the direct
 * formulation: dot, axpy, scale, the GEMM with its register tile, the attention scores of a sample
 * (2×4 blocks of query and key rows, or on 16-lane vectors the keys by lanes), and the gather of
 * one sample's rows. This file is the single source:
 * the build derives KernelsF64 from it by rewriting the element type.
 *
 * <p>Every kernel sums in a fixed order (no reduceLanes, no reassociation by thread count), so a
 * run's results repeat bit for bit whatever its batch and however warm the JIT is.
 */
final class KernelsF32 {
    /** The kernels' species: this JVM's preferred one, or the width {@link VectorWidth#BITS} names. */
    static final VectorSpecies<Float> S = VectorWidth.species(FloatVector.SPECIES_PREFERRED);
    static final int L = S.length();

    private KernelsF32() {
    }

    /**
     * Σ_i a[ia+i]·b[ib+i], i < n. The lanes are summed in lane order by plain scalar adds, not by
     * reduceLanes(ADD): the Vector API leaves that reduction's order open, and C2's intrinsic and
     * the interpreter's fallback do differ, so a run's results would change in the last bits with
     * how warm the JIT is (alone vs. after other runs, or in a later batch of a sweep).
     */
    static float dot(float[] a, int ia, float[] b, int ib, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (int bound = S.loopBound(n); i < bound; i += L) {
            acc = FloatVector.fromArray(S, a, ia + i).fma(FloatVector.fromArray(S, b, ib + i), acc);
        }
        float s = 0;
        for (int k = 0; k < L; k++) s += acc.lane(k);
        for (; i < n; i++) s += a[ia + i] * b[ib + i];
        return s;
    }

    /**
     * Vectors a row in {@link #gather4}'s register block, and the width in vectors of the tiles
     * gathered rows are stored by: {@link GemmF32#TILE}'s, 4 with 32 vector registers (AVX-512,
     * AArch64: 16 accumulators, 4 broadcasts and 4 loads per 16 fmas, 21 registers live), 2 with
     * AVX2's 16 (8 accumulators, 13 live).
     */
    static final int GATHER_VECTORS = GemmF32.TILE.vectors;
    /** Whether {@link #gather4}'s block is 4 vectors a row: a static final, which C2 folds. */
    static final boolean WIDE_GATHER = GATHER_VECTORS == 4;
    /**
     * The columns of a tile, {@link GemmF32#WIDTH}: the unit of the tile-major layout ({@link #gatherRowsTiled}).
     * Computed here, not read from GemmF32.WIDTH: GemmF32's initialiser reads {@link #L}, so when it
     * runs first this class initialises inside it and would read WIDTH before it is set.
     */
    static final int W = GATHER_VECTORS * L;

    static {
        if (GATHER_VECTORS != 2 && GATHER_VECTORS != 4) throw new AssertionError("gather4 holds 2 or 4 vectors a row, not " + GATHER_VECTORS);
    }

    /**
     * out[o..o+m) += Σ_t coef[c + t·stride] · src[map[mo+t]·m ..+m), t < M, added in order of t:
     * one sample's M rows combined with 8 (then 4, then 1) vectors of the output row held in
     * registers, so the row is loaded and stored once instead of M times. Every element is the same
     * fma chain over t in order whichever block computes it.
     */
    static void gather(float[] out, int o, float[] coef, int c, int stride, float[] src, int[] map, int mo, int M, int m) {
        gather(out, o, W, o, coef, c, stride, src, map, mo, M, m);
    }

    /**
     * {@link #gather} into one output row held by tiles (the rows of a gather are stored row-major or
     * tile-major, {@link #gatherRowsTiled}): the row's column c < tiled = m − m mod {@link #W} at
     * ro + (c / W)·ts + c mod W (ts the distance from one tile to the next), c ≥ tiled at tro + c.
     * Row-major, ro = tro = the row's offset and ts = W.
     */
    private static void gather(float[] out, int ro, int ts, int tro, float[] coef, int c, int stride, float[] src, int[] map, int mo, int M, int m) {
        int tiled = m - m % W, i = 0;
        // Vector k of a block that starts at a tile's first column: (k·L) / W tiles on, (k·L) mod W into its tile.
        int v1 = tileOffset(L, ts), v2 = tileOffset(2 * L, ts), v3 = tileOffset(3 * L, ts), v4 = tileOffset(4 * L, ts);
        int v5 = tileOffset(5 * L, ts), v6 = tileOffset(6 * L, ts), v7 = tileOffset(7 * L, ts);
        for (; i + 8 * L <= tiled; i += 8 * L) {   // 8·L and 4·L are whole tiles (W is 2 or 4 vectors)
            int o = ro + i / W * ts;
            FloatVector s0 = FloatVector.fromArray(S, out, o), s1 = FloatVector.fromArray(S, out, o + v1);
            FloatVector s2 = FloatVector.fromArray(S, out, o + v2), s3 = FloatVector.fromArray(S, out, o + v3);
            FloatVector s4 = FloatVector.fromArray(S, out, o + v4), s5 = FloatVector.fromArray(S, out, o + v5);
            FloatVector s6 = FloatVector.fromArray(S, out, o + v6), s7 = FloatVector.fromArray(S, out, o + v7);
            for (int t = 0; t < M; t++) {
                FloatVector w = FloatVector.broadcast(S, coef[c + t * stride]);
                int x = map[mo + t] * m + i;
                s0 = FloatVector.fromArray(S, src, x).fma(w, s0);
                s1 = FloatVector.fromArray(S, src, x + L).fma(w, s1);
                s2 = FloatVector.fromArray(S, src, x + 2 * L).fma(w, s2);
                s3 = FloatVector.fromArray(S, src, x + 3 * L).fma(w, s3);
                s4 = FloatVector.fromArray(S, src, x + 4 * L).fma(w, s4);
                s5 = FloatVector.fromArray(S, src, x + 5 * L).fma(w, s5);
                s6 = FloatVector.fromArray(S, src, x + 6 * L).fma(w, s6);
                s7 = FloatVector.fromArray(S, src, x + 7 * L).fma(w, s7);
            }
            s0.intoArray(out, o);
            s1.intoArray(out, o + v1);
            s2.intoArray(out, o + v2);
            s3.intoArray(out, o + v3);
            s4.intoArray(out, o + v4);
            s5.intoArray(out, o + v5);
            s6.intoArray(out, o + v6);
            s7.intoArray(out, o + v7);
        }
        for (; i + 4 * L <= tiled; i += 4 * L) {
            int o = ro + i / W * ts;
            FloatVector s0 = FloatVector.fromArray(S, out, o), s1 = FloatVector.fromArray(S, out, o + v1);
            FloatVector s2 = FloatVector.fromArray(S, out, o + v2), s3 = FloatVector.fromArray(S, out, o + v3);
            for (int t = 0; t < M; t++) {
                FloatVector w = FloatVector.broadcast(S, coef[c + t * stride]);
                int x = map[mo + t] * m + i;
                s0 = FloatVector.fromArray(S, src, x).fma(w, s0);
                s1 = FloatVector.fromArray(S, src, x + L).fma(w, s1);
                s2 = FloatVector.fromArray(S, src, x + 2 * L).fma(w, s2);
                s3 = FloatVector.fromArray(S, src, x + 3 * L).fma(w, s3);
            }
            s0.intoArray(out, o);
            s1.intoArray(out, o + v1);
            s2.intoArray(out, o + v2);
            s3.intoArray(out, o + v3);
        }
        for (; i < tiled; i += L) {   // the last tile's vectors (tiled is whole vectors), then the columns past it
            int o = ro + i / W * ts + i % W;
            FloatVector s0 = FloatVector.fromArray(S, out, o);
            for (int t = 0; t < M; t++) {
                s0 = FloatVector.fromArray(S, src, map[mo + t] * m + i).fma(FloatVector.broadcast(S, coef[c + t * stride]), s0);
            }
            s0.intoArray(out, o);
        }
        for (int bound = S.loopBound(m); i < bound; i += L) {
            FloatVector s0 = FloatVector.fromArray(S, out, tro + i);
            for (int t = 0; t < M; t++) {
                s0 = FloatVector.fromArray(S, src, map[mo + t] * m + i).fma(FloatVector.broadcast(S, coef[c + t * stride]), s0);
            }
            s0.intoArray(out, tro + i);
        }
        for (; i < m; i++) {
            float s0 = out[tro + i];
            for (int t = 0; t < M; t++) s0 = Math.fma(src[map[mo + t] * m + i], coef[c + t * stride], s0);
            out[tro + i] = s0;
        }
    }

    /** Where column x of a row lies from the row's first tile, tiles ts apart: (x / W) tiles on, x mod W into the tile. */
    private static int tileOffset(int x, int ts) {
        return x / W * ts + x % W;
    }

    /**
     * Every output row of one sample at once: for r = 0..M−1 in order, out[map[mo+r]·m ..+m) +=
     * Σ_t coef[r·rowStep + t·stride] · src[map[mo+t]·m ..+m), t < M — exactly M calls of
     * {@link #gather} (row l of D with rowStep M, stride 1; column a with rowStep 1, stride M), bit
     * for bit. Four output rows share each pass over the sample's M source rows ({@link #gather4}),
     * so a source row is loaded once per four output rows instead of once per row. Rows of one
     * token (a token twice in a sample) add into the same output row one after the other, so a
     * group of four with a repeated token, and the last M mod 4 rows, go row by row.
     */
    static void gatherRows(float[] out, float[] coef, int rowStep, int stride, float[] src, int[] map, int mo, int M, int m) {
        gatherRows(out, m, W, 0, m, coef, rowStep, stride, src, map, mo, M, m);
    }

    /**
     * {@link #gatherRows} into an output of P rows held tile-major ({@link GemmF32#tiledAt} at this
     * JVM's tile width {@link #W}): column block [b·W, (b+1)·W) of row j at b·W·P + j·W, the m mod W
     * columns past the last whole tile (tiled = m − m mod W) at tiled·P + j·(m − tiled). The span
     * form gathers α and β so, the layout its update's GEMM tiles read B in: Q −= ηGα then reads α
     * as it is, where a row-major α was copied into that layout at every step. Each element the same
     * fma chain as in {@link #gatherRows}: the same bits, in another place.
     */
    static void gatherRowsTiled(float[] out, int P, float[] coef, int rowStep, int stride, float[] src, int[] map, int mo, int M, int m) {
        int tiled = m - m % W;
        gatherRows(out, W, W * P, tiled * P - tiled, m - tiled, coef, rowStep, stride, src, map, mo, M, m);
    }

    /**
     * {@link #gatherRows} with output row j's origins ({@link #gather}) at ro = j·rs and tro = tb +
     * j·tls, tiles ts apart.
     */
    private static void gatherRows(float[] out, int rs, int ts, int tb, int tls, float[] coef, int rowStep, int stride, float[] src, int[] map,
                                   int mo, int M, int m) {
        GatherScratch g = GATHER_SCRATCH.get().offsets(map, mo, M, m);
        int r = 0;
        for (; r + 4 <= M; r += 4) {
            int j0 = map[mo + r], j1 = map[mo + r + 1], j2 = map[mo + r + 2], j3 = map[mo + r + 3];
            boolean distinct = j0 != j1 && j0 != j2 && j0 != j3 && j1 != j2 && j1 != j3 && j2 != j3;
            if (distinct) {
                gather4(out, j0 * rs, j1 * rs, j2 * rs, j3 * rs, tb + j0 * tls, tb + j1 * tls, tb + j2 * tls, tb + j3 * tls, ts,
                        coef, r * rowStep, rowStep, stride, src, g, M, m);
            } else {
                for (int q = r; q < r + 4; q++) {
                    int j = map[mo + q];
                    gather(out, j * rs, ts, tb + j * tls, coef, q * rowStep, stride, src, map, mo, M, m);
                }
            }
        }
        for (; r < M; r++) {
            int j = map[mo + r];
            gather(out, j * rs, ts, tb + j * tls, coef, r * rowStep, stride, src, map, mo, M, m);
        }
    }

    /**
     * {@link #gatherRows} into M contiguous output rows: for r < M, out[o + r·m ..+m) += Σ_t coef[r·rowStep
     * + t·stride] · src[map[mo+t]·m ..+m), four rows at a time ({@link #gather4}), the rest row by
     * row; every element the same fma chain over t in order.
     */
    static void gatherRowsTo(float[] out, int o, float[] coef, int rowStep, int stride, float[] src, int[] map, int mo, int M, int m) {
        GatherScratch g = GATHER_SCRATCH.get().offsets(map, mo, M, m);
        int r = 0;
        for (; r + 4 <= M; r += 4) {
            int o0 = o + r * m, o1 = o0 + m, o2 = o1 + m, o3 = o2 + m;
            gather4(out, o0, o1, o2, o3, o0, o1, o2, o3, W, coef, r * rowStep, rowStep, stride, src, g, M, m);
        }
        for (; r < M; r++) gather(out, o + r * m, coef, r * rowStep, stride, src, map, mo, M, m);
    }

    /**
     * {@link #gather} for four distinct output rows, their origins r0..r3 and t0..t3 (ro and tro of
     * {@link #gather}, tiles ts apart), whose coefficients start at c, c + rowStep, c + 2·rowStep,
     * c + 3·rowStep ({@link #gather4Block} on the sample's {@link GatherScratch}, its source rows'
     * offsets already there): the four rows' coefficients first copied side by side, cq[4t + q] for
     * row q and source t, so that the block's loop reads them at an index C2 checks once for the loop
     * (4t + q; at c + t·stride, with a stride known only at run time, C2 kept a range check on each
     * of the four at every t) and its sources at xs[t] + i without a multiply. The span step's
     * gathers at paper A's shape: 1.22× per core (GatherBench, benchmarks/RESULTS.md, s28).
     */
    private static void gather4(float[] out, int r0, int r1, int r2, int r3, int t0, int t1, int t2, int t3, int ts, float[] coef, int c,
                                int rowStep, int stride, float[] src, GatherScratch g, int M, int m) {
        float[] cq = g.cq;
        for (int t = 0; t < M; t++) {
            int ct = c + t * stride;
            cq[4 * t] = coef[ct];
            cq[4 * t + 1] = coef[ct + rowStep];
            cq[4 * t + 2] = coef[ct + 2 * rowStep];
            cq[4 * t + 3] = coef[ct + 3 * rowStep];
        }
        gather4Block(out, r0, r1, r2, r3, t0, t1, t2, t3, ts, cq, g.xs, src, M, m);
    }

    /**
     * A thread's scratch for {@link #gather4}: one sample's source rows' offsets xs[t] = map[mo + t]·m
     * (M), set once per sample's rows, and four rows' coefficients side by side (4·M), set per group.
     */
    private static final class GatherScratch {
        float[] cq = new float[0];
        int[] xs = new int[0];

        /** This scratch, grown to hold a sample of M tokens, with the offsets of the sample's source rows (m floats each). */
        GatherScratch offsets(int[] map, int mo, int M, int m) {
            if (xs.length < M) {
                cq = new float[4 * M];
                xs = new int[M];
            }
            for (int t = 0; t < M; t++) xs[t] = map[mo + t] * m;
            return this;
        }
    }

    private static final ThreadLocal<GatherScratch> GATHER_SCRATCH = ThreadLocal.withInitial(GatherScratch::new);

    /**
     * The block of {@link #gather4}: out[row q] += Σ_t cq[4t + q] · src[xs[t] ..], t < M, in order of
     * t, with each source vector loaded once for the four rows: a tile's {@link #GATHER_VECTORS}
     * vectors a row at a time (with 32 registers 4: where 2 vectors a row take 4 broadcasts and 2
     * loads per 8 fmas, the direct step's E_n at d_p = 4·L is one such block per row group, the span
     * step's α and β 1.45× per core on their gathers), then one vector at a time, then the scalar
     * tail. The block's third and fourth vectors are under tests of the static final
     * {@link #WIDE_GATHER}, which C2 folds: one block in the source, each machine's width in the
     * compiled code. Every element is the same fma chain over t in order as in {@link #gather}.
     */
    private static void gather4Block(float[] out, int r0, int r1, int r2, int r3, int t0, int t1, int t2, int t3, int ts, float[] cq, int[] xs,
                                     float[] src, int M, int m) {
        int i = 0;
        FloatVector zero = FloatVector.zero(S);
        for (int tiled = m - m % W; i < tiled; i += W) {
            int b = i / W * ts, o0 = r0 + b, o1 = r1 + b, o2 = r2 + b, o3 = r3 + b;
            FloatVector a0 = FloatVector.fromArray(S, out, o0), b0 = FloatVector.fromArray(S, out, o0 + L);
            FloatVector a1 = FloatVector.fromArray(S, out, o1), b1 = FloatVector.fromArray(S, out, o1 + L);
            FloatVector a2 = FloatVector.fromArray(S, out, o2), b2 = FloatVector.fromArray(S, out, o2 + L);
            FloatVector a3 = FloatVector.fromArray(S, out, o3), b3 = FloatVector.fromArray(S, out, o3 + L);
            FloatVector e0 = WIDE_GATHER ? FloatVector.fromArray(S, out, o0 + 2 * L) : zero, h0 = WIDE_GATHER ? FloatVector.fromArray(S, out, o0 + 3 * L) : zero;
            FloatVector e1 = WIDE_GATHER ? FloatVector.fromArray(S, out, o1 + 2 * L) : zero, h1 = WIDE_GATHER ? FloatVector.fromArray(S, out, o1 + 3 * L) : zero;
            FloatVector e2 = WIDE_GATHER ? FloatVector.fromArray(S, out, o2 + 2 * L) : zero, h2 = WIDE_GATHER ? FloatVector.fromArray(S, out, o2 + 3 * L) : zero;
            FloatVector e3 = WIDE_GATHER ? FloatVector.fromArray(S, out, o3 + 2 * L) : zero, h3 = WIDE_GATHER ? FloatVector.fromArray(S, out, o3 + 3 * L) : zero;
            for (int t = 0; t < M; t++) {
                int x = xs[t] + i;
                FloatVector w0 = FloatVector.broadcast(S, cq[4 * t]), w1 = FloatVector.broadcast(S, cq[4 * t + 1]);
                FloatVector w2 = FloatVector.broadcast(S, cq[4 * t + 2]), w3 = FloatVector.broadcast(S, cq[4 * t + 3]);
                FloatVector v = FloatVector.fromArray(S, src, x);
                a0 = v.fma(w0, a0);
                a1 = v.fma(w1, a1);
                a2 = v.fma(w2, a2);
                a3 = v.fma(w3, a3);
                v = FloatVector.fromArray(S, src, x + L);
                b0 = v.fma(w0, b0);
                b1 = v.fma(w1, b1);
                b2 = v.fma(w2, b2);
                b3 = v.fma(w3, b3);
                if (!WIDE_GATHER) continue;
                v = FloatVector.fromArray(S, src, x + 2 * L);
                e0 = v.fma(w0, e0);
                e1 = v.fma(w1, e1);
                e2 = v.fma(w2, e2);
                e3 = v.fma(w3, e3);
                v = FloatVector.fromArray(S, src, x + 3 * L);
                h0 = v.fma(w0, h0);
                h1 = v.fma(w1, h1);
                h2 = v.fma(w2, h2);
                h3 = v.fma(w3, h3);
            }
            a0.intoArray(out, o0);
            b0.intoArray(out, o0 + L);
            a1.intoArray(out, o1);
            b1.intoArray(out, o1 + L);
            a2.intoArray(out, o2);
            b2.intoArray(out, o2 + L);
            a3.intoArray(out, o3);
            b3.intoArray(out, o3 + L);
            if (!WIDE_GATHER) continue;
            e0.intoArray(out, o0 + 2 * L);
            h0.intoArray(out, o0 + 3 * L);
            e1.intoArray(out, o1 + 2 * L);
            h1.intoArray(out, o1 + 3 * L);
            e2.intoArray(out, o2 + 2 * L);
            h2.intoArray(out, o2 + 3 * L);
            e3.intoArray(out, o3 + 2 * L);
            h3.intoArray(out, o3 + 3 * L);
        }
        for (int bound = S.loopBound(m); i < bound; i += L) {
            FloatVector a0 = FloatVector.fromArray(S, out, t0 + i), a1 = FloatVector.fromArray(S, out, t1 + i);
            FloatVector a2 = FloatVector.fromArray(S, out, t2 + i), a3 = FloatVector.fromArray(S, out, t3 + i);
            for (int t = 0; t < M; t++) {
                FloatVector v = FloatVector.fromArray(S, src, xs[t] + i);
                a0 = v.fma(FloatVector.broadcast(S, cq[4 * t]), a0);
                a1 = v.fma(FloatVector.broadcast(S, cq[4 * t + 1]), a1);
                a2 = v.fma(FloatVector.broadcast(S, cq[4 * t + 2]), a2);
                a3 = v.fma(FloatVector.broadcast(S, cq[4 * t + 3]), a3);
            }
            a0.intoArray(out, t0 + i);
            a1.intoArray(out, t1 + i);
            a2.intoArray(out, t2 + i);
            a3.intoArray(out, t3 + i);
        }
        for (; i < m; i++) {
            float a0 = out[t0 + i], a1 = out[t1 + i], a2 = out[t2 + i], a3 = out[t3 + i];
            for (int t = 0; t < M; t++) {
                float v = src[xs[t] + i];
                a0 = Math.fma(v, cq[4 * t], a0);
                a1 = Math.fma(v, cq[4 * t + 1], a1);
                a2 = Math.fma(v, cq[4 * t + 2], a2);
                a3 = Math.fma(v, cq[4 * t + 3], a3);
            }
            out[t0 + i] = a0;
            out[t1 + i] = a1;
            out[t2 + i] = a2;
            out[t3 + i] = a3;
        }
    }

    /**
     * One query's softmax over the M logits z[row .. row+M) of a sample, in place: S_a =
     * e^{z_a − max} / Σ e^{z − max}, each sum taken in key order; returns ū = Σ_a S_a u_{j_a} with
     * j_a = map[mo + a], summed in key order. The training forward pass and the evaluation both
     * take it, so a run's evaluated f is its trained f bit for bit. The exponentials are taken L
     * keys at a time ({@link VectorExp}, the last vector masked to the row): M = 16 calls of
     * Math.exp were about half of this kernel's time (benchmarks/RESULTS.md, issue 11, s19).
     */
    static float softmaxRow(float[] z, int row, int M, float[] u, int[] map, int mo) {
        float max = Float.NEGATIVE_INFINITY;
        for (int a = 0; a < M; a++) max = Math.max(max, z[row + a]);
        for (int a = 0; a < M; a += L) {
            VectorMask<Float> in = S.indexInRange(a, M);
            VectorExp.exp(FloatVector.fromArray(S, z, row + a, in).sub(max)).intoArray(z, row + a, in);
        }
        float sum = 0;
        for (int a = 0; a < M; a++) sum += z[row + a];
        float ub = 0;
        for (int a = 0; a < M; a++) {
            float s = z[row + a] / sum;
            z[row + a] = s;
            ub += s * u[map[mo + a]];
        }
        return ub;
    }

    /**
     * All M×M logits z_la = q_{j_l}·k_{j_a} of one sample, into Z[(zRow + l)·M + a], each summed as
     * {@link #dot} sums it: by {@link #keyLaneScores} (the keys by lanes) where {@link #KEY_LANES}
     * and M ≥ L/2, else by the 2×4 blocks of {@link #scores} (with fewer keys than half a vector,
     * most lanes of a key vector would idle). {@code scratch} is at least {@link #scoresScratch}(M,
     * mk) long.
     */
    static void sampleScores(float[] Z, int zRow, float[] Q, float[] K, int[] map, int mo, int M, int mk, float[] scratch) {
        if (KEY_LANES && 2 * M >= L) {
            keyLaneScores(Z, zRow, Q, K, map, mo, M, mk, scratch);
            return;
        }
        for (int l = 0; l < M; l += 2) {
            for (int a = 0; a < M; a += 4) scores(Z, zRow, Q, K, map, mo, l, a, M, mk, scratch);
        }
    }

    /**
     * Whether {@link #sampleScores} may take the keys by lanes: with 16 lanes only (float32 on
     * 512-bit vectors), the one width where it was measured faster than the 2×4 blocks, 1.12–1.20×
     * at paper A's M = 16, m_k = 512 (benchmarks/RESULTS.md, issue 11, s20). Its transposes cost
     * 4 two-table selects per key vector whatever the width, and with 8 lanes (AVX2: 0.79×; float64
     * on 512 bits: 0.73×) or 4 (0.86×) they outweigh what the product saves.
     */
    static final boolean KEY_LANES = L == 16;

    /** The scratch {@link #sampleScores} needs for M tokens of m_k-wide rows: the transposed keys (m_k rows of M rounded up to 16), or 8 vectors' lanes. */
    static int scoresScratch(int M, int mk) {
        return KEY_LANES && 2 * M >= L ? mk * keyRowWidth(M) : 8 * L;
    }

    /**
     * The stages of {@link #transposeKeys}' 16×16 transposes, as index vectors of a two-table
     * select (index j: table 1's lane j, 16 + j: table 2's): for rows x, y = t, t + h (bit h of t
     * clear), lane j takes x's lane j, or y's lane j − h where bit h of j is set (LO), and x's
     * lane j + h where bit h of j is clear, or y's lane j (HI): bit h of the lane and bit h of the
     * row swapped, for h = 1, 2, 4, 8.
     */
    private static final FloatVector SWAP1_LO = swap(1, false), SWAP1_HI = swap(1, true), SWAP2_LO = swap(2, false), SWAP2_HI = swap(2, true),
            SWAP4_LO = swap(4, false), SWAP4_HI = swap(4, true), SWAP8_LO = swap(8, false), SWAP8_HI = swap(8, true);

    private static FloatVector swap(int h, boolean high) {
        float[] idx = new float[L];
        for (int j = 0; j < L; j++) idx[j] = (j & h) == 0 ? (high ? j + h : j) : (high ? L + j : L + j - h);
        return FloatVector.fromArray(S, idx, 0);
    }

    /** The keys {@link #transposeKeys} lays out side by side: M rounded up to whole 16-key vectors. */
    private static int keyRowWidth(int M) {
        return (M + 15) / 16 * 16;
    }

    /**
     * A sample's logits with the keys by lanes (L = 16). Its keys are first transposed into kT, W =
     * {@link #keyRowWidth} keys a row, residue-major: with C = ⌊m_k/L⌋ vector chunks, row r·C + c
     * holds element cL + r of every key, and row i ≥ CL element i (the tail). Then, for 8 queries
     * and one vector of 16 keys, z_l· = Σ_r c_{l,r} in order of r, where c_{l,r}[a] = Σ_c
     * q_l[cL + r]·k_a[cL + r] is one fma chain over c — lane r of dot's accumulator, so each logit
     * is dot's sum bit for bit (then the tail, multiplied and added in order, as dot adds it). The
     * chain over c reads kT's rows in order; a key vector serves 8 queries and there are no lane
     * sums, where the 2×4 blocks read 6 rows of m_k per 8 chains and sum 8·L lanes one by one.
     * Queries past M − 1 repeat the last one and keys past it read the last key; neither is written.
     */
    private static void keyLaneScores(float[] Z, int zRow, float[] Q, float[] K, int[] map, int mo, int M, int mk, float[] kT) {
        int W = keyRowWidth(M);
        for (int kb = 0; kb < W; kb += 16) transposeKeys(K, map, mo, kb, M, mk, kT, W);
        for (int l = 0; l < M; l += 8) {
            for (int a = 0; a < M; a += L) keyLaneBlock(Z, zRow, Q, map, mo, l, a, M, mk, kT, W);
        }
    }

    /** The logits of queries l..l+7 and keys a..a+L−1 of {@link #keyLaneScores}: 8 chains in flight, one per query. */
    private static void keyLaneBlock(float[] Z, int zRow, float[] Q, int[] map, int mo, int l, int a, int M, int mk, float[] kT, int W) {
        int last = M - 1, bound = S.loopBound(mk);
        int q0 = map[mo + l] * mk, q1 = map[mo + Math.min(l + 1, last)] * mk, q2 = map[mo + Math.min(l + 2, last)] * mk;
        int q3 = map[mo + Math.min(l + 3, last)] * mk, q4 = map[mo + Math.min(l + 4, last)] * mk;
        int q5 = map[mo + Math.min(l + 5, last)] * mk, q6 = map[mo + Math.min(l + 6, last)] * mk, q7 = map[mo + Math.min(l + 7, last)] * mk;
        FloatVector z0 = FloatVector.zero(S), z1 = z0, z2 = z0, z3 = z0, z4 = z0, z5 = z0, z6 = z0, z7 = z0;
        for (int r = 0; r < L; r++) {
            FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
            for (int i = r, o = r * (bound / L) * W + a; i < bound; i += L, o += W) {
                FloatVector k = FloatVector.fromArray(S, kT, o);
                c0 = FloatVector.broadcast(S, Q[q0 + i]).fma(k, c0);
                c1 = FloatVector.broadcast(S, Q[q1 + i]).fma(k, c1);
                c2 = FloatVector.broadcast(S, Q[q2 + i]).fma(k, c2);
                c3 = FloatVector.broadcast(S, Q[q3 + i]).fma(k, c3);
                c4 = FloatVector.broadcast(S, Q[q4 + i]).fma(k, c4);
                c5 = FloatVector.broadcast(S, Q[q5 + i]).fma(k, c5);
                c6 = FloatVector.broadcast(S, Q[q6 + i]).fma(k, c6);
                c7 = FloatVector.broadcast(S, Q[q7 + i]).fma(k, c7);
            }
            z0 = z0.add(c0);
            z1 = z1.add(c1);
            z2 = z2.add(c2);
            z3 = z3.add(c3);
            z4 = z4.add(c4);
            z5 = z5.add(c5);
            z6 = z6.add(c6);
            z7 = z7.add(c7);
        }
        for (int j = bound; j < mk; j++) {
            FloatVector k = FloatVector.fromArray(S, kT, j * W + a);
            z0 = z0.add(FloatVector.broadcast(S, Q[q0 + j]).mul(k));
            z1 = z1.add(FloatVector.broadcast(S, Q[q1 + j]).mul(k));
            z2 = z2.add(FloatVector.broadcast(S, Q[q2 + j]).mul(k));
            z3 = z3.add(FloatVector.broadcast(S, Q[q3 + j]).mul(k));
            z4 = z4.add(FloatVector.broadcast(S, Q[q4 + j]).mul(k));
            z5 = z5.add(FloatVector.broadcast(S, Q[q5 + j]).mul(k));
            z6 = z6.add(FloatVector.broadcast(S, Q[q6 + j]).mul(k));
            z7 = z7.add(FloatVector.broadcast(S, Q[q7 + j]).mul(k));
        }
        VectorMask<Float> in = S.indexInRange(a, M);
        int row = (zRow + l) * M + a, nl = Math.min(8, M - l);
        z0.intoArray(Z, row, in);
        if (nl > 1) z1.intoArray(Z, row + M, in);
        if (nl > 2) z2.intoArray(Z, row + 2 * M, in);
        if (nl > 3) z3.intoArray(Z, row + 3 * M, in);
        if (nl > 4) z4.intoArray(Z, row + 4 * M, in);
        if (nl > 5) z5.intoArray(Z, row + 5 * M, in);
        if (nl > 6) z6.intoArray(Z, row + 6 * M, in);
        if (nl > 7) z7.intoArray(Z, row + 7 * M, in);
    }

    /**
     * Keys kb..kb+15 of a sample (past M − 1 the last key) into columns kb.. of kT in
     * {@link #keyLaneScores}' layout: each chunk of 16 elements of the 16 keys transposed in
     * registers by four stages (SWAP1_LO..SWAP8_HI), each output vector one two-table select, the
     * tail's elements copied one by one.
     */
    private static void transposeKeys(float[] K, int[] map, int mo, int kb, int M, int mk, float[] kT, int W) {
        int last = M - 1, bound = S.loopBound(mk), C = bound / L;
        int k0 = map[mo + Math.min(kb, last)] * mk, k1 = map[mo + Math.min(kb + 1, last)] * mk;
        int k2 = map[mo + Math.min(kb + 2, last)] * mk, k3 = map[mo + Math.min(kb + 3, last)] * mk;
        int k4 = map[mo + Math.min(kb + 4, last)] * mk, k5 = map[mo + Math.min(kb + 5, last)] * mk;
        int k6 = map[mo + Math.min(kb + 6, last)] * mk, k7 = map[mo + Math.min(kb + 7, last)] * mk;
        int k8 = map[mo + Math.min(kb + 8, last)] * mk, k9 = map[mo + Math.min(kb + 9, last)] * mk;
        int k10 = map[mo + Math.min(kb + 10, last)] * mk, k11 = map[mo + Math.min(kb + 11, last)] * mk;
        int k12 = map[mo + Math.min(kb + 12, last)] * mk, k13 = map[mo + Math.min(kb + 13, last)] * mk;
        int k14 = map[mo + Math.min(kb + 14, last)] * mk, k15 = map[mo + Math.min(kb + 15, last)] * mk;
        for (int i = 0, c = 0; i < bound; i += L, c++) {
            FloatVector v0 = FloatVector.fromArray(S, K, k0 + i), v1 = FloatVector.fromArray(S, K, k1 + i);
            FloatVector v2 = FloatVector.fromArray(S, K, k2 + i), v3 = FloatVector.fromArray(S, K, k3 + i);
            FloatVector v4 = FloatVector.fromArray(S, K, k4 + i), v5 = FloatVector.fromArray(S, K, k5 + i);
            FloatVector v6 = FloatVector.fromArray(S, K, k6 + i), v7 = FloatVector.fromArray(S, K, k7 + i);
            FloatVector v8 = FloatVector.fromArray(S, K, k8 + i), v9 = FloatVector.fromArray(S, K, k9 + i);
            FloatVector v10 = FloatVector.fromArray(S, K, k10 + i), v11 = FloatVector.fromArray(S, K, k11 + i);
            FloatVector v12 = FloatVector.fromArray(S, K, k12 + i), v13 = FloatVector.fromArray(S, K, k13 + i);
            FloatVector v14 = FloatVector.fromArray(S, K, k14 + i), v15 = FloatVector.fromArray(S, K, k15 + i);
            FloatVector t;
            t = SWAP1_LO.selectFrom(v0, v1); v1 = SWAP1_HI.selectFrom(v0, v1); v0 = t;
            t = SWAP1_LO.selectFrom(v2, v3); v3 = SWAP1_HI.selectFrom(v2, v3); v2 = t;
            t = SWAP1_LO.selectFrom(v4, v5); v5 = SWAP1_HI.selectFrom(v4, v5); v4 = t;
            t = SWAP1_LO.selectFrom(v6, v7); v7 = SWAP1_HI.selectFrom(v6, v7); v6 = t;
            t = SWAP1_LO.selectFrom(v8, v9); v9 = SWAP1_HI.selectFrom(v8, v9); v8 = t;
            t = SWAP1_LO.selectFrom(v10, v11); v11 = SWAP1_HI.selectFrom(v10, v11); v10 = t;
            t = SWAP1_LO.selectFrom(v12, v13); v13 = SWAP1_HI.selectFrom(v12, v13); v12 = t;
            t = SWAP1_LO.selectFrom(v14, v15); v15 = SWAP1_HI.selectFrom(v14, v15); v14 = t;
            t = SWAP2_LO.selectFrom(v0, v2); v2 = SWAP2_HI.selectFrom(v0, v2); v0 = t;
            t = SWAP2_LO.selectFrom(v1, v3); v3 = SWAP2_HI.selectFrom(v1, v3); v1 = t;
            t = SWAP2_LO.selectFrom(v4, v6); v6 = SWAP2_HI.selectFrom(v4, v6); v4 = t;
            t = SWAP2_LO.selectFrom(v5, v7); v7 = SWAP2_HI.selectFrom(v5, v7); v5 = t;
            t = SWAP2_LO.selectFrom(v8, v10); v10 = SWAP2_HI.selectFrom(v8, v10); v8 = t;
            t = SWAP2_LO.selectFrom(v9, v11); v11 = SWAP2_HI.selectFrom(v9, v11); v9 = t;
            t = SWAP2_LO.selectFrom(v12, v14); v14 = SWAP2_HI.selectFrom(v12, v14); v12 = t;
            t = SWAP2_LO.selectFrom(v13, v15); v15 = SWAP2_HI.selectFrom(v13, v15); v13 = t;
            t = SWAP4_LO.selectFrom(v0, v4); v4 = SWAP4_HI.selectFrom(v0, v4); v0 = t;
            t = SWAP4_LO.selectFrom(v1, v5); v5 = SWAP4_HI.selectFrom(v1, v5); v1 = t;
            t = SWAP4_LO.selectFrom(v2, v6); v6 = SWAP4_HI.selectFrom(v2, v6); v2 = t;
            t = SWAP4_LO.selectFrom(v3, v7); v7 = SWAP4_HI.selectFrom(v3, v7); v3 = t;
            t = SWAP4_LO.selectFrom(v8, v12); v12 = SWAP4_HI.selectFrom(v8, v12); v8 = t;
            t = SWAP4_LO.selectFrom(v9, v13); v13 = SWAP4_HI.selectFrom(v9, v13); v9 = t;
            t = SWAP4_LO.selectFrom(v10, v14); v14 = SWAP4_HI.selectFrom(v10, v14); v10 = t;
            t = SWAP4_LO.selectFrom(v11, v15); v15 = SWAP4_HI.selectFrom(v11, v15); v11 = t;
            t = SWAP8_LO.selectFrom(v0, v8); v8 = SWAP8_HI.selectFrom(v0, v8); v0 = t;
            t = SWAP8_LO.selectFrom(v1, v9); v9 = SWAP8_HI.selectFrom(v1, v9); v1 = t;
            t = SWAP8_LO.selectFrom(v2, v10); v10 = SWAP8_HI.selectFrom(v2, v10); v2 = t;
            t = SWAP8_LO.selectFrom(v3, v11); v11 = SWAP8_HI.selectFrom(v3, v11); v3 = t;
            t = SWAP8_LO.selectFrom(v4, v12); v12 = SWAP8_HI.selectFrom(v4, v12); v4 = t;
            t = SWAP8_LO.selectFrom(v5, v13); v13 = SWAP8_HI.selectFrom(v5, v13); v5 = t;
            t = SWAP8_LO.selectFrom(v6, v14); v14 = SWAP8_HI.selectFrom(v6, v14); v6 = t;
            t = SWAP8_LO.selectFrom(v7, v15); v15 = SWAP8_HI.selectFrom(v7, v15); v7 = t;
            // Row r now holds residue r of chunk c of the 16 keys: kT row r·C + c (residue-major).
            v0.intoArray(kT, (0 * C + c) * W + kb);
            v1.intoArray(kT, (1 * C + c) * W + kb);
            v2.intoArray(kT, (2 * C + c) * W + kb);
            v3.intoArray(kT, (3 * C + c) * W + kb);
            v4.intoArray(kT, (4 * C + c) * W + kb);
            v5.intoArray(kT, (5 * C + c) * W + kb);
            v6.intoArray(kT, (6 * C + c) * W + kb);
            v7.intoArray(kT, (7 * C + c) * W + kb);
            v8.intoArray(kT, (8 * C + c) * W + kb);
            v9.intoArray(kT, (9 * C + c) * W + kb);
            v10.intoArray(kT, (10 * C + c) * W + kb);
            v11.intoArray(kT, (11 * C + c) * W + kb);
            v12.intoArray(kT, (12 * C + c) * W + kb);
            v13.intoArray(kT, (13 * C + c) * W + kb);
            v14.intoArray(kT, (14 * C + c) * W + kb);
            v15.intoArray(kT, (15 * C + c) * W + kb);
        }
        for (int i = bound; i < mk; i++) {
            int o = i * W + kb;
            kT[o] = K[k0 + i];
            kT[o + 1] = K[k1 + i];
            kT[o + 2] = K[k2 + i];
            kT[o + 3] = K[k3 + i];
            kT[o + 4] = K[k4 + i];
            kT[o + 5] = K[k5 + i];
            kT[o + 6] = K[k6 + i];
            kT[o + 7] = K[k7 + i];
            kT[o + 8] = K[k8 + i];
            kT[o + 9] = K[k9 + i];
            kT[o + 10] = K[k10 + i];
            kT[o + 11] = K[k11 + i];
            kT[o + 12] = K[k12 + i];
            kT[o + 13] = K[k13 + i];
            kT[o + 14] = K[k14 + i];
            kT[o + 15] = K[k15 + i];
        }
    }

    /**
     * The attention logits z_la = q_{j_l}·k_{j_a} of one sample for queries l, l+1 and keys a..a+3,
     * into Z[row(l)·M + a ..] with row(l) = zRow + l: eight dot products in flight, each summed
     * exactly as {@link #dot} sums it (lanes in order, then the tail). j_t = map[mo + t]; Q and K
     * hold m_k-wide rows. Indices past M − 1 repeat the last one and are not written.
     * {@code lanes} is scratch of at least 8·L.
     */
    static void scores(float[] Z, int zRow, float[] Q, float[] K, int[] map, int mo, int l, int a, int M, int mk, float[] lanes) {
        int last = M - 1;
        int q0 = map[mo + l] * mk, q1 = map[mo + Math.min(l + 1, last)] * mk;
        int k0 = map[mo + a] * mk, k1 = map[mo + Math.min(a + 1, last)] * mk;
        int k2 = map[mo + Math.min(a + 2, last)] * mk, k3 = map[mo + Math.min(a + 3, last)] * mk;
        FloatVector z00 = FloatVector.zero(S), z01 = z00, z02 = z00, z03 = z00;
        FloatVector z10 = z00, z11 = z00, z12 = z00, z13 = z00;
        int i = 0;
        for (int bound = S.loopBound(mk); i < bound; i += L) {
            FloatVector vq0 = FloatVector.fromArray(S, Q, q0 + i), vq1 = FloatVector.fromArray(S, Q, q1 + i);
            FloatVector vk = FloatVector.fromArray(S, K, k0 + i);
            z00 = vq0.fma(vk, z00);
            z10 = vq1.fma(vk, z10);
            vk = FloatVector.fromArray(S, K, k1 + i);
            z01 = vq0.fma(vk, z01);
            z11 = vq1.fma(vk, z11);
            vk = FloatVector.fromArray(S, K, k2 + i);
            z02 = vq0.fma(vk, z02);
            z12 = vq1.fma(vk, z12);
            vk = FloatVector.fromArray(S, K, k3 + i);
            z03 = vq0.fma(vk, z03);
            z13 = vq1.fma(vk, z13);
        }
        z00.intoArray(lanes, 0);
        z01.intoArray(lanes, L);
        z02.intoArray(lanes, 2 * L);
        z03.intoArray(lanes, 3 * L);
        z10.intoArray(lanes, 4 * L);
        z11.intoArray(lanes, 5 * L);
        z12.intoArray(lanes, 6 * L);
        z13.intoArray(lanes, 7 * L);
        // The eight lane sums side by side: each is its own chain in lane order (exactly dot's), and
        // eight independent chains keep the adder busy where one would wait on each add's latency.
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (int k = 0; k < L; k++) {
            s0 += lanes[k];
            s1 += lanes[L + k];
            s2 += lanes[2 * L + k];
            s3 += lanes[3 * L + k];
            s4 += lanes[4 * L + k];
            s5 += lanes[5 * L + k];
            s6 += lanes[6 * L + k];
            s7 += lanes[7 * L + k];
        }
        lanes[0] = s0;
        lanes[1] = s1;
        lanes[2] = s2;
        lanes[3] = s3;
        lanes[4] = s4;
        lanes[5] = s5;
        lanes[6] = s6;
        lanes[7] = s7;
        int na = Math.min(4, M - a), nl = l + 1 > last ? 1 : 2;
        for (int ql = 0; ql < nl; ql++) {
            int qo = ql == 0 ? q0 : q1, row = (zRow + l + ql) * M + a;
            for (int t = 0; t < na; t++) {
                float sum = lanes[4 * ql + t];
                int ko = t == 0 ? k0 : t == 1 ? k1 : t == 2 ? k2 : k3;
                for (int j = i; j < mk; j++) sum += Q[qo + j] * K[ko + j];
                Z[row + t] = sum;
            }
        }
    }

    /** Rows of one register block of {@link #rowPanel}: 8 accumulators, 10 registers with the row of B and the broadcast (within AVX2's 16). */
    static final int PANEL_ROWS = 8;

    /**
     * C[c0 + r·cols + c] = Σ_k A[row(r) + k·ks] · B[b0 + k·ldb + c] for r < rows, c < cols (a multiple
     * of L), k < inner, with row(r) = (map == null ? mo + r : map[mo + r])·rs: a product whose output is
     * a few vectors wide, its coefficient rows picked through map (a sample's tokens) or read with a
     * stride (ks = the row length: a column of A). {@link #PANEL_ROWS} output rows at a time share
     * each vector of B, each accumulating a broadcast of its own coefficient; rows past the last of a
     * partial block repeat it and are not stored. Every element is the fma chain over k in order
     * from 0, whichever block computes it. B's rows are ldb apart, which may be less than cols: a
     * vector then reads on into the next row, and B must hold b0 + (inner − 1)·ldb + cols values.
     */
    static void rowPanel(float[] C, int c0, float[] A, int[] map, int mo, int rs, int ks, float[] B, int b0, int ldb, int rows, int inner,
                         int cols) {
        int last = rows - 1;
        for (int r = 0; r < rows; r += PANEL_ROWS) {
            int a0 = (map == null ? mo + r : map[mo + r]) * rs;
            int a1 = (map == null ? mo + Math.min(r + 1, last) : map[mo + Math.min(r + 1, last)]) * rs;
            int a2 = (map == null ? mo + Math.min(r + 2, last) : map[mo + Math.min(r + 2, last)]) * rs;
            int a3 = (map == null ? mo + Math.min(r + 3, last) : map[mo + Math.min(r + 3, last)]) * rs;
            int a4 = (map == null ? mo + Math.min(r + 4, last) : map[mo + Math.min(r + 4, last)]) * rs;
            int a5 = (map == null ? mo + Math.min(r + 5, last) : map[mo + Math.min(r + 5, last)]) * rs;
            int a6 = (map == null ? mo + Math.min(r + 6, last) : map[mo + Math.min(r + 6, last)]) * rs;
            int a7 = (map == null ? mo + Math.min(r + 7, last) : map[mo + Math.min(r + 7, last)]) * rs;
            for (int c = 0; c < cols; c += L) {
                FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
                for (int k = 0, b = b0 + c, o = 0; k < inner; k++, b += ldb, o += ks) {
                    FloatVector v = FloatVector.fromArray(S, B, b);
                    s0 = v.fma(FloatVector.broadcast(S, A[a0 + o]), s0);
                    s1 = v.fma(FloatVector.broadcast(S, A[a1 + o]), s1);
                    s2 = v.fma(FloatVector.broadcast(S, A[a2 + o]), s2);
                    s3 = v.fma(FloatVector.broadcast(S, A[a3 + o]), s3);
                    s4 = v.fma(FloatVector.broadcast(S, A[a4 + o]), s4);
                    s5 = v.fma(FloatVector.broadcast(S, A[a5 + o]), s5);
                    s6 = v.fma(FloatVector.broadcast(S, A[a6 + o]), s6);
                    s7 = v.fma(FloatVector.broadcast(S, A[a7 + o]), s7);
                }
                int out = c0 + r * cols + c, n = Math.min(PANEL_ROWS, rows - r);
                s0.intoArray(C, out);
                if (n > 1) s1.intoArray(C, out + cols);
                if (n > 2) s2.intoArray(C, out + 2 * cols);
                if (n > 3) s3.intoArray(C, out + 3 * cols);
                if (n > 4) s4.intoArray(C, out + 4 * cols);
                if (n > 5) s5.intoArray(C, out + 5 * cols);
                if (n > 6) s6.intoArray(C, out + 6 * cols);
                if (n > 7) s7.intoArray(C, out + 7 * cols);
            }
        }
    }

    /**
     * The softmax of one sample's logits held by columns: Z[z0 + a·w + l] = z_la for keys a < M and
     * queries l < w (w a multiple of L, lanes l ≥ M padding), so that a vector holds one key's logits
     * for L queries and the softmax over a is lane-wise: for each query l, in order of a, m = max z_la,
     * e_la = e^(z_la − m) ({@link VectorExp}), Σ e_la, then s_la = e_la / Σ written over z_la and
     * ū_l = Σ_a s_la u[uo + a] (fma, a in order: the values of the sample's M token occurrences side by
     * side) into ub[ubo + l]. Returns Σ_{l<M} ū_l, summed in order of l. No lane of one query meets
     * another's, so padding lanes never reach the real ones.
     */
    static float softmaxColumns(float[] Z, int z0, float[] u, int uo, int M, int w, float[] ub, int ubo) {
        for (int c = 0; c < w; c += L) {
            FloatVector max = FloatVector.fromArray(S, Z, z0 + c);
            for (int a = 1; a < M; a++) max = max.max(FloatVector.fromArray(S, Z, z0 + a * w + c));
            FloatVector sum = FloatVector.zero(S);
            for (int a = 0; a < M; a++) {
                int o = z0 + a * w + c;
                FloatVector e = VectorExp.exp(FloatVector.fromArray(S, Z, o).sub(max));
                e.intoArray(Z, o);
                sum = sum.add(e);
            }
            FloatVector ubar = FloatVector.zero(S);
            for (int a = 0; a < M; a++) {
                int o = z0 + a * w + c;
                FloatVector s = FloatVector.fromArray(S, Z, o).div(sum);
                s.intoArray(Z, o);
                ubar = s.fma(FloatVector.broadcast(S, u[uo + a]), ubar);
            }
            ubar.intoArray(ub, ubo + c);
        }
        float total = 0;
        for (int l = 0; l < M; l++) total += ub[ubo + l];
        return total;
    }

    /**
     * Runs every kernel on small scratch arrays {@link #WARM_CALLS} times, once per JVM (the first call
     * does it, later calls return at once). Until C2 compiles a kernel, its vector operations run
     * in the interpreter or C1 as allocated objects, some hundred times slower: a run of a few dozen
     * large steps would otherwise spend most of its time there. The sizes take every block and tail
     * of every kernel, so the compiled code has seen each branch and is not thrown away later.
     */
    static void warmUp() {
        WarmUp.done();
    }

    /** Set when {@link WarmUp}'s calls have all run (read by tests, without starting the warm-up). */
    private static volatile boolean warmedUp;

    static boolean warmedUp() {
        return warmedUp;
    }

    static final int WARM_CALLS = 12_000;

    private static final class WarmUp {
        static {
            // Two threads, each calling half of the kernels: a thread that calls a kernel waits
            // while C2 compiles it (scripts/attnsweep compiles this package in the foreground), so
            // one thread kept one compiler busy at a time while a core idled (RESULTS.md, s23).
            Part other = new Part(1);
            Thread t = Thread.ofPlatform().daemon().name("attnsweep-warm-up-2").start(other);
            new Part(0).run();
            boolean interrupted = false;
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
            if (other.failed != null) throw new IllegalStateException("the kernels' warm-up failed", other.failed);
            warmedUp = true;
        }

        static void done() {
        }

        /**
         * Half of the warm-up's calls on scratch arrays of its own: part 0 the GEMM, the row panel,
         * the softmaxes and the vector sweeps, part 1 the gathers and the scores. A class of its
         * own, so that the second thread never waits for WarmUp's initialisation, which waits for it.
         */
        private static final class Part implements Runnable {
            private final int part;
            private volatile Throwable failed;

            Part(int part) {
                this.part = part;
            }

            @Override
            public void run() {
                try {
                    calls();
                } catch (RuntimeException | Error e) {
                    failed = e;
                }
            }

            private void calls() {
                // Rows 1..12 of the GEMM end its tiles at every partial height; M = 3..8 tokens end the
                // score blocks at every partial width and height, M = 3..16 end the key-lane scores'
                // query blocks at every height (KEY_LANES, M ≥ 8), and gatherRows' groups of four with
                // and without a repeated token (width mg: each of gather4's blocks and its tail), row-major and
                // tile-major (16 rows); the GEMM with B row-major and tile-major.
                int m = 8 * L + 4 * L + L + 1, mk = L + 1, mg = 4 * L + 2 * L + L + 1;
                float[] a = new float[12 * m], b = new float[12 * m], out = new float[12 * m], lanes = new float[scoresScratch(16, mk)];
                int[] map = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, twice = {0, 1, 2, 0, 4, 5, 6, 7};
                for (int i = 0; i < a.length; i++) {
                    a[i] = (i % 7 - 3) / 8f;
                    b[i] = (i % 5 - 2) / 8f;
                }
                for (int k = 0; k < WARM_CALLS; k++) {
                    int rows = 1 + k % 12, M = 3 + k % 6;
                    if (part == 0) {
                        gemm(out, 1e-3f, a, 0, 3, b, 0, rows, 3, m);
                        gemmPart(out, 1e-3f, a, b, true, 0, rows, 3, m, 0, m);
                        rowPanel(out, 0, a, k % 2 == 0 ? null : map, 0, 3, 1 + k % 2, b, 0, k % 3 == 0 ? 3 : L * (1 + k % 2), k % 2 == 0 ? rows : 1 + k % 8,
                                3, L * (1 + k % 2));
                        softmaxColumns(out, 0, b, k % 3, M, L * (1 + k % 2), lanes, 0);
                        axpy(1e-3f, a, 0, out, 1, m);
                        axpyClear(0f, out, b, m - k % 2);
                        dot(a, 0, b, 1, m);
                    } else {
                        gather(out, 0, a, 0, 1 + k % 2 * (M - 1), b, map, 0, M, m);
                        gatherRows(out, a, k % 2 == 0 ? M : 1, k % 2 == 0 ? 1 : M, b, k % 3 == 0 ? twice : map, 0, M, mg);
                        gatherRowsTiled(out, 16, a, k % 2 == 0 ? M : 1, k % 2 == 0 ? 1 : M, b, k % 3 == 0 ? twice : map, 0, M, mg);
                        sampleScores(out, 0, a, b, map, 0, 3 + k % 14, mk, lanes);
                        gatherRowsTo(out, 0, a, k % 2 == 0 ? M : 1, k % 2 == 0 ? 1 : M, b, map, 0, M, mg);
                    }
                }
            }
        }
    }

    /** x[from..from+n) *= a. */
    static void scale(float[] x, int from, int n, float a) {
        if (a == 1) return;
        for (int i = from; i < from + n; i++) x[i] *= a;
    }

    /** y[iy+i] += a·x[ix+i], i < n. */
    static void axpy(float a, float[] x, int ix, float[] y, int iy, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, a);
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, x, ix + i).fma(va, FloatVector.fromArray(S, y, iy + i)).intoArray(y, iy + i);
        }
        for (; i < n; i++) y[iy + i] += a * x[ix + i];
    }

    /**
     * y[i] += a·x[i], then x[i] = 0, i < n: {@link #axpy} (from offset 0) and the reset of x in one
     * pass, each y[i] computed exactly as axpy computes it (fma over the vector body, multiply then
     * add in the tail), so the bits are axpy's.
     */
    static void axpyClear(float a, float[] x, float[] y, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, a), zero = FloatVector.zero(S);
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, x, i).fma(va, FloatVector.fromArray(S, y, i)).intoArray(y, i);
            zero.intoArray(x, i);
        }
        for (; i < n; i++) {
            y[i] += a * x[i];
            x[i] = 0;
        }
    }

    /**
     * x[i] = ±0 (its sign kept) where x[i] is subnormal, i < n: 0 < |x[i]| < Float.MIN_NORMAL (2^−126
     * in float32); normal numbers, zeros, infinities and NaN stay as they are. A vector is written
     * back only where one of its lanes changes. A step's α, β and γ pass through it once the step's
     * gathers are done (AttentionRunF32.gather). Why: an Intel core takes a microcode assist of a
     * hundred cycles or more for a vector instruction with a subnormal operand or result (Java cannot
     * set the flush-to-zero mode that would avoid it), so the gathers' few subnormal α and β entries,
     * read by every row block of the update's GEMMs, made them 1.5× slower at paper A's shape on a
     * Xeon (benchmarks/RESULTS.md, issue 11, s34, with the flushes inside the gathers measured there
     * and dropped). Each value moves by less than 2^−126 (2^−1022 in float64). The test |x| <
     * MIN_NORMAL takes zeros too: x·0 leaves a zero's bits as they are, so one compare serves.
     */
    static void flushSubnormals(float[] x, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            VectorMask<Float> small = v.abs().lt(Float.MIN_NORMAL);
            if (small.anyTrue()) v.blend(v.mul(0f), small).intoArray(x, i);
        }
        for (; i < n; i++) {
            if (Math.abs(x[i]) < Float.MIN_NORMAL) x[i] *= 0f;
        }
    }

    /**
     * C[rows×cols] += a·A[rows×inner]·B[inner×cols], all row-major and dense, on the register tile of
     * this JVM's vector width ({@link GemmF32}). Every element is summed the same way whichever path
     * computes it: fma over inner in order, then C += a·sum.
     */
    static void gemm(float[] C, float a, float[] A, float[] B, int rows, int inner, int cols) {
        gemm(C, a, A, inner, B, rows, inner, cols);
    }

    /** As {@link #gemm(float[], float, float[], float[], int, int, int)} with A's rows {@code lda} apart (lda ≥ inner). */
    static void gemm(float[] C, float a, float[] A, int lda, float[] B, int rows, int inner, int cols) {
        gemm(C, a, A, 0, lda, B, 0, rows, inner, cols);
    }

    /**
     * C = C0 + a·A·B with A's rows {@code lda} apart: the bits of copying C0 (rows×cols) into C and then
     * {@link #gemm(float[], float, float[], int, float[], int, int, int)}, in one pass over C instead of two.
     */
    static void gemmFrom(float[] C, float[] C0, float a, float[] A, int lda, float[] B, int rows, int inner, int cols) {
        GemmF32.gemmFrom(GemmF32.TILE, C, C0, a, A, 0, lda, B, 0, rows, inner, cols);
    }

    /**
     * As {@link #gemm(float[], float, float[], float[], int, int, int)} on A from offset {@code ia}
     * with rows {@code lda} apart and B from offset {@code ib} (rows {@code cols} apart): a block of
     * inner indices of a larger product, which a caller sums block by block to keep B's block in cache.
     */
    static void gemm(float[] C, float a, float[] A, int ia, int lda, float[] B, int ib, int rows, int inner, int cols) {
        GemmF32.gemm(GemmF32.TILE, C, a, A, ia, lda, B, ib, rows, inner, cols);
    }

    /**
     * Rows [from, to) and columns [cFrom, cTo) of C[rows×cols] += a·A[rows×inner]·B[inner×cols], A
     * dense, B row-major or with {@code tiledB} tile-major at this JVM's tile width
     * ({@link GemmF32#tiledAt}, {@link #gatherRowsTiled}; cFrom then 0 or a tile's first column, cTo
     * one or cols): all of the product, or one thread's share of it split by rows or by columns.
     * The same bits as {@link #gemm} on B row-major, whichever part and layout.
     */
    static void gemmPart(float[] C, float a, float[] A, float[] B, boolean tiledB, int from, int to, int inner, int cols, int cFrom, int cTo) {
        GemmF32.gemmPart(GemmF32.TILE, C, C, a, A, 0, inner, B, 0, tiledB, from, to, inner, cols, cFrom, cTo);
    }

    /**
     * Reads x[from, to) one float per 64-byte line, so that a kernel about to use those lines finds
     * them in the core's cache: one sequential pass, which the hardware prefetcher streams, where a
     * GEMM tile's epilogue touches a line of each of its six rows once per tile and waits on each
     * (SpanRunF32.EvalRows: the evaluation GEMM's rows). Nothing is computed from the values; the
     * sum goes to {@link #readSink} so that the loads are kept.
     */
    static void readAhead(float[] x, int from, int to) {
        float s = 0;
        for (int i = from; i < to; i += LINE) s += x[i];
        readSink = s;
    }

    /** Elements of a 64-byte cache line. */
    private static final int LINE = 64 / Float.BYTES;

    /** Where {@link #readAhead} leaves its sum (never read). */
    @SuppressWarnings("unused")
    private static volatile float readSink;

    /** Rows [from, to) of C = C0 + a·A·B with A's rows {@code lda} apart and B tile-major ({@link #gemmPart}); the bits of {@link #gemmFrom}. */
    static void gemmFromTiledB(float[] C, float[] C0, float a, float[] A, int lda, float[] Bt, int from, int to, int inner, int cols) {
        GemmF32.gemmPart(GemmF32.TILE, C, C0, a, A, 0, lda, Bt, 0, true, from, to, inner, cols, 0, cols);
    }

    /** Rows [from, to) of C += a·A·B (A dense, rows {@code inner} apart): one thread's share of a product split by rows. */
    static void gemmRows(float[] C, float a, float[] A, float[] B, int from, int to, int inner, int cols) {
        GemmF32.gemmRows(GemmF32.TILE, C, a, A, 0, inner, B, 0, from, to, inner, cols);
    }

    /** Rows [from, to) of C += a·A·B with A from offset {@code ia}, rows {@code lda} apart, and B from offset {@code ib}. */
    static void gemmRows(float[] C, float a, float[] A, int ia, int lda, float[] B, int ib, int from, int to, int inner, int cols) {
        GemmF32.gemmRows(GemmF32.TILE, C, a, A, ia, lda, B, ib, from, to, inner, cols);
    }

    static float[] toFloat(double[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (float) x[i];
        return out;
    }

    static double[] toDouble(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i];
        return out;
    }

    /** rows×cols → cols×rows. */
    static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        }
        return t;
    }
}
