package org.attnsweep.engine.cuda;

import org.attnsweep.model.RunConfig;

/**
 * The padded shapes of a device batch and the per-run element counts (strides) of its arrays;
 * allocation and {@link CudaEngine#maxBatch} both read them, so the memory estimate is the
 * allocation. Letters as in the glossary; E = test tokens + the two probes μ₊, μ₋, NT = test samples.
 *
 * @param learnable whether any run trains w_O (then V, A_V and the test V(s) exist)
 */
record Layout(int d, int M, int mk, int mv, int nMax, int pMax, int ntMax, int eMax, boolean learnable) {

    /** The layout of runs shaped like {@code c} (generated data: P = 2 + N(M−1)). */
    static Layout of(RunConfig c) {
        return new Layout(c.d(), c.M(), c.mk(), c.mv(), c.N(), c.tokenCount(), c.testN(),
                2 + c.testN() * (c.M() - 1) + 2, c.trainWo());
    }

    /** Width of a Q|K row: q_j and k_j side by side. */
    int w() {
        return 2 * mk;
    }

    long sQK() {
        return (long) pMax * w();
    }

    long sV() {
        return (long) pMax * mv;
    }

    long sG() {
        return (long) pMax * pMax;
    }

    long sQKe() {
        return (long) eMax * w();
    }

    long sVe() {
        return (long) eMax * mv;
    }

    long sTe() {
        return (long) eMax * pMax;
    }

    long sSamples() {
        return (long) nMax * M;
    }

    long sD() {
        return (long) nMax * M * M;
    }

    long sTestSamples() {
        return (long) ntMax * M;
    }

    /** metric_dots' output: (N_max + 1)×4 floats. */
    long sDots() {
        return (nMax + 1L) * 4;
    }

    /**
     * Device bytes one slot of the batch holds for its whole life (a run of H heads takes H slots),
     * without its set-up group's arrays ({@link #groupBytes}): a run of a family shares its group
     * with the family's other runs in the batch.
     */
    long bytesPerRun() {
        long ints = 2 * sSamples() + (pMax + 1L) + sTestSamples() + 14  // map, occ, occStart, test map, per-run scalars, set-up list, group, unit
                + (long) CudaBatch.READ_EVERY * nMax;      // mini-batch samples of each step of a read-back stretch
        long floats = nMax                                 // y
                + sG() + 3 * sQK()                         // G; Q|K, A_Q|A_K, [α|β]
                + 4L * pMax + mv                           // u, c_V, γ, h; w_O
                + 2L * nMax + sSamples() + sD()            // f, g, c, D
                + sQKe() + sTe() + eMax                    // Q|K(s), Tᵀs, u(s)
                + 2L * ntMax + sDots() + 3;                // test y, test f, metric dots; η, ‖w_O‖², ‖μ‖
        if (learnable) floats += 2 * sV() + sVe();         // V, A_V; V(s)
        long doubles = nMax + 1 + CudaBatch.READ_EVERY;    // loss terms; target; L at each step of a read-back stretch
        return 4 * (ints + floats) + 8 * doubles;
    }

    /** Device bytes of one slot with H heads: its run state, and with H > 1 its share of the summed f (N_max floats). */
    long slotBytes(int H) {
        return bytesPerRun() + (H > 1 ? 4L * nMax : 0);
    }

    /**
     * Device bytes of one set-up group of the batch (a family's slots of one head, or one slot
     * without a family): its unit evaluation projections Q|K(0)(s) E_max×2m_k, u(0)(s) E_max and,
     * when some run trains w_O, V(0)(s) E_max×m_v, which the metrics read in place as each of the
     * group's runs' slice.
     */
    long groupBytes() {
        return 4 * (sQKe() + eMax + (learnable ? sVe() : 0));
    }

    /**
     * Device bytes a batch of {@code runs} H-head runs falling into {@code families} families takes
     * (runs without a family count one each; at most {@code runs} count): every slot's state, each
     * (family, head) group's arrays once, and the family set-ups while it opens. CudaBatch
     * allocates exactly the first two.
     */
    long batchBytes(long runs, int H, long families) {
        return runs * H * slotBytes(H) + Math.min(runs, families) * H * groupBytes() + setupBytes(H);
    }

    /**
     * The most H-head runs a batch of this layout holds in {@code bytes} when its runs fall into
     * at most {@code families} families (runs without one counting one each; Long.MAX_VALUE when
     * unknown: every run its own group, the bound for runs without a family): the largest R with
     * {@link #batchBytes}(R) ≤ bytes, 0 if not even one fits.
     */
    long runsIn(long bytes, int H, long families) {
        long free = bytes - setupBytes(H), slot = H * slotBytes(H), group = H * groupBytes();
        if (free < slot + group) return 0;
        long own = free / (slot + group);   // R ≤ families: every run may bring a group
        // Fewer than the families: one more would need its own group too, and does not fit.
        if (own < families) return own;
        return (free - families * group) / slot;   // R ≥ families: the families' groups, then slots alone
    }

    /**
     * Device bytes the family set-ups kept for batches of H-head runs may take ({@link FamilySetups}):
     * every head of one family, each of P_max training and E_max evaluation tokens.
     */
    long keptSetupBytes(int H) {
        return H * FamilySetup.bytes(pMax, eMax, d, mk, mv);
    }

    /** Device bytes the set-ups take while a batch is opened: those kept, and the one being made. */
    long setupBytes(int H) {
        return keptSetupBytes(H) + FamilySetup.bytes(pMax, eMax, d, mk, mv);
    }
}
