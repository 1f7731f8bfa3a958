package org.attnsweep.data;

import org.attnsweep.model.RunConfig;
import org.attnsweep.model.Weights;

/**
 * One run's inputs: its config, training and test sets, the two signal vectors (probes for the
 * v_signal and qk_ss metrics), the initial weights, and the {@link Family} its draws come from
 * (null for data read from files). With a family, the training tokens are exactly
 * [‖μ‖e₊, ‖μ‖e₋, the family's first N·(M−1) noise tokens], the test tokens likewise, and
 * {@code init} is the family's W(0) — engines may rely on that to share work across runs.
 */
public record RunData(RunConfig config, TokenSet train, TokenSet test, double[] muPos, double[] muNeg,
                      Weights init, Family family) {

    /** Data with no family (read from files). */
    public RunData(RunConfig config, TokenSet train, TokenSet test, double[] muPos, double[] muNeg, Weights init) {
        this(config, train, test, muPos, muNeg, init, null);
    }

    public RunData {
        if (train.d() != config.d() || test.d() != config.d() || train.M() != config.M() || test.M() != config.M()) {
            throw new IllegalArgumentException("data shapes disagree with the config (d=" + config.d() + ", M=" + config.M() + ")");
        }
        if (train.N() != config.N()) throw new IllegalArgumentException("training set has N=" + train.N() + " samples, config says N=" + config.N());
        if (muPos.length != config.d() || muNeg.length != config.d()) throw new IllegalArgumentException("signal vectors must have d=" + config.d() + " entries");
        if (init.d() != config.d() || init.mk() != config.mk() || init.mv() != config.mv() || init.heads() != config.heads()) {
            throw new IllegalArgumentException("initial weights have H=" + init.heads() + ", d=" + init.d() + ", m_k=" + init.mk()
                    + ", m_v=" + init.mv() + "; config says H=" + config.heads() + ", d=" + config.d() + ", m_k=" + config.mk()
                    + ", m_v=" + config.mv());
        }
    }
}
