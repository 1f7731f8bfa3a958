package org.attnsweep.report;

import java.util.Map;
import org.attnsweep.model.Metric;

/**
 * The papers' notation for the columns of the result files, so every axis, legend and table says
 * N, SNR, ‖μ‖, σ_p, η, σ_V, t rather than the snake_case column names. Only characters that
 * DejaVu Sans (the JDK's headless fallback font on Debian) draws are used.
 */
final class Notation {
    private Notation() {
    }

    private static final Map<String, String> CONFIG = Map.ofEntries(
            Map.entry("N", "N"), Map.entry("mu", "‖μ‖"), Map.entry("snr", "SNR"), Map.entry("sigma_p", "σ_p"),
            Map.entry("sigma", "σ (per noise token)"), Map.entry("p", "p"), Map.entry("lr", "η"),
            Map.entry("sigma_v", "σ_V"), Map.entry("sigma0", "σ₀"), Map.entry("sigma_o", "σ_O"), Map.entry("d", "d"),
            Map.entry("M", "M"), Map.entry("mk", "m_k"), Map.entry("mv", "m_v"), Map.entry("steps", "T"),
            Map.entry("init_divisor", "init divisor"), Map.entry("test_n", "test samples"),
            Map.entry("target_loss", "ε (target loss)"), Map.entry("eval_every", "eval every"),
            Map.entry("train_wo", "w_O trained"), Map.entry("attn_sample", "attention sample"),
            Map.entry("orthogonal_noise", "noise ⊥ signals"), Map.entry("labels", "labels"),
            Map.entry("signals", "signals"), Map.entry("init", "init"), Map.entry("step", "t (GD step)"),
            Map.entry("test_signal_angle", "θ (test signal angle, °)"), Map.entry("test_sigma_scale", "test σ scale"),
            Map.entry("test_p", "test p"), Map.entry("loss", "loss ℓ"), Map.entry("batch_size", "B (batch size)"), Map.entry("heads", "H (attention heads)"));

    private static final Map<Metric, String> METRIC = Map.ofEntries(
            Map.entry(Metric.TRAIN_LOSS, "training loss"), Map.entry(Metric.TRAIN_ERROR, "training error"),
            Map.entry(Metric.TEST_LOSS, "test loss"), Map.entry(Metric.TEST_ERROR, "test error (vs y)"),
            Map.entry(Metric.TEST_ERROR_CLEAN, "test error (vs ỹ)"),
            Map.entry(Metric.ATTN_SIGNAL, "attention on signal token"),
            Map.entry(Metric.ATTN_NOISE, "attention on noise token 2"),
            Map.entry(Metric.V_SIGNAL_POS, "u(μ₊)"), Map.entry(Metric.V_SIGNAL_NEG, "u(μ₋)"),
            Map.entry(Metric.V_NOISE, "mean y·u(ξ₂)"),
            Map.entry(Metric.QK_SS, "q(μ₊)·k(μ₊)"), Map.entry(Metric.QK_SN, "q(x₁)·k(ξ₂)"),
            Map.entry(Metric.QK_NS, "q(ξ₃)·k(x₁)"), Map.entry(Metric.QK_NN, "q(ξ₃)·k(ξ₂)"),
            Map.entry(Metric.TRAIN_LOSS_LOGISTIC, "training loss (logistic)"), Map.entry(Metric.TEST_LOSS_LOGISTIC, "test loss (logistic)"));

    /** The symbol of a config column (the column name itself when the papers have none). */
    static String of(String column) {
        return CONFIG.getOrDefault(column, column);
    }

    /** The name of a metric in the papers' words. */
    static String of(Metric m) {
        return METRIC.get(m);
    }

    /** The name of a metric for samples of M tokens: with M = 2 the QK metrics use token 2 for token 3 (docs/math.md §5). */
    static String of(Metric m, int M) {
        return M == 2 ? of(m).replace("ξ₃", "ξ₂") : of(m);
    }

    /** "η = 0.05" for column lr and value "0.05". */
    static String is(String column, String value) {
        return of(column) + " = " + value;
    }
}
