package org.attnsweep.data;

import java.nio.charset.StandardCharsets;

/**
 * A counter-based random stream: value i is a pure function of (key, i), so any draw can be made
 * in any order, on any thread or device, and regenerated later (initial weights are rebuilt this way
 * for export). Keys are derived from (root seed, repeat, stream name) and then from sub-indices
 * such as the sample number, which is what makes runs that differ only in N share their first
 * samples (docs/math.md §1, common random numbers).
 *
 * <p>The mixer is SplitMix64's finaliser; uniforms take the top 53 bits; normals use Box–Muller on
 * two consecutive uniforms (the sine half is discarded so value i depends on i alone).
 */
public final class Stream {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final long key;

    private Stream(long key) {
        this.key = key;
    }

    /** The stream named {@code name} of run (seed, repeat). */
    public static Stream of(long seed, int repeat, String name) {
        long k = mix(seed ^ GOLDEN);
        k = mix(k ^ mix(repeat + 0x632BE59BD9B4E019L));
        return new Stream(mix(k ^ fnv1a(name)));
    }

    /** An independent child stream for sub-index {@code index} (a sample, a token position...). */
    public Stream sub(long index) {
        return new Stream(mix(key ^ mix(index * GOLDEN + 0x2545F4914F6CDD1DL)));
    }

    /** The 64-bit key: two streams with equal keys draw the same values. */
    public long key() {
        return key;
    }

    /** 64 random bits, value i of the stream. */
    public long bits(long i) {
        return mix(key + (i + 1) * GOLDEN);
    }

    /** Uniform in [0, 1), value i of the stream. */
    public double uniform(long i) {
        return (bits(i) >>> 11) * 0x1.0p-53;
    }

    /** Standard normal, value i of the stream (uses the uniforms 2i and 2i+1). */
    public double normal(long i) {
        double u1 = ((bits(2 * i) >>> 11) + 1) * 0x1.0p-53; // (0, 1]: log is finite
        double u2 = (bits(2 * i + 1) >>> 11) * 0x1.0p-53;
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** SplitMix64's output function (Stafford's variant 13). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long fnv1a(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xff);
            h *= 0x100000001B3L;
        }
        return h;
    }
}
