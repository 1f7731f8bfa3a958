package org.attnsweep.engine;

import org.attnsweep.model.Weights;

/**
 * A test's wrapper around a batch: every abstract call of {@link EngineBatch} passes to {@link #b()},
 * and the stretches ({@code steps}) are the interface's own, step by step, unless the wrapper
 * overrides them. A wrapper overrides only what it observes or changes.
 */
public interface ForwardingBatch extends EngineBatch {
    /** The batch wrapped. */
    EngineBatch b();

    @Override
    default int size() {
        return b().size();
    }

    @Override
    default void step(boolean[] active, double[] loss) {
        b().step(active, loss);
    }

    @Override
    default void metrics(boolean[] which, double[][] out) {
        b().metrics(which, out);
    }

    @Override
    default Weights weights(int r) {
        return b().weights(r);
    }

    @Override
    default void close() {
        b().close();
    }
}
