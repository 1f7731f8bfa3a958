package org.attnsweep.model;

/** Initialisation of W_Q, W_K, W_V and w_O (docs/math.md §2). */
public enum InitScheme {
    /** W_Q, W_K ~ N(0, σ₀²), W_V ~ N(0, σ_V²), w_O ~ N(0, σ_O²). */
    THEORY,
    /** Paper A's code: every matrix U(±1/√d) divided by a factor, w_O ~ U(±1/√m_v) undivided. */
    TORCH
}
