package org.attnsweep.engine.vector;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine's own GEMM micro-kernel ({@code GemmF32.gemm}, C[rows×cols] += a·A[rows×inner]·
 * B[inner×cols]), one independent problem per thread, as the engine runs one run per thread. The
 * {@code flop} counter (2·rows·inner·cols per call) summed over threads is what the kernel reaches:
 * on a large square problem (512³) as a ceiling, and on the step's own updates Q −= η G α at
 * paper B's (P = 102) and paper A's (P = 302) shapes with m_k = 512.
 *
 * <p>{@code tile}: {@code auto} is the tile the engine chose for this JVM's vector width; a tile's
 * name (6x4, 6x2, 4x2) forces it, to compare the tiles at one width (scripts/width-bench).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Threads(2)
public class GemmBench {

    /** rows×inner×cols. */
    @Param({"512x512x512", "102x102x512", "302x302x512"})
    public String shape;

    /** The register tile: auto (the engine's choice for this width) or a tile's label. */
    @Param({"auto"})
    public String tile;

    private GemmF32.Tile t;
    private int rows, inner, cols;
    private float[] A, B, C;

    @Setup(Level.Trial)
    public void data() {
        String[] s = shape.split("x");
        t = tile.equals("auto") ? GemmF32.TILE : java.util.Arrays.stream(GemmF32.Tile.values())
                .filter(x -> x.label().equals(tile)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("tile must be auto or one of 6x4, 6x2, 4x2: got '" + tile + "'"));
        System.err.println("GemmBench: tile " + t.label() + " at " + KernelsF32.S.vectorBitSize() + " bits, shape " + shape);
        rows = Integer.parseInt(s[0]);
        inner = Integer.parseInt(s[1]);
        cols = Integer.parseInt(s[2]);
        SplittableRandom rnd = new SplittableRandom(shape.hashCode());
        A = new float[rows * inner];
        B = new float[inner * cols];
        C = new float[rows * cols];
        for (int i = 0; i < A.length; i++) A[i] = (float) rnd.nextDouble(-1, 1);
        for (int i = 0; i < B.length; i++) B[i] = (float) rnd.nextDouble(-1, 1);
    }

    @Benchmark
    public float[] gemm(FlopCounter c) {
        // a = −1e−3 keeps C bounded however many calls an iteration makes.
        long t0 = FlopCounter.threadCpuNs();
        GemmF32.gemm(t, C, -1e-3f, A, 0, inner, B, 0, rows, inner, cols);
        c.flop += 2L * rows * inner * cols;
        c.cpuNs += FlopCounter.threadCpuNs() - t0;
        return C;
    }
}
