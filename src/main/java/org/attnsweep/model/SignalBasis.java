package org.attnsweep.model;

/** Directions of the two signal vectors μ₊, μ₋ (docs/math.md §1). */
public enum SignalBasis {
    /** μ₊ = ‖μ‖·e₁, μ₋ = ‖μ‖·e₂ (paper A's experiments). */
    AXIS,
    /** A random orthonormal pair, drawn per run from its own stream, scaled by ‖μ‖. */
    RANDOM
}
