package org.attnsweep.engine.cuda;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.attnsweep.data.Family;
import org.attnsweep.model.RunConfig;

/**
 * The cuda engine's set-up work per run, counted from the shapes: as it was when every run was
 * projected on its own (each run's tokens and W(0) rounded to float32 on the host, uploaded, and
 * projected by its own GEMMs) and as it is now that a family's projections are made once on the
 * device and each run takes a scaled slice (its share of the family's work, plus its own index
 * maps, labels and scalars). Generated data, as a sweep has it: P = 2 + N(M−1), E = test P + 2.
 *
 * <p>Slices (kernels/family_slice.cu) move bytes in device memory, each float read and written
 * once: G, Q|K, Tᵀs, u or V and w_O per run. The evaluation projections Q|K(0)(s), u(0)(s),
 * V(0)(s) were sliced per run too; now the metrics read the family's unit arrays as each run's
 * slice (kernels/common.cuh's Base), which a batch copies once per family it holds, device to
 * device (CudaBatch.setUp): E_u = 2 + testN(M−1) rows of Q|K(0)(s), and of u(0)(s) when a run of
 * the family in the batch has fixed w_O, of V(0)(s) when one learns it. Those copies are counted
 * per batch, with the runs cut into batches as a sweep cuts them (consecutive runs, in order).
 *
 * @param runs     runs counted
 * @param families families they fall into (a family's set-up is made once, at its largest N)
 * @param before   per-run work, one set-up per run
 * @param sliced   per-run work, family set-ups shared, evaluation projections sliced per run (as
 *                 until the metrics read them in place)
 * @param now      per-run work, family set-ups shared
 */
public record SetupCost(int runs, int families, Work before, Work sliced, Work now) {

    /**
     * Work per run, averaged over the runs.
     *
     * @param conversions float64 values rounded to float32 on the host
     * @param busBytes    bytes copied host → device
     * @param flops       floating-point operations of the set-up products (2 per multiply-add)
     * @param sliceBytes  bytes the run's slices read and write in device memory (none without a family set-up)
     * @param copyBytes   bytes the batches' copies of their families' evaluation rows read and write
     *                    in device memory, divided over the runs (none when each run slices its own)
     */
    public record Work(double conversions, double busBytes, double flops, double sliceBytes, double copyBytes) {
    }

    /** The set-up work of {@code runs} in one batch, grouped into families as {@link Family#of} groups them. */
    public static SetupCost of(List<RunConfig> runs) {
        return of(runs, runs.size());
    }

    /**
     * The set-up work of {@code runs}, grouped into families as {@link Family#of} groups them, and
     * cut in order into batches of {@code batchRuns} (the last may be smaller).
     */
    public static SetupCost of(List<RunConfig> runs, int batchRuns) {
        if (runs.isEmpty()) throw new IllegalArgumentException("no runs to count");
        if (batchRuns < 1) throw new IllegalArgumentException("batches must hold at least one run: got " + batchRuns);
        Map<Family, int[]> largestN = new IdentityHashMap<>();
        Map<Family, RunConfig> first = new IdentityHashMap<>();
        Map<Family, boolean[]> kinds = new IdentityHashMap<>();
        double[] before = new double[3], now = new double[4];
        double evalSlices = 0, slicedBus = 0;
        for (RunConfig c : runs) {
            Family f = Family.of(c);
            largestN.computeIfAbsent(f, x -> new int[1])[0] = Math.max(largestN.get(f)[0], c.N());
            first.putIfAbsent(f, c);
            kinds.computeIfAbsent(f, x -> new boolean[2])[c.trainWo() ? 1 : 0] = true;
            int P = c.tokenCount(), E = evalRows(c), d = c.d();
            long own = ownBytes(c);
            // Before: the run's tokens, test tokens and probes, W_Q, W_K, W_V rounded and uploaded.
            double conv = (double) (P + E) * d + (2.0 * c.mk() + c.mv()) * d;
            before[0] += conv + c.mv();                      // + w_O
            before[1] += 4 * (conv + c.mv()) + own;
            before[2] += projectionFlops(P, E, c.d(), c.mk(), c.mv(), c.trainWo());
            now[1] += own + 4 + 4 + 4 + 4;                   // + ‖μ‖, its slot in the set-up run list, its group and unit rows
            slicedBus += own + 4 + 4;                        // no group or unit rows
            double value = c.trainWo() ? (double) P * c.mv() : P, w = 2.0 * c.mk();
            now[3] += 8 * ((double) P * P + P * w + (double) E * P + value + c.mv());   // G, Q|K, Tᵀs, u or V, w_O
            evalSlices += 8 * (E * w + (c.trainWo() ? (double) E * c.mv() : E));      // Q|K(0)(s), u(0)(s) or V(0)(s)
        }
        for (Map.Entry<Family, int[]> e : largestN.entrySet()) {
            RunConfig c = first.get(e.getKey());
            int d = c.d(), Pu = 2 + e.getValue()[0] * (c.M() - 1), Eu = evalRows(c) - 2;
            double conv = (double) (Pu + Eu) * d + (2.0 * c.mk() + c.mv()) * d + c.mv();
            now[0] += conv;
            now[1] += 4 * conv;
            slicedBus += 4 * conv;
            boolean[] k = kinds.get(e.getKey());
            double products = 0;
            for (int kind = 0; kind < 2; kind++) {
                if (k[kind]) products += projectionFlops(Pu, Eu, d, c.mk(), c.mv(), kind == 1);
            }
            // The W_Q, W_K products of the two kinds are one; count them once.
            if (k[0] && k[1]) products -= qkFlops(Pu, Eu, d, c.mk());
            now[2] += products;
        }
        int n = runs.size();
        double copies = 0;
        for (int b = 0; b < n; b += batchRuns) copies += batchCopyBytes(runs.subList(b, Math.min(n, b + batchRuns)));
        Work current = new Work(now[0] / n, now[1] / n, now[2] / n, now[3] / n, copies / n);
        return new SetupCost(n, largestN.size(), new Work(before[0] / n, before[1] / n, before[2] / n, 0, 0),
                new Work(current.conversions, slicedBus / n, current.flops,
                        current.sliceBytes + evalSlices / n, 0), current);
    }

    /**
     * Bytes one batch's copies of its families' evaluation rows read and write in device memory:
     * per family and head, its E_u rows of Q|K(0)(s) (2m_k wide), of u(0)(s) if one of its runs in
     * the batch has fixed w_O and of V(0)(s) (m_v wide) if one learns it, each float read and written.
     */
    public static double batchCopyBytes(List<RunConfig> batch) {
        Map<Family, boolean[]> kinds = new IdentityHashMap<>();
        Map<Family, RunConfig> first = new IdentityHashMap<>();
        for (RunConfig c : batch) {
            Family f = Family.of(c);
            first.putIfAbsent(f, c);
            kinds.computeIfAbsent(f, x -> new boolean[2])[c.trainWo() ? 1 : 0] = true;
        }
        double bytes = 0;
        for (Map.Entry<Family, boolean[]> e : kinds.entrySet()) {
            RunConfig c = first.get(e.getKey());
            double Eu = evalRows(c) - 2, columns = 2.0 * c.mk() + (e.getValue()[0] ? 1 : 0) + (e.getValue()[1] ? c.mv() : 0);
            bytes += 8 * Eu * columns * c.heads();   // a group per (family, head)
        }
        return bytes;
    }

    /** How many times less per-run work there is now: conversions, bus bytes, FLOPs. */
    public double[] ratios() {
        return new double[] {before.conversions / now.conversions, before.busBytes / now.busBytes, before.flops / now.flops};
    }

    /**
     * Per-run work each run on its own, family set-ups shared with the evaluation projections sliced
     * per run, and as now (read in place); the ratios of the first to the last.
     */
    public String table() {
        double[] q = ratios();
        String row = "  %-46s %11.3g %11.3g %12.3g %11s %13s%n";
        return String.format(Locale.ROOT, "set-up per run (%d runs, %d families)             conversions   bus bytes   GEMM FLOPs"
                        + " slice bytes  batch copies%n", runs, families)
                + String.format(Locale.ROOT, row, "each run on its own", before.conversions, before.busBytes, before.flops, "-", "-")
                + String.format(Locale.ROOT, row, "family set-up shared, evaluation rows sliced", sliced.conversions, sliced.busBytes,
                        sliced.flops, String.format(Locale.ROOT, "%.3g", sliced.sliceBytes), "-")
                + String.format(Locale.ROOT, row, "family set-up shared, evaluation rows in place", now.conversions, now.busBytes,
                        now.flops, String.format(Locale.ROOT, "%.3g", now.sliceBytes), String.format(Locale.ROOT, "%.3g", now.copyBytes))
                + String.format(Locale.ROOT, "  %-46s %10.0fx %10.0fx %11.0fx %10.2fx %13s%n", "ratio (first / last; slices second / last)",
                        q[0], q[1], q[2], sliced.sliceBytes / now.sliceBytes, "-");
    }

    /** Test tokens and the two probes: E = 2 + testN(M−1) + 2. */
    private static int evalRows(RunConfig c) {
        return 2 + c.testN() * (c.M() - 1) + 2;
    }

    /** The bytes a run sends of its own either way: index maps, labels and scalars (CudaBatch.upload). */
    private static long ownBytes(RunConfig c) {
        int N = c.N(), M = c.M(), P = c.tokenCount(), NT = c.testN();
        long ints = 2L * N * M + (P + 1) + (long) NT * M + 5;   // map, occ, occStart, test map; N, P, E, NT, trainWo
        long floats = N + NT + 2;                              // labels, test labels; η, ‖w_O‖²
        return 4 * (ints + floats) + 8;                        // + the target loss
    }

    /** G = TᵀT, Q|K = T[W_Q;W_K]ᵀ for P training and E evaluation tokens, and Te = S Tᵀ. */
    private static double qkFlops(int P, int E, int d, int mk) {
        return 2.0 * d * ((double) P * P + 2.0 * mk * (P + E) + (double) E * P);
    }

    /** Every set-up product of one kind of w_O: the above, then u = T(W_Vᵀw_O) or V = TW_Vᵀ (and of S). */
    private static double projectionFlops(int P, int E, int d, int mk, int mv, boolean learnable) {
        double value = learnable ? 2.0 * d * mv * (P + E) : 2.0 * d * (mv + P + E);
        return qkFlops(P, E, d, mk) + value;
    }
}
