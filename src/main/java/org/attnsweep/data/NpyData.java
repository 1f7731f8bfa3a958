package org.attnsweep.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.Weights;

/**
 * A run's data and initial weights as directories of .npy files (read and written with
 * {@link Npy}), for the CLI's data and init directory options.
 *
 * <p>A data directory holds
 * <ul>
 * <li>{@code train_x.npy} [N, M, d] and {@code test_x.npy} [N_test, M, d]: the samples, C order,
 *     float32 or float64; token 0 of each sample is its signal token (docs/math.md §1);</li>
 * <li>{@code train_y.npy} [N] and {@code test_y.npy} [N_test]: the observed labels y, exactly
 *     +1 or −1, float or signed integer;</li>
 * <li>optionally {@code train_y_clean.npy} [N] and {@code test_y_clean.npy} [N_test]: the true
 *     labels ỹ; by default ỹ = y (no label noise);</li>
 * <li>optionally {@code mu.npy} [2, d]: μ₊ then μ₋, the probes of the v_signal and qk_ss metrics;
 *     by default μ₊ (μ₋) is token 0 of the first training sample whose true label is +1 (−1),
 *     which is the signal token where the data follows docs/math.md §1.</li>
 * </ul>
 * An init directory holds {@code W_Q.npy} [m_k, d], {@code W_K.npy} [m_k, d], {@code W_V.npy}
 * [m_v, d] and {@code w_O.npy} [m_v], row-major (q = W_Q x); with H heads (docs/math.md §7) each has
 * the head axis in front: [H, m_k, d], [H, m_k, d], [H, m_v, d], [H, m_v].
 *
 * <p>Every value read must be finite and every label ±1. A file that is missing, malformed or of
 * the wrong shape is refused with an {@link IllegalArgumentException} whose message names the
 * file and what was expected, e.g. {@code W_Q.npy: shape (3, 5) but expected (m_k, d) = (4, 5)}.
 */
public final class NpyData {
    private NpyData() {
    }

    private static final String TRAIN_X = "train_x.npy", TRAIN_Y = "train_y.npy", TRAIN_Y_CLEAN = "train_y_clean.npy";
    private static final String TEST_X = "test_x.npy", TEST_Y = "test_y.npy", TEST_Y_CLEAN = "test_y_clean.npy";
    private static final String MU = "mu.npy";
    private static final String W_Q = "W_Q.npy", W_K = "W_K.npy", W_V = "W_V.npy", W_O = "w_O.npy";
    private static final String DATA_NEEDS = "a data dir needs " + TRAIN_X + ", " + TRAIN_Y + ", " + TEST_X + ", " + TEST_Y;
    private static final String INIT_NEEDS = "an init dir needs " + W_Q + ", " + W_K + ", " + W_V + ", " + W_O;

    /**
     * The sizes a data directory holds, read from the .npy headers alone.
     *
     * @param N     training samples
     * @param M     tokens per sample
     * @param d     token dimension
     * @param testN test samples
     */
    public record Shape(int N, int M, int d, int testN) {
    }

    /**
     * Reads the sizes of a data directory from its headers, checking that every file present
     * agrees with train_x.npy, so the CLI can set the config's N, M, d and test N before it
     * validates the config and calls {@link #read}.
     *
     * @throws IllegalArgumentException when a required file is missing, a file is not an NPY file
     *                                  we read, or two files disagree on a size
     */
    public static Shape shapeOf(Path dataDir) throws IOException {
        Path trainX = required(dataDir, TRAIN_X, DATA_NEEDS);
        int[] x = Npy.readShape(trainX);
        if (x.length != 3) throw new IllegalArgumentException(trainX + ": shape " + Npy.shapeText(x) + " but expected 3 dimensions (N, M, d)");
        int N = x[0], M = x[1], d = x[2];
        // Named here: past this point a size 0 reads as a flag's ("--test-n must be a positive integer: got 0").
        if (N == 0 || M == 0 || d == 0) {
            throw new IllegalArgumentException(trainX + ": shape " + Npy.shapeText(x) + " is empty: N, M and d must each be at least 1");
        }
        String match = " to match " + TRAIN_X + " " + Npy.shapeText(x);

        Path testX = required(dataDir, TEST_X, DATA_NEEDS);
        int[] t = Npy.readShape(testX);
        if (t.length != 3 || t[1] != M || t[2] != d) {
            throw new IllegalArgumentException(testX + ": shape " + Npy.shapeText(t) + " but expected (N_test, M, d) = (N_test, "
                    + M + ", " + d + ")" + match);
        }
        int testN = t[0];
        if (testN == 0) throw new IllegalArgumentException(testX + ": shape " + Npy.shapeText(t) + " holds no test samples: N_test must be at least 1");
        checkShape(required(dataDir, TRAIN_Y, DATA_NEEDS), "(N,)", new int[] {N}, match);
        checkShape(required(dataDir, TEST_Y, DATA_NEEDS), "(N_test,)", new int[] {testN}, match);
        checkShapeIfPresent(dataDir, TRAIN_Y_CLEAN, "(N,)", new int[] {N}, match);
        checkShapeIfPresent(dataDir, TEST_Y_CLEAN, "(N_test,)", new int[] {testN}, match);
        checkShapeIfPresent(dataDir, MU, "(2, d)", new int[] {2, d}, match);
        return new Shape(N, M, d, testN);
    }

    /**
     * The files of a command's data and init directories, read once (only the files named in the
     * class doc, each checked to be a regular file) and shared by all its runs.
     *
     * @param train       the training set read from a data directory, or null to generate each run's data
     * @param test        the test set read (null with {@code train})
     * @param muPos       μ₊ read or taken from a signal token (null with {@code train})
     * @param muNeg       μ₋ likewise
     * @param init        the weights read from an init directory, or null to draw each run's W(0)
     * @param fingerprint 16 hex digits of SHA-256 over every file read (name, shape, values): equal
     *                    inputs give equal fingerprints; "" when nothing was read
     */
    public record Inputs(TokenSet train, TokenSet test, double[] muPos, double[] muNeg, Weights init, String fingerprint) {

        /**
         * Run {@code config}'s inputs: the data read (its N, M, d and test N must be the config's)
         * or generated, and the weights read (their d, m_k, m_v must be the config's) or drawn.
         * With read data the config's data options (σ, ‖μ‖, p, label mode) go unused; every run
         * shares the same token sets and weights, which engines never modify.
         *
         * @throws IllegalArgumentException naming both sizes when the files and the config disagree
         */
        public RunData runData(RunConfig config) {
            check(config);
            if (train == null) {
                RunData g = DataFactory.generate(config);
                return init == null ? g : new RunData(config, g.train(), g.test(), g.muPos(), g.muNeg(), init);
            }
            return new RunData(config, train, test, muPos, muNeg, init == null ? DataFactory.initialWeights(config) : init);
        }

        /**
         * Refuses read data too large for {@code precision}'s arithmetic, naming the file, the
         * token and the bound. Every step multiplies tokens with tokens: the span form's Gram
         * matrix T Tᵀ, the scores x_iᵀ W_Qᵀ W_K x_j and their gradients' x x' terms, and
         * evaluation does the same with the test tokens against the training ones. Once a token's
         * squared norm passes the precision's largest finite value such a product is ±∞ (and ∞ − ∞
         * a NaN), so max ‖x‖² over the training and test tokens must stay at most that value:
         * ‖x‖ ≤ √(3.4e38) ≈ 1.8e19 in float32, √(1.8e308) ≈ 1.3e154 in float64. Necessary, not
         * sufficient (weights grown by training can still overflow: the trainer flags such a run).
         * Read weights must be representable in float32 when the engine computes in it.
         *
         * @param dataDir named in the message
         * @param initDir named in the message
         */
        public void checkRange(Precision precision, Path dataDir, Path initDir) {
            if (init != null && precision == Precision.FLOAT32) {
                // A float32 engine holds the weights as float32: a value past its largest one is ∞
                // before the first step (the run then diverged at step 0).
                Object[][] arrays = {{W_Q, init.WQ()}, {W_K, init.WK()}, {W_V, init.WV()}, {W_O, init.wO()}};
                for (Object[] a : arrays) {
                    double[] w = (double[]) a[1];
                    for (int i = 0; i < w.length; i++) {
                        if (Math.abs(w[i]) > Float.MAX_VALUE) {
                            throw new IllegalArgumentException("--init-from " + initDir + ": " + a[0] + " element " + i + " is "
                                    + String.format(java.util.Locale.ROOT, "%.3g", w[i]) + ", past float32's largest value "
                                    + String.format(java.util.Locale.ROOT, "%.3g", Float.MAX_VALUE) + ": use --precision float64");
                        }
                    }
                }
            }
            if (train == null) return;
            double max = precision == Precision.FLOAT32 ? Float.MAX_VALUE : Double.MAX_VALUE;
            for (Object[] set : new Object[][] {{TRAIN_X, train}, {TEST_X, test}}) {
                TokenSet t = (TokenSet) set[1];
                for (int j = 0; j < t.P(); j++) {
                    double sq = 0;
                    for (int i = 0; i < t.d(); i++) sq += t.at(j, i) * t.at(j, i);
                    if (sq <= max) continue;
                    int at = 0; // the token's first position, n·M + l
                    while (t.map()[at] != j) at++;
                    String p = precision.name().toLowerCase(java.util.Locale.ROOT);
                    throw new IllegalArgumentException("--data-from " + dataDir + ": " + set[0] + " sample " + at / t.M() + " token "
                            + at % t.M() + " has norm " + String.format(java.util.Locale.ROOT, "%.3g", norm(t, j)) + ", over " + p
                            + "'s range for products of tokens (norm at most " + String.format(java.util.Locale.ROOT, "%.3g", Math.sqrt(max))
                            + "): rescale the data" + (precision == Precision.FLOAT32 ? " or use --precision float64" : ""));
                }
            }
        }

        /** Refuses a run whose shapes are not the files' (cheap: the CLI checks every run before any work). */
        public void check(RunConfig config) {
            if (init != null && (init.d() != config.d() || init.mk() != config.mk() || init.mv() != config.mv()
                    || init.heads() != config.heads())) {
                // H is named where it is what disagrees (one-head files and runs read as before heads).
                boolean h = init.heads() != config.heads();
                throw new IllegalArgumentException("the init dir holds " + (h ? "H=" + init.heads() + ", " : "") + "d=" + init.d()
                        + ", m_k=" + init.mk() + ", m_v=" + init.mv() + " (" + W_Q + ", " + W_V + ") but the run asks for "
                        + (h ? "H=" + config.heads() + ", " : "") + "d=" + config.d() + ", m_k=" + config.mk() + ", m_v=" + config.mv());
            }
            if (train != null && (train.N() != config.N() || train.M() != config.M() || train.d() != config.d()
                    || test.N() != config.testN())) {
                throw new IllegalArgumentException("the data dir holds N=" + train.N() + ", M=" + train.M() + ", d=" + train.d()
                        + ", N_test=" + test.N() + " (" + TRAIN_X + ", " + TEST_X + ") but the run asks for N=" + config.N()
                        + ", M=" + config.M() + ", d=" + config.d() + ", N_test=" + config.testN());
            }
        }
    }

    /**
     * Reads a data directory and an init directory (either may be null), each file once, checking
     * every shape against the others before the values are read: the sizes of a data directory
     * agree with train_x.npy ({@link #shapeOf}); W_K agrees with W_Q [m_k, d], w_O with W_V [m_v,
     * d], and d with the data's. Tokens that are equal bit for bit are stored once ({@link
     * TokenSet#fromDense}).
     *
     * @throws IllegalArgumentException when a file is missing or not a regular file, malformed, too
     *                                  large for the heap, a shape disagrees with another file, a
     *                                  value is not finite or a label is not ±1
     */
    public static Inputs read(Path dataDir, Path initDir) throws IOException {
        java.security.MessageDigest md;
        try {
            md = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Shape s = dataDir == null ? null : shapeOf(dataDir);
        Weights init = initDir == null ? null : readWeights(initDir, s == null ? -1 : s.d(), md);
        if (s == null) return new Inputs(null, null, null, null, init, initDir == null ? "" : hex(md));
        TokenSet train = readSet(dataDir, TRAIN_X, TRAIN_Y, TRAIN_Y_CLEAN, "N", s.N(), s, md);
        TokenSet test = readSet(dataDir, TEST_X, TEST_Y, TEST_Y_CLEAN, "N_test", s.testN(), s, md);
        double[] muPos, muNeg;
        Path mu = optional(dataDir, MU);
        if (mu != null) {
            double[] both = readFinite(mu, "(2, d)", md, 2, s.d());
            muPos = Arrays.copyOfRange(both, 0, s.d());
            muNeg = Arrays.copyOfRange(both, s.d(), 2 * s.d());
        } else {
            Path labels = optional(dataDir, TRAIN_Y_CLEAN) != null ? dataDir.resolve(TRAIN_Y_CLEAN) : dataDir.resolve(TRAIN_Y);
            muPos = signalToken(train, +1, labels);
            muNeg = signalToken(train, -1, labels);
        }
        return new Inputs(train, test, muPos, muNeg, init, hex(md));
    }

    private static String hex(java.security.MessageDigest md) {
        return java.util.HexFormat.of().formatHex(md.digest(), 0, 8);
    }

    /**
     * Writes a run's data as a data directory (all seven files, true labels and μ included), so
     * {@link #read} reads back the same samples, labels and signals. Creates {@code dir} if needed.
     */
    public static void saveData(Path dir, RunData run) throws IOException {
        Files.createDirectories(dir);
        saveSet(dir, TRAIN_X, TRAIN_Y, TRAIN_Y_CLEAN, run.train());
        saveSet(dir, TEST_X, TEST_Y, TEST_Y_CLEAN, run.test());
        int d = run.muPos().length;
        double[] mu = Arrays.copyOf(run.muPos(), 2 * d);
        System.arraycopy(run.muNeg(), 0, mu, d, d);
        Npy.write(dir.resolve(MU), new int[] {2, d}, mu);
    }

    /** The sample order of a mini-batch run: int64 [steps, B]. */
    public static final String BATCH_ORDER = "batch_order.npy";

    /**
     * Writes the samples of the first {@code steps} updates of mini-batch run {@code c} as
     * {@link #BATCH_ORDER}, int64 [steps, B], row t holding the indices step t averaged over
     * (docs/math.md §8), so the run can be replayed. Creates {@code dir} if needed.
     */
    public static void saveBatchOrder(Path dir, RunConfig c, int steps) throws IOException {
        Files.createDirectories(dir);
        BatchOrder order = new BatchOrder(c);
        int B = order.size();
        int[] b = new int[B];
        long[] rows = new long[Math.multiplyExact(steps, B)];
        for (int t = 0; t < steps; t++) {
            order.batch(t, b);
            for (int j = 0; j < B; j++) rows[t * B + j] = b[j];
        }
        Npy.writeInt64(dir.resolve(BATCH_ORDER), new int[] {steps, B}, rows);
    }

    /**
     * Writes weights as an init directory (W_Q, W_K, W_V, w_O): one head as [m_k, d], [m_v, d], [m_v],
     * as before heads existed; H > 1 heads as [H, m_k, d], [H, m_v, d], [H, m_v]. Creates {@code dir}
     * if needed.
     */
    public static void saveWeights(Path dir, Weights w) throws IOException {
        Files.createDirectories(dir);
        Npy.write(dir.resolve(W_Q), headed(w, w.mk(), w.d()), w.WQ());
        Npy.write(dir.resolve(W_K), headed(w, w.mk(), w.d()), w.WK());
        Npy.write(dir.resolve(W_V), headed(w, w.mv(), w.d()), w.WV());
        Npy.write(dir.resolve(W_O), headed(w, w.mv()), w.wO());
    }

    /** A weight's shape, with the head axis H in front when there is more than one head. */
    private static int[] headed(Weights w, int... shape) {
        if (w.heads() == 1) return shape;
        int[] s = new int[shape.length + 1];
        s[0] = w.heads();
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    /**
     * The weights of an init directory, their m_k and m_v taken from W_Q and W_V; d from W_Q, which
     * must equal {@code d} when that is not −1 (the data's).
     */
    private static Weights readWeights(Path dir, int d, java.security.MessageDigest md) throws IOException {
        Path wq = required(dir, W_Q, INIT_NEEDS), wk = required(dir, W_K, INIT_NEEDS);
        Path wv = required(dir, W_V, INIT_NEEDS), wo = required(dir, W_O, INIT_NEEDS);
        int[] q = Npy.readShape(wq);
        // [m_k, d] is one head (the files of before heads); [H, m_k, d] is H heads.
        if (q.length != 2 && q.length != 3) {
            throw new IllegalArgumentException(wq + ": shape " + Npy.shapeText(q) + " but expected (m_k, d) or (H, m_k, d)");
        }
        boolean stacked = q.length == 3;
        int H = stacked ? q[0] : 1;
        if (H < 1) throw new IllegalArgumentException(wq + ": shape " + Npy.shapeText(q) + " but H must be at least 1");
        int mk = q[q.length - 2];
        if (d >= 0 && q[q.length - 1] != d) {
            throw new IllegalArgumentException(wq + ": shape " + Npy.shapeText(q) + " but expected " + (stacked ? "(H, m_k, d) = (H, m_k, " : "(m_k, d) = (m_k, ")
                    + d + ") to match the data dir's d = " + d);
        }
        d = q[q.length - 1];
        String match = " to match " + W_Q + " " + Npy.shapeText(q);
        String qkText = stacked ? "(H, m_k, d)" : "(m_k, d)";
        checkShape(wk, qkText, stacked ? new int[] {H, mk, d} : new int[] {mk, d}, match);
        int[] v = Npy.readShape(wv);
        if (v.length != q.length || v[v.length - 1] != d || (stacked && v[0] != H)) {
            throw new IllegalArgumentException(wv + ": shape " + Npy.shapeText(v) + " but expected "
                    + (stacked ? "(H, m_v, d) = (" + H + ", m_v, " + d + ")" : "(m_v, d) = (m_v, " + d + ")") + match);
        }
        int mv = v[v.length - 2];
        checkShape(wo, stacked ? "(H, m_v)" : "(m_v,)", stacked ? new int[] {H, mv} : new int[] {mv}, " to match " + W_V + " " + Npy.shapeText(v));
        if (!stacked) {
            return new Weights(d, mk, mv, readFinite(wq, "(m_k, d)", md, mk, d), readFinite(wk, "(m_k, d)", md, mk, d),
                    readFinite(wv, "(m_v, d)", md, mv, d), readFinite(wo, "(m_v,)", md, mv));
        }
        return new Weights(d, mk, mv, H, readFinite(wq, qkText, md, H, mk, d), readFinite(wk, qkText, md, H, mk, d),
                readFinite(wv, "(H, m_v, d)", md, H, mv, d), readFinite(wo, "(H, m_v)", md, H, mv));
    }

    /** One split: samples [n, M, d], observed labels [n] and true labels [n] (default: observed). */
    private static TokenSet readSet(Path dir, String xName, String yName, String cleanName, String nName, int n, Shape s,
                                    java.security.MessageDigest md) throws IOException {
        double[] x = readFinite(dir.resolve(xName), "(" + nName + ", M, d)", md, n, s.M(), s.d());
        int[] y = readLabels(dir.resolve(yName), nName, n, md);
        Path clean = optional(dir, cleanName);
        int[] yClean = clean != null ? readLabels(clean, nName, n, md) : y.clone();
        return TokenSet.fromDense(n, s.M(), s.d(), x, y, yClean);
    }

    private static void saveSet(Path dir, String xName, String yName, String cleanName, TokenSet set) throws IOException {
        Npy.write(dir.resolve(xName), new int[] {set.N(), set.M(), set.d()}, set.dense());
        Npy.write(dir.resolve(yName), new int[] {set.N()}, Arrays.stream(set.y()).asDoubleStream().toArray());
        Npy.write(dir.resolve(cleanName), new int[] {set.N()}, Arrays.stream(set.yClean()).asDoubleStream().toArray());
    }

    /** Token 0 (the signal token) of the first training sample whose true label is {@code label}. */
    private static double[] signalToken(TokenSet train, int label, Path labels) {
        for (int n = 0; n < train.N(); n++) {
            if (train.yClean()[n] == label) {
                int j = train.token(n, 0);
                return Arrays.copyOfRange(train.tokens(), j * train.d(), (j + 1) * train.d());
            }
        }
        String sign = label > 0 ? "+" : "-";
        throw new IllegalArgumentException(labels + ": no training sample has label " + sign + "1, so mu" + sign
                + " cannot be taken from its signal token: add " + MU + " [2, d] (mu+, mu-)");
    }

    /** Labels [n] that are exactly +1 or −1, as ints. */
    private static int[] readLabels(Path file, String nName, int n, java.security.MessageDigest md) throws IOException {
        double[] v = read(file, "(" + nName + ",)", md, n);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            if (v[i] != 1 && v[i] != -1) {
                String shown = v[i] == Math.rint(v[i]) && Math.abs(v[i]) < 1e15 ? Long.toString((long) v[i]) : Double.toString(v[i]);
                throw new IllegalArgumentException(file + ": label at index " + i + " is " + shown
                        + " but labels must be +1 or -1 (0/1 labels: save 2*y - 1)");
            }
            y[i] = (int) v[i];
        }
        return y;
    }

    /** {@link #read}, refusing NaN and ±∞ (they would only show up later as a diverged run). */
    private static double[] readFinite(Path file, String dims, java.security.MessageDigest md, int... shape) throws IOException {
        double[] v = read(file, dims, md, shape);
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                throw new IllegalArgumentException(file + ": value at flat index " + i + " is " + v[i] + " but every value must be finite");
            }
        }
        return v;
    }

    /**
     * The values of a file whose shape must be {@code shape}, named {@code dims} in errors; its
     * name, shape and values go into {@code md}.
     */
    private static double[] read(Path file, String dims, java.security.MessageDigest md, int... shape) throws IOException {
        NpyArray a = Npy.read(file);
        checkShape(file, a.shape(), dims, shape, "");
        md.update(file.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md.update(Npy.shapeText(a.shape()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        // The values' big-endian float64 bytes, 4096 at a time through a bulk put (not one putDouble each).
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 * 4096);
        double[] v = a.data();
        for (int i = 0; i < v.length; i += 4096) {
            int n = Math.min(v.length - i, 4096);
            b.clear();
            b.asDoubleBuffer().put(v, i, n);
            md.update(b.limit(n * Double.BYTES));
        }
        return v;
    }

    private static void checkShape(Path file, String dims, int[] expected, String why) throws IOException {
        checkShape(file, Npy.readShape(file), dims, expected, why);
    }

    private static void checkShapeIfPresent(Path dir, String name, String dims, int[] expected, String why) throws IOException {
        Path f = optional(dir, name);
        if (f != null) checkShape(f, dims, expected, why);
    }

    private static void checkShape(Path file, int[] actual, String dims, int[] expected, String why) {
        if (!Arrays.equals(actual, expected)) {
            throw new IllegalArgumentException(file + ": shape " + Npy.shapeText(actual) + " but expected " + dims + " = "
                    + Npy.shapeText(expected) + why);
        }
    }

    private static Path required(Path dir, String name, String needs) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": no such directory (" + needs + ")");
        Path f = optional(dir, name);
        if (f == null) throw new IllegalArgumentException(dir.resolve(name) + ": no such file (" + needs + ")");
        return f;
    }

    /** {@code dir/name} when it exists, null when it does not; refuses one that is not a regular file. */
    private static Path optional(Path dir, String name) {
        Path f = dir.resolve(name);
        if (!Files.exists(f)) return null;
        if (!Files.isRegularFile(f)) throw new IllegalArgumentException(f + ": not a regular file (a directory?); expected an NPY file");
        return f;
    }

    /**
     * Token j's norm, scaled by its largest entry so that it is finite for every finite token (the
     * sum of squares of a token holding 1e200 overflows: the refusal named "norm Infinity").
     */
    private static double norm(TokenSet t, int j) {
        double big = 0, sq = 0;
        for (int i = 0; i < t.d(); i++) big = Math.max(big, Math.abs(t.at(j, i)));
        if (big == 0) return 0;
        for (int i = 0; i < t.d(); i++) sq += (t.at(j, i) / big) * (t.at(j, i) / big);
        return big * Math.sqrt(sq);
    }
}
