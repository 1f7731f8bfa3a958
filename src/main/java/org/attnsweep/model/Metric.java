package org.attnsweep.model;

/**
 * The metrics of docs/math.md §5, in the column order of metrics.csv and summary.csv.
 * Engines fill a {@code double[Metric.COUNT]} indexed by {@link #ordinal()}. TRAIN_LOSS and TEST_LOSS
 * are in the run's loss (docs/math.md §8); TRAIN_LOSS_LOGISTIC and TEST_LOSS_LOGISTIC always in the
 * logistic loss, so runs of every loss compare with the papers (equal to the first two for
 * logistic runs).
 */
public enum Metric {
    TRAIN_LOSS, TRAIN_ERROR, TEST_LOSS, TEST_ERROR, TEST_ERROR_CLEAN,
    ATTN_SIGNAL, ATTN_NOISE,
    V_SIGNAL_POS, V_SIGNAL_NEG, V_NOISE,
    QK_SS, QK_SN, QK_NS, QK_NN,
    TRAIN_LOSS_LOGISTIC, TEST_LOSS_LOGISTIC;

    public static final int COUNT = values().length;

    /** The column name used in every output file: docs/math.md's snake_case name. */
    public String column() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
