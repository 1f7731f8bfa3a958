package org.attnsweep.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The experiments of docs/math.md §6 as named presets over a {@link RunSpec}. A preset sets the single-run
 * options; the grids of the phase presets are the sweep's business. Paper B does not state d, its
 * learning rates or σ_V, so its presets use d = 512, m_k = m_v = 512, torch init, η = 0.1 and say
 * so in {@link #notes}.
 */
public final class Presets {
    private Presets() {
    }

    private static final Map<String, Consumer<RunSpec>> PRESETS = new LinkedHashMap<>();
    private static final Map<String, String> NOTES = new LinkedHashMap<>();

    static {
        add("jiang-heatmap", "paper A Fig. 1 (one cell; the grid is N 2..20 x |mu| 1..100)", s -> {
            s.d = 1024; s.M = 16; s.mk = 512; s.mv = 512;
            s.sigma = RunSpec.parseSigma("4,0.2*14");
            s.N = 20; s.mu = 50; s.p = 0; s.labels = LabelMode.BALANCED;
            s.trainWo = false; s.init = InitScheme.TORCH; s.initDivisor = 16;
            s.lr = 0.1; s.steps = 1000; s.targetLoss = 0.01; s.evalEvery = 1000; s.testN = 100; s.repeats = 10;
            s.snrSigma = 0.2; // A's map: SNR = |mu|/(0.2 sqrt(1024)), the sigma of the 14 weak noise tokens
        });
        add("jiang-dynamics-benign", "paper A Fig. 3, benign regime", s -> {
            jiangDynamics(s);
            s.N = 16; s.mu = 25; s.lr = 0.01;
        });
        add("jiang-dynamics-harmful", "paper A Fig. 3, harmful regime", s -> {
            jiangDynamics(s);
            s.N = 10; s.mu = 15; s.lr = 0.02;
        });
        add("zhang-dynamics", "paper B Fig. 1 (one p; B states no d, eta or init: d=512, m_k=m_v=512, torch init /16, eta=0.1 used)", s -> {
            zhang(s);
            s.N = 100; s.mu = 30; s.p = 0.1; s.steps = 1000; s.evalEvery = 10; s.repeats = 5;
        });
    }

    private static void jiangDynamics(RunSpec s) {
        s.d = 2048; s.M = 4; s.mk = 1024; s.mv = 256;
        s.sigma = new double[] {1, 0.05, 0.05};
        s.p = 0; s.labels = LabelMode.BALANCED; s.trainWo = false;
        s.init = InitScheme.TORCH; s.initDivisor = 64;
        s.steps = 500; s.targetLoss = 0; s.evalEvery = 5; s.testN = 10; s.repeats = 20;
        s.attnSample = 0; // A plots training sample 0 only
    }

    private static void zhang(RunSpec s) {
        s.d = 512; s.M = 2; s.mk = 512; s.mv = 512;
        s.sigma = new double[] {4};
        s.labels = LabelMode.BALANCED; s.trainWo = true;
        s.init = InitScheme.TORCH; s.initDivisor = 16; s.lr = 0.1;
        s.targetLoss = 0; s.testN = 100;
    }

    private static void add(String name, String note, Consumer<RunSpec> c) {
        PRESETS.put(name, c);
        NOTES.put(name, note);
    }

    /** Applies preset {@code name} to {@code spec}. */
    public static void apply(String name, RunSpec spec) {
        Consumer<RunSpec> c = PRESETS.get(name);
        if (c == null) throw new IllegalArgumentException("--preset must be one of " + PRESETS.keySet() + ": got '" + name + "'");
        c.accept(spec);
    }

    /** What the preset reproduces and what it had to choose. */
    public static String notes(String name) {
        return NOTES.get(name);
    }

    public static java.util.Set<String> names() {
        return PRESETS.keySet();
    }
}
