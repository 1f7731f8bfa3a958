package org.attnsweep.engine;

import java.util.Locale;

/**
 * How a fast engine does GD: the exact span formulation of docs/math.md §4 (state over the P training
 * tokens, a step costs about 2·m_k·P²), the direct formulation of docs/math.md §2–3 (state on the d-wide
 * weights, about 4·m_k·d·P), or {@code AUTO}: whichever the cost model says is cheaper for each
 * batch. Both compute the same GD to rounding, so the choice is not part of a run's config.
 */
public enum Formulation {
    AUTO, SPAN, DIRECT;

    /** The option's value: auto, span or direct. */
    public static Formulation parse(String s) {
        for (Formulation f : values()) if (f.label().equals(s)) return f;
        throw new IllegalArgumentException("--formulation must be one of auto, span, direct: got '" + s + "'");
    }

    /** auto, span or direct. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
