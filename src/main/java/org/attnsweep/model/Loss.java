package org.attnsweep.model;

/**
 * The per-sample loss ℓ(t) of the margin t = y·f(X) (docs/math.md §8), the one place each loss is
 * defined: every engine takes ℓ and ℓ′ from here (the cuda kernels from kernels/common.cuh's
 * loss_value and loss_derivative, the same formulas). Each is computed stably: no intermediate
 * overflows where the result is finite. Only g = ℓ′(y f)·y/B changes with the loss; the gradients
 * downstream of g are docs/math.md §3's.
 */
public enum Loss {
    /** ℓ(t) = log(1 + e^{−t}) = softplus(−t), the papers' loss; ℓ′(t) = −σ(−t). */
    LOGISTIC,
    /** ℓ(t) = e^{−t}; ℓ′(t) = −e^{−t}. */
    EXPONENTIAL,
    /** ℓ(t) = max(0, 1 − t); ℓ′(t) = −1 for t < 1, else 0 (the subgradient 0 at t = 1). */
    HINGE,
    /** ℓ(t) = (1 − t)²; ℓ′(t) = −2(1 − t). */
    SQUARED;

    /** The name options and result files use: logistic, exponential, hinge, squared. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** ℓ(t). */
    public double value(double t) {
        return switch (this) {
            case LOGISTIC -> {
                double x = -t;
                yield x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
            }
            case EXPONENTIAL -> Math.exp(-t);
            case HINGE -> t < 1 ? 1 - t : 0;
            case SQUARED -> (1 - t) * (1 - t);
        };
    }

    /** ℓ′(t) (for the hinge, the subgradient 0 at its kink t = 1). */
    public double derivative(double t) {
        return switch (this) {
            case LOGISTIC -> -sigmoid(-t);
            case EXPONENTIAL -> -Math.exp(-t);
            case HINGE -> t < 1 ? -1 : 0;
            case SQUARED -> -2 * (1 - t);
        };
    }

    /**
     * g = ∂L/∂f of one sample of a batch of B samples, ℓ′(y f)·y/B (docs/math.md §3, §8): the only
     * place a loss or the batch enters a gradient.
     */
    public double sampleGradient(double y, double f, int B) {
        return derivative(y * f) * y / B;
    }

    /** σ(x) = 1/(1 + e^{−x}) without overflow. */
    static double sigmoid(double x) {
        if (x >= 0) return 1 / (1 + Math.exp(-x));
        double e = Math.exp(x);
        return e / (1 + e);
    }
}
