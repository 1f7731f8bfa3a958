package org.attnsweep.engine.vector;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * FLOP done by a ceiling benchmark, reported by JMH as a rate next to its score ("flop"), and the
 * CPU time its thread spent doing them ("cpuNs", as a rate: CPU-ns per wall second). flop / cpuNs
 * is the rate while the thread ran, which a machine shared with other work (time-slicing our threads
 * out) lowers far less than it lowers the wall-clock rate.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class FlopCounter {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    public long flop;
    public long cpuNs;

    @Setup(Level.Iteration)
    public void reset() {
        flop = 0;
        cpuNs = 0;
    }

    /** This thread's CPU time in ns. */
    static long threadCpuNs() {
        return THREADS.getCurrentThreadCpuTime();
    }

    /** The CPU time of the whole process in ns: of every thread, for work an engine's pool does. */
    static long processCpuNs() {
        return OS.getProcessCpuTime();
    }
}
