package org.attnsweep.engine;

import org.attnsweep.model.Weights;

/** A batch of R runs held by an engine; run r is the r-th of the list given to {@link Engine#open}. */
public interface EngineBatch extends AutoCloseable {

    /** R, the number of runs. */
    int size();

    /**
     * One GD step for every run r with {@code active[r]} (full batch, or the run's next mini-batch,
     * docs/math.md §8): writes the run's training loss L (over all N samples, in the run's loss) at
     * its current weights into {@code loss[r]}, then applies the update if L is finite and not
     * below the run's target loss (a run that has met its target, or diverged, is left as it is so
     * the caller can record it at this step). Inactive runs cost nothing; their entries of
     * {@code loss} are left untouched.
     */
    void step(boolean[] active, double[] loss);

    /**
     * k steps in a row, as k calls of {@link #step}: run r takes part from the first while active[r],
     * up to and including the first step whose loss is not finite or below target[r] (its config's
     * target loss), and not after. loss[i][r] is run r's loss at the i-th step it took part in; other
     * entries are left untouched. Engines on a device override it to read the losses back once per
     * stretch of steps instead of once per step.
     */
    default void steps(boolean[] active, int k, double[] target, double[][] loss) {
        boolean[] on = active.clone();
        for (int i = 0; i < k; i++) {
            step(on, loss[i]);
            for (int r = 0; r < on.length; r++) on[r] &= Double.isFinite(loss[i][r]) && loss[i][r] >= target[r];
        }
    }

    /**
     * {@link #steps(boolean[], int, double[], double[][])}, and the metrics of a run at the step it
     * stops at inside the stretch where the engine can take them there (while the run's state is at
     * hand): run r's are wanted when it stops at the i-th step of the stretch with i &ge;
     * {@code evalFrom[r]} (the caller passes 1 where it took them at the stretch's first step already,
     * so no run is evaluated twice; k or more: not wanted). Each run the engine evaluated has
     * {@code evaluated[r]} set and its metrics in {@code out[r]}, as {@link #metrics} would write them
     * at that stop (a stopped run's state no longer changes, so the same bits); every other entry of
     * {@code evaluated} is cleared, and those runs' metrics are the caller's to ask for. This default
     * evaluates none.
     */
    default void steps(boolean[] active, int k, double[] target, double[][] loss, int[] evalFrom, double[][] out, boolean[] evaluated) {
        java.util.Arrays.fill(evaluated, false);
        steps(active, k, target, loss);
    }

    /**
     * The metrics of docs/math.md §5 at the current weights of every run r with {@code which[r]}, written
     * to {@code out[r]} indexed by {@link org.attnsweep.model.Metric#ordinal()}. A run of H > 1 heads
     * whose {@code out[r]} has length {@link org.attnsweep.model.Metric#width}(H) also gets each head's
     * own {@link org.attnsweep.model.Metric#PER_HEAD} values there (§7), from the numbers its metrics
     * combine; an {@code out[r]} of length {@link org.attnsweep.model.Metric#COUNT} gets the run's only.
     */
    void metrics(boolean[] which, double[][] out);

    /** The current weights of run r in float64 (fast engines rebuild them as W(0) + A Tᵀ). */
    Weights weights(int r);

    @Override
    void close();
}
