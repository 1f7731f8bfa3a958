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
    /** σ_p of the SNR; 0 = the σ of token 2. */
    public double snrSigma = 0;
    /** Image data (docs/math.md §7): the MNIST-format directory, or null for synthetic data. */
    public String images = null;
    /** The two image classes, +1 then −1, as written ({@code 7,9}); null = 7,9 (image runs only). */
    public String classes = null;
    /** Patch side p of image runs; null = 7 (image runs only). Not 0 for unset: --patch 0 is refused, not read as the default. */
    public Integer patch = null;
    /** Shifted test sets: test noise σ times this, test signals turned by this many degrees. */
    public double testSigmaScale = 1, testSignalAngle = 0;
    /** Test label-flip probability; NaN = the training p. */
    public double testP = Double.NaN;
    /** The training loss (docs/math.md §8). */
    public Loss loss = Loss.LOGISTIC;
    /** Samples per step B; null = N (full-batch GD). */
    public Integer batchSize = null;
    /** Attention heads H (docs/math.md §7). */
    public int heads = 1;

    /**
     * Every key a run can be given, in the order they are applied, with its help text. The command
     * line option of a key is "--" + key; sweep specs use the same names.
     */
    public static final java.util.Map<String, String> KEYS = pairs(
            "d", "input dimension d",
            "M", "tokens per sample M (>= 2); resizes the sigma list unless --sigma is given",
            "mk", "width m_k of W_Q and W_K",
            "mv", "width m_v of W_V and w_O",
            "N", "training samples N",
            "sigma", "noise sigma of token positions 2..M, e.g. 4,0.2*14",
            "mu", "signal norm |mu|",
            "snr", "SNR = |mu|/(sigma_p sqrt(d)); sets |mu| in place of --mu",
            "p", "label-flip probability in [0, 0.5)",
            "labels", "balanced or rademacher true labels",
            "orthogonal-noise", "project the noise off span(mu+, mu-) (true/false)",
            "signals", "axis (mu along e1, e2) or random orthonormal signal pair",
            "init", "torch (U(+-1/sqrt d)/divisor) or theory (Gaussian)",
            "sigma0", "theory init: sigma_0 of W_Q and W_K",
            "sigma-v", "theory init: sigma_V of W_V",
            "sigma-o", "theory init: sigma_O of w_O",
            "init-divisor", "torch init: divisor of W_Q, W_K, W_V",
            "train-wo", "learnable w_O (paper B: true) or fixed (paper A: false)",
            "lr", "GD step eta",
            "steps", "at most this many GD steps T",
            "target-loss", "stop a run at the first step whose training loss is below this (0 = never)",
            "eval-every", "record metrics every this many steps (and at the stop step)",
            "test-n", "test samples",
            "seed", "root seed",
            "repeats", "independent runs, repeat indices 0..repeats-1",
            "attn-sample", "report the attention of this training sample (-1 = mean over samples)",
            "snr-sigma", "sigma_p of SNR = |mu|/(sigma_p sqrt(d)); 0 = the sigma of token 2",
            "images", "real images as tokens: a directory of MNIST-format files (train-images-idx3-ubyte[.gz], "
                    + "train-labels-idx1-ubyte[.gz], t10k-...), e.g. /usr/share/datasets/fashion-mnist; --mu is then the "
                    + "image weight mu in img*mu/(1+mu) + |xi|/(1+mu) on the border",
            "classes", "image runs: the two classes, +1 then -1 (default 7,9)",
            "patch", "image runs: patch side p, M = (28/p)^2 tokens of d = p^2 pixels (default 7)",
            "test-sigma-scale", "shifted test set: test noise sigma times this (> 0; default 1)",
            "test-signal-angle", "shifted test set: test signals turned by this many degrees in [0, 180] toward directions"
                    + " orthogonal to both training signals (default 0)",
            "test-p", "shifted test set: test label-flip probability in [0, 0.5) (default: --p)",
            "loss", "training loss: logistic (default, the papers'), exponential, hinge or squared",
            "batch-size", "samples per step B in [1, N]: mini-batch SGD over a seeded permutation per epoch (default N: full-batch GD)",
            "heads", "attention heads H >= 1, each with its own W_Q, W_K, W_V, w_O; f sums them (default 1)");

    /** The pairs key₁, value₁, key₂, value₂, … as a map in that order (unmodifiable). */
    public static java.util.Map<String, String> pairs(String... kv) {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * The most noise tokens per sample (M − 1) a spec may ask for: beyond 2^20 no machine holds one
     * run (P = 2 + N(M−1) ≥ M, and the span state alone is P² floats = 4 TiB), so larger M or σ
     * lists are refused before anything of that size is allocated.
     */
    public static final int MAX_NOISE_TOKENS = 1 << 20;

    /** Sets key to the value written as text; errors name the option and what it expects. */
    public void set(String key, String value) {
        String v = value.trim();
        switch (key) {
            case "d" -> d = integer(key, v);
            case "M" -> {
                M = integer(key, v);
                if (M - 1L > MAX_NOISE_TOKENS) {
                    throw new IllegalArgumentException("--M must be at most " + (MAX_NOISE_TOKENS + 1) + " tokens per sample"
                            + " (a run's span state alone holds P^2 >= (M-1)^2 floats, 4 TiB at that size): got " + M);
                }
                if (M >= 2 && sigma.length > 0 && sigma.length != M - 1) {
                    // Keep σ_p for token 2 and repeat the last σ for the new positions.
                    double[] old = sigma;
                    sigma = new double[M - 1];
                    for (int i = 0; i < sigma.length; i++) sigma[i] = old[Math.min(i, old.length - 1)];
                }
            }
            case "mk" -> mk = integer(key, v);
            case "mv" -> mv = integer(key, v);
            case "N" -> N = integer(key, v);
            case "sigma" -> sigma = parseSigma(v);
            case "mu" -> {
                mu = real(key, v);
                snr = Double.NaN;
            }
            case "snr" -> snr = real(key, v);
            case "p" -> p = real(key, v);
            case "labels" -> labels = choice(key, v, LabelMode.class);
            case "orthogonal-noise" -> orthogonalNoise = bool(key, v);
            case "signals" -> signals = choice(key, v, SignalBasis.class);
            case "init" -> init = choice(key, v, InitScheme.class);
            case "sigma0" -> sigma0 = real(key, v);
            case "sigma-v" -> sigmaV = real(key, v);
            case "sigma-o" -> sigmaO = real(key, v);
            case "init-divisor" -> initDivisor = real(key, v);
            case "train-wo" -> trainWo = bool(key, v);
            case "lr" -> lr = real(key, v);
            case "steps" -> steps = integer(key, v);
            case "target-loss" -> targetLoss = real(key, v);
            case "eval-every" -> evalEvery = integer(key, v);
            case "test-n" -> testN = integer(key, v);
            case "seed" -> seed = longInteger(key, v);
            case "repeats" -> repeats = integer(key, v);
            case "attn-sample" -> attnSample = integer(key, v);
            case "snr-sigma" -> snrSigma = real(key, v);
            case "images" -> {
                // An empty path is refused as --out's and --init-from's are, not read as "no images" (synthetic data).
                if (v.isEmpty()) throw new IllegalArgumentException("--images must name a directory: got ''");
                String tilde = unexpandedTilde(v);
                if (tilde != null) throw new IllegalArgumentException("--images " + tilde);
                images = v;
            }
            case "classes" -> classes = v;
            case "patch" -> patch = integer(key, v);
            case "test-sigma-scale" -> testSigmaScale = real(key, v);
            case "test-signal-angle" -> testSignalAngle = real(key, v);
            case "test-p" -> testP = real(key, v);
            case "loss" -> loss = choice(key, v, Loss.class);
            case "batch-size" -> batchSize = integer(key, v);
            case "heads" -> heads = integer(key, v);
            default -> throw new IllegalArgumentException("unknown key '" + key + "': expected one of " + KEYS.keySet());
        }
    }

    /**
     * Why a path as typed cannot be used, or null: it begins with '~', which the shell expands only
     * at the start of a word and unquoted, so {@code --out=~/runs} or {@code --images "~/fm"} arrive
     * as typed and would name a directory called '~' in the working directory (s21b audit).
     */
    public static String unexpandedTilde(String text) {
        if (!text.startsWith("~")) return null;
        String instead = text.equals("~") || text.startsWith("~/")
                ? System.getProperty("user.home") + text.substring(1) : "the full path, or ./" + text + " for a directory so named";
        return "'" + text + "' begins with '~', which the shell did not expand (it does not after '=' or inside quotes): write " + instead;
    }

    /** The instance fields, looked up once: getFields() copies every Field on each call. */
    private static final java.lang.reflect.Field[] FIELDS = java.util.Arrays.stream(RunSpec.class.getFields())
            .filter(f -> !java.lang.reflect.Modifier.isStatic(f.getModifiers())).toArray(java.lang.reflect.Field[]::new);

    /** A deep copy. */
    public RunSpec copy() {
        RunSpec c = new RunSpec();
        for (java.lang.reflect.Field f : FIELDS) {
            try {
                Object v = f.get(this);
                f.set(c, v instanceof double[] a ? a.clone() : v);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return c;
    }

    private static int integer(String key, String v) {
        long x = longInteger(key, v);
        if (x != (int) x) {
            throw new IllegalArgumentException("--" + key + " expects an integer in [" + Integer.MIN_VALUE + ", "
                    + Integer.MAX_VALUE + "]: got '" + v + "'");
        }
        return (int) x;
    }

    private static long longInteger(String key, String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            boolean digits = v.matches("[+-]?[0-9]+");
            throw new IllegalArgumentException("--" + key + " expects an integer" + (digits ? " in [" + Long.MIN_VALUE + ", "
                    + Long.MAX_VALUE + "]" : "") + ": got '" + v + "'");
        }
    }

    /**
     * A finite number: NaN and infinities (also an exponent that overflows, 1e999) are refused,
     * never taken as "unset"; −0 is read as 0, so one value has one config key.
     */
    private static double real(String key, String v) {
        double x;
        try {
            x = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " expects a number: got '" + v + "'");
        }
        if (!Double.isFinite(x)) throw new IllegalArgumentException("--" + key + " expects a finite number: got '" + v + "'");
        return x == 0 ? 0.0 : x;
    }

    /**
     * The value {@code text} gives {@code key}, as the text a run config records it with, so that
     * two spellings of one value ({@code 0} and {@code -0}, {@code 0.1} and {@code 0.10}) compare
     * equal. Refuses what {@link #set} refuses.
     */
    public static String canonical(String key, String text) {
        RunSpec s = new RunSpec();
        s.set(key, text);
        StringBuilder field = new StringBuilder();
        for (String part : key.split("-")) {
            field.append(field.isEmpty() ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        try {
            Object v = RunSpec.class.getField(field.toString()).get(s);
            return v instanceof double[] a ? java.util.Arrays.toString(a) : String.valueOf(v);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("run key " + key + " has no field " + field, e);
        }
    }

    private static boolean bool(String key, String v) {
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException("--" + key + " expects true or false: got '" + v + "'");
        };
    }

    private static <E extends Enum<E>> E choice(String key, String v, Class<E> type) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v)) return e;
        }
        throw new IllegalArgumentException("--" + key + " must be one of "
                + java.util.Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(java.util.Locale.ROOT)).toList()
                + ": got '" + v + "'");
    }

    /** The validated configs of repeats 0..repeats−1. */
    public java.util.List<RunConfig> configs() {
        if (repeats <= 0) throw new IllegalArgumentException("--repeats must be a positive integer: got " + repeats);
        java.util.List<RunConfig> out = new java.util.ArrayList<>();
        for (int r = 0; r < repeats; r++) out.add(build(r));
        return out;
    }

    /** The config of repeat {@code repeat}, validated. */
    public RunConfig build(int repeat) {
        ImageSource img = imageSource();
        if (img != null) {
            // Image runs have no synthetic signals or σ to shift; only the test flip rate applies.
            if (testSigmaScale != 1 || testSignalAngle != 0) {
                throw new IllegalArgumentException("--test-sigma-scale and --test-signal-angle shift synthetic test data: not with --images"
                        + " (--test-p applies)");
            }
            // The image fixes the shapes; ξ ~ N(0, 1), so every σ is 1 (docs/math.md §7).
            double[] ones = new double[img.M() - 1];
            java.util.Arrays.fill(ones, 1.0);
            return new RunConfig(img.d(), img.M(), mk, mv, N, ones, mu, p, labels, orthogonalNoise, signals, init, sigma0,
                    sigmaV, sigmaO, initDivisor, trainWo, lr, steps, targetLoss, evalEvery, testN, seed, repeat, attnSample,
                    0, img, 1, 0, Double.isNaN(testP) ? p : testP, loss, batchSize == null ? N : batchSize, heads).validate();
        }
        double m = mu;
        if (!Double.isNaN(snr)) {
            if (!(snr >= 0) || !Double.isFinite(snr)) throw new IllegalArgumentException("--snr must be finite and >= 0: got " + snr);
            if (sigma.length == 0) throw new IllegalArgumentException("--sigma must list M-1 values: got none");
            m = snr * (snrSigma > 0 ? snrSigma : sigma[0]) * Math.sqrt(d);
            if (!Double.isFinite(m)) {
                throw new IllegalArgumentException("--snr " + snr + " makes |mu| = snr * sigma_p * sqrt(d) overflow: lower --snr or sigma_p");
            }
        }
        return new RunConfig(d, M, mk, mv, N, sigma, m, p, labels, orthogonalNoise, signals, init, sigma0, sigmaV,
                sigmaO, initDivisor, trainWo, lr, steps, targetLoss, evalEvery, testN, seed, repeat, attnSample, snrSigma, null,
                testSigmaScale, testSignalAngle, Double.isNaN(testP) ? p : testP, loss, batchSize == null ? N : batchSize, heads).validate();
    }

    /** The validated image source of image runs, or null; refuses image options without --images. */
    private ImageSource imageSource() {
        if (images == null) {
            if (classes != null) throw new IllegalArgumentException("--classes is for image runs: give --images DIR too");
            if (patch != null) throw new IllegalArgumentException("--patch is for image runs: give --images DIR too");
            return null;
        }
        String[] f = (classes == null ? "7,9" : classes).split(",", -1);
        if (f.length != 2) throw new IllegalArgumentException("--classes must be two classes a,b (+1 then -1): got '" + classes + "'");
        return new ImageSource(images, integer("classes", f[0].trim()), integer("classes", f[1].trim()), patch == null ? 7 : patch)
                .validate();
    }

    /**
     * Parses a σ list: comma-separated values where {@code v*k} repeats v k times, so paper A's
     * heatmap reads {@code 4,0.2*14}.
     */
    public static double[] parseSigma(String text) {
        java.util.List<Double> out = new java.util.ArrayList<>();
        long total = 0;
        for (String part : text.split(",", -1)) {
            String s = part.trim();
            if (s.isEmpty()) throw new IllegalArgumentException("--sigma has an empty entry: '" + text + "'");
            String[] vk = s.split("\\*");
            try {
                double v = Double.parseDouble(vk[0].trim());
                int k = vk.length == 2 ? Integer.parseInt(vk[1].trim()) : 1;
                if (vk.length > 2 || k <= 0) throw new NumberFormatException();
                if (!Double.isFinite(v)) throw new IllegalArgumentException("--sigma values must be finite and > 0: got '" + s + "' in '" + text + "'");
                total += k;
                if (total > MAX_NOISE_TOKENS) {
                    throw new IllegalArgumentException("--sigma lists over " + MAX_NOISE_TOKENS + " values (M-1 noise tokens;"
                            + " a run's span state alone would be 4 TiB): '" + text + "'");
                }
                for (int i = 0; i < k; i++) out.add(v == 0 ? 0.0 : v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--sigma entries must be numbers or value*count: got '" + s + "' in '" + text + "'");
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
