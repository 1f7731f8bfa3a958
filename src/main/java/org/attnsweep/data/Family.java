package org.attnsweep.data;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.Weights;

/**
 * The draws shared by a family of runs: runs whose configs agree in everything but N, ‖μ‖, p,
 * the label mode and the optimiser settings draw the same unit signal directions, the same noise
 * tokens (the first min(N) samples of the longer draw) and the same initial weights (docs/math.md §1,
 * common random numbers). A family holds them once: runs copy slices of the noise and scale the
 * signals, and fast engines project the family's tokens through W(0) once for all its runs.
 *
 * <p>Shapes: the unit directions are 2×d; the training noise grows on demand to the largest N
 * asked for, stored sample-major as N·(M−1) tokens of d; the test noise is testN·(M−1) tokens.
 */
public final class Family {
    // The most recently used families stay alive even when no run holds them, so that runs of one
    // family planned apart (a sweep's later batches) still find its draws and its reservation.
    private static final int CACHE = 64;
    private static final Map<Key, Family> RECENT = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Family> eldest) {
            return size() > CACHE;
        }
    };
    // Every family still reachable, by key: while anything holds a family (a batch's RunData, a
    // sweep's plan), Family.of returns that same object, so one family is never two objects at
    // once however many families a batch or a plan holds (engines group runs by identity).
    private static final Map<Key, Live> LIVE = new HashMap<>();
    private static final ReferenceQueue<Family> GONE = new ReferenceQueue<>();

    /** A weak reference to a family that remembers its key, so a collected one leaves LIVE. */
    private static final class Live extends WeakReference<Family> {
        final Key key;

        Live(Family f, Key key) {
            super(f, GONE);
            this.key = key;
        }
    }

    private final RunConfig config;
    private final double[][] e;
    private double[] trainNoise = new double[0];
    private int trainSamples;
    private int reserved;
    private double[] testNoise;
    private Weights init;

    private Family(RunConfig config) {
        this.config = config;
        this.e = DataFactory.directions(config);
    }

    /**
     * The family of run c: the object any holder of a run of the same family holds, else the one
     * among the {@value #CACHE} most recently used, else a new one.
     */
    public static Family of(RunConfig c) {
        Key key = key(c);
        synchronized (LIVE) {
            for (Reference<? extends Family> r; (r = GONE.poll()) != null; ) LIVE.remove(((Live) r).key, r);
            Live live = LIVE.get(key);
            Family f = live == null ? null : live.get();
            if (f == null) {
                f = new Family(c);
                LIVE.put(key, new Live(f, key));
            }
            RECENT.put(key, f);
            return f;
        }
    }

    /**
     * What the family's draws depend on: the config without N, ‖μ‖, p, labels and the optimiser.
     * Equal keys, equal draws; equal as the fields' texts are (doubles by their bits, σ by the run
     * key's own text of it, {@link RunConfig#sigmaText}, which the runs of a sweep share), so that
     * keying 10,000 runs formats no numbers.
     */
    public record Key(long seed, int repeat, int d, int M, int mk, int mv, String sigma, boolean orthogonalNoise,
                      org.attnsweep.model.SignalBasis signals, org.attnsweep.model.InitScheme init, double sigma0, double sigmaV,
                      double sigmaO, double initDivisor, int testN, int heads) {
    }

    /** The key of run c's family. */
    public static Key key(RunConfig c) {
        return new Key(c.seed(), c.repeat(), c.d(), c.M(), c.mk(), c.mv(), c.sigmaText(), c.orthogonalNoise(), c.signals(), c.init(),
                c.sigma0(), c.sigmaV(), c.sigmaO(), c.initDivisor(), c.testN(), c.heads());
    }

    /** Unit directions of μ₊ (row 0) and μ₋ (row 1). */
    public double[][] directions() {
        return e;
    }

    /**
     * Says that runs of this family with up to n samples are coming, so work shared by the family
     * (the engines' projections of its tokens) is done once for the largest of them, not again at
     * every larger N.
     */
    public synchronized void reserve(int n) {
        reserved = Math.max(reserved, n);
    }

    /** The largest N announced by {@link #reserve}, or 0. */
    public synchronized int reserved() {
        return reserved;
    }

    /** The training noise of at least the first n samples: n·(M−1) tokens of d, sample-major. */
    public synchronized double[] trainNoise(int n) {
        if (n > trainSamples) {
            int grown = Math.max(n, Math.min(2 * trainSamples, n + 64));
            int row = (config.M() - 1) * config.d();
            double[] t = java.util.Arrays.copyOf(trainNoise, grown * row);
            DataFactory.noise(config, "train", trainSamples, grown, e, t);
            trainNoise = t;
            trainSamples = grown;
        }
        return trainNoise;
    }

    /** The test noise: testN·(M−1) tokens of d, sample-major. */
    public synchronized double[] testNoise() {
        if (testNoise == null) {
            testNoise = new double[config.testN() * (config.M() - 1) * config.d()];
            DataFactory.noise(config, "test", 0, config.testN(), e, testNoise);
        }
        return testNoise;
    }

    /** W(0), shared and never modified (engines copy what they train). */
    public synchronized Weights init() {
        if (init == null) init = DataFactory.initialWeights(config);
        return init;
    }
}
