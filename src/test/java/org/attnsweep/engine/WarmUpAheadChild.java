package org.attnsweep.engine;

import org.attnsweep.engine.vector.VectorEngine;
import org.attnsweep.model.Precision;

/**
 * Run by {@link EnginesTest} in a JVM of its own, where no kernel has been warmed yet: prints what
 * {@link Engines#warmUpAhead} did, one fact per line, for the parent to check.
 */
final class WarmUpAheadChild {
    private WarmUpAheadChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        System.out.println("fresh: f32 " + VectorEngine.warmedUp(Precision.FLOAT32) + ", f64 " + VectorEngine.warmedUp(Precision.FLOAT64));
        System.out.println("reference: " + Engines.warmUpAhead("reference", Precision.FLOAT32));
        System.out.println("cuda: " + Engines.warmUpAhead("cuda", Precision.FLOAT32));
        Thread t = Engines.warmUpAhead("vector", Precision.FLOAT32);
        System.out.println("thread: " + t.getName() + ", daemon " + t.isDaemon());
        System.out.println("again, same thread: " + (Engines.warmUpAhead("auto", Precision.FLOAT32) == t));
        t.join();
        System.out.println("joined: f32 " + VectorEngine.warmedUp(Precision.FLOAT32) + ", f64 " + VectorEngine.warmedUp(Precision.FLOAT64));
    }
}
