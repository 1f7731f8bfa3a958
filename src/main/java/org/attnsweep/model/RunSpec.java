package org.attnsweep.model;

/**
 * A mutable set of run options, filled from defaults, then a preset, then the user's options, and
 * turned into an immutable {@link RunConfig}. Field names are the option names without dashes.
 */
public final class RunSpec {
    public int d = 512, M = 2, mk = 512, mv = 512, N = 100;
    public double[] sigma = {4.0};
    /** ‖μ‖; ignored when {@link #snr} is set. */
    public double mu = 30;
    /** When not NaN, ‖μ‖ = snr·σ_p·√d. */
    public double snr = Double.NaN;
    public double p = 0;
    public LabelMode labels = LabelMode.BALANCED;
    public boolean orthogonalNoise = false;
    public SignalBasis signals = SignalBasis.AXIS;
    public InitScheme init = InitScheme.TORCH;
    public double sigma0 = 0.01, sigmaV = 0.01, sigmaO = 0.1, initDivisor = 16;
    public boolean trainWo = true;
    public double lr = 0.1;
    public int steps = 1000;
    public double targetLoss = 0;
    public int evalEvery = 10;
    public int testN = 100;
    public long seed = 1;
    public int repeats = 1;
    public int attnSample = -1;

    /** The validated configs of repeats 0..repeats−1. */
    public java.util.List<RunConfig> configs() {
        if (repeats <= 0) throw new IllegalArgumentException("--repeats must be a positive integer: got " + repeats);
        java.util.List<RunConfig> out = new java.util.ArrayList<>();
        for (int r = 0; r < repeats; r++) out.add(build(r));
        return out;
    }

    /** The config of repeat {@code repeat}, validated. */
    public RunConfig build(int repeat) {
        double m = mu;
        if (!Double.isNaN(snr)) {
            if (!(snr >= 0) || !Double.isFinite(snr)) throw new IllegalArgumentException("--snr must be finite and >= 0: got " + snr);
            if (sigma.length == 0) throw new IllegalArgumentException("--sigma must list M-1 values: got none");
            m = snr * sigma[0] * Math.sqrt(d);
        }
        return new RunConfig(d, M, mk, mv, N, sigma, m, p, labels, orthogonalNoise, signals, init, sigma0, sigmaV,
                sigmaO, initDivisor, trainWo, lr, steps, targetLoss, evalEvery, testN, seed, repeat, attnSample)
                .validate();
    }

    /**
     * Parses a σ list: comma-separated values where {@code v*k} repeats v k times, so paper A's
     * heatmap reads {@code 4,0.2*14}.
     */
    public static double[] parseSigma(String text) {
        java.util.List<Double> out = new java.util.ArrayList<>();
        for (String part : text.split(",")) {
            String s = part.trim();
            if (s.isEmpty()) throw new IllegalArgumentException("--sigma has an empty entry: '" + text + "'");
            String[] vk = s.split("\\*");
            try {
                double v = Double.parseDouble(vk[0].trim());
                int k = vk.length == 2 ? Integer.parseInt(vk[1].trim()) : 1;
                if (vk.length > 2 || k <= 0) throw new NumberFormatException();
                for (int i = 0; i < k; i++) out.add(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--sigma entries must be numbers or value*count: got '" + s + "' in '" + text + "'");
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
