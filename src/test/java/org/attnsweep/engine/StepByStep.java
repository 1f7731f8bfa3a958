package org.attnsweep.engine;

/**
 * A batch seen only through {@link EngineBatch#step}: its stretches are the interface's own {@code
 * steps} (k calls of step, losses copied back every step, no evaluation inside a stretch), whatever
 * {@code b} overrides. The reference against which engines' own stretches are tested.
 */
public record StepByStep(EngineBatch b) implements ForwardingBatch {
}
