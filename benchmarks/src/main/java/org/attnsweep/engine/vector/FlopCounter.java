package org.attnsweep.engine.vector;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** FLOP done by a ceiling benchmark, reported by JMH as a rate next to its score ("flop"). */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class FlopCounter {
    public long flop;

    @Setup(Level.Iteration)
    public void reset() {
        flop = 0;
    }
}
