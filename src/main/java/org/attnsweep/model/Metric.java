package org.attnsweep.model;

/**
 * The metrics of docs/math.md §5, in the column order of metrics.csv and summary.csv.
 * Engines fill a {@code double[Metric.COUNT]} indexed by {@link #ordinal()}.
 */
public enum Metric {
    TRAIN_LOSS, TRAIN_ERROR, TEST_LOSS, TEST_ERROR, TEST_ERROR_CLEAN,
    ATTN_SIGNAL, ATTN_NOISE,
    V_SIGNAL_POS, V_SIGNAL_NEG, V_NOISE,
    QK_SS, QK_SN, QK_NS, QK_NN;

    public static final int COUNT = values().length;

    /** The column name used in every output file: docs/math.md's snake_case name. */
    public String column() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
