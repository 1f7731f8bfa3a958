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

    /** Device bytes one run of the batch holds for its whole life. */
    long bytesPerRun() {
        long ints = 2 * sSamples() + (pMax + 1L) + sTestSamples() + 14  // map, occ, occStart, test map, per-run scalars, set-up list, group, unit
                + (long) CudaBatch.READ_EVERY * nMax;      // mini-batch samples of each step of a read-back stretch
        long floats = nMax                                 // y
                + sG() + 3 * sQK()                         // G; Q|K, A_Q|A_K, [α|β]
                + 4L * pMax + mv                           // u, c_V, γ, h; w_O
                + 2L * nMax + sSamples() + sD()            // f, g, c, D
                // Q|K(s), Tᵀs, u(s); the group's unit Q|K(0)(s), u(0)(s) (at most a group per run)
                + 2 * sQKe() + sTe() + 2L * eMax
                + 2L * ntMax + sDots() + 3;                // test y, test f, metric dots; η, ‖w_O‖², ‖μ‖
        if (learnable) floats += 2 * sV() + 2 * sVe();     // V, A_V; V(s), the group's V(0)(s)
        long doubles = nMax + 1 + CudaBatch.READ_EVERY;    // loss terms; target; L at each step of a read-back stretch
        return 4 * (ints + floats) + 8 * doubles;
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
