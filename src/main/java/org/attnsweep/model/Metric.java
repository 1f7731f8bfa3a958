package org.attnsweep.model;

/**
 * The metrics of docs/math.md §5, in the column order of metrics.csv and summary.csv.
 * Engines fill a {@code double[Metric.COUNT]} indexed by {@link #ordinal()} (or, for a run of H > 1
 * heads, a {@code double[Metric.width(H)]} with each head's values after them). TRAIN_LOSS and TEST_LOSS
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

    /**
     * The metrics that are each head's own with H > 1 (docs/math.md §7), in heads.csv's column
     * order: the attention, the values u and the scores q·k. The losses and errors are of the
     * summed f only.
     */
    public static final java.util.List<Metric> PER_HEAD = java.util.List.of(ATTN_SIGNAL, ATTN_NOISE, V_SIGNAL_POS,
            V_SIGNAL_NEG, V_NOISE, QK_SS, QK_SN, QK_NS, QK_NN);

    /**
     * The length of a run's metrics array with H heads: {@link #COUNT} (the run's metrics), then for
     * H > 1 each head's {@link #PER_HEAD} values, head by head ({@link #headIndex}).
     */
    public static int width(int heads) {
        return heads > 1 ? COUNT + heads * PER_HEAD.size() : COUNT;
    }

    /** Where head h's value of {@code PER_HEAD.get(i)} sits in an array of {@link #width}(H). */
    public static int headIndex(int h, int i) {
        return COUNT + h * PER_HEAD.size() + i;
    }

    /** The column name used in every output file: docs/math.md's snake_case name. */
    public String column() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
