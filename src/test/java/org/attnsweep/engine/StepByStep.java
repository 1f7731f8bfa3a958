package org.attnsweep.engine;

import org.attnsweep.model.Weights;

/**
 * A batch seen only through {@link EngineBatch#step}: its stretches are the interface's own {@code
 * steps} (k calls of step, losses copied back every step, no evaluation inside a stretch), whatever
 * {@code b} overrides. The reference against which engines' own stretches are tested.
 */
public record StepByStep(EngineBatch b) implements EngineBatch {
    @Override
    public int size() {
        return b.size();
    }

    @Override
    public void step(boolean[] active, double[] loss) {
        b.step(active, loss);
    }

    @Override
    public void metrics(boolean[] which, double[][] out) {
        b.metrics(which, out);
    }

    @Override
    public Weights weights(int r) {
        return b.weights(r);
    }

    @Override
    public void close() {
        b.close();
    }
}
