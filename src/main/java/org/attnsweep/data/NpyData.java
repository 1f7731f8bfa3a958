package org.attnsweep.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.Weights;

/**
 * A run's data and initial weights as directories of .npy files (read and written with
 * {@link Npy}), for the CLI's data and init directory options.
 *
 * <p>A data directory holds
 * <ul>
 * <li>{@code train_x.npy} [N, M, d] and {@code test_x.npy} [N_test, M, d]: the samples, C order,
 *     float32 or float64; token 0 of each sample is its signal token (SPEC §1);</li>
 * <li>{@code train_y.npy} [N] and {@code test_y.npy} [N_test]: the observed labels y, exactly
 *     +1 or −1, float or signed integer;</li>
 * <li>optionally {@code train_y_clean.npy} [N] and {@code test_y_clean.npy} [N_test]: the true
 *     labels ỹ; by default ỹ = y (no label noise);</li>
 * <li>optionally {@code mu.npy} [2, d]: μ₊ then μ₋, the probes of the v_signal and qk_ss metrics;
 *     by default μ₊ (μ₋) is token 0 of the first training sample whose true label is +1 (−1),
 *     which is the signal token where the data follows SPEC §1.</li>
 * </ul>
 * An init directory holds {@code W_Q.npy} [m_k, d], {@code W_K.npy} [m_k, d], {@code W_V.npy}
 * [m_v, d] and {@code w_O.npy} [m_v], row-major (q = W_Q x).
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
     * validates the config and calls {@link #load}.
     *
     * @throws IllegalArgumentException when a required file is missing, a file is not an NPY file
     *                                  we read, or two files disagree on a size
     */
    public static Shape shapeOf(Path dataDir) throws IOException {
        Path trainX = required(dataDir, TRAIN_X, DATA_NEEDS);
        int[] x = Npy.readShape(trainX);
        if (x.length != 3) throw new IllegalArgumentException(trainX + ": shape " + Npy.shapeText(x) + " but expected 3 dimensions (N, M, d)");
        int N = x[0], M = x[1], d = x[2];
        String match = " to match " + TRAIN_X + " " + Npy.shapeText(x);

        Path testX = required(dataDir, TEST_X, DATA_NEEDS);
        int[] t = Npy.readShape(testX);
        if (t.length != 3 || t[1] != M || t[2] != d) {
            throw new IllegalArgumentException(testX + ": shape " + Npy.shapeText(t) + " but expected (N_test, M, d) = (N_test, "
                    + M + ", " + d + ")" + match);
        }
        int testN = t[0];
        checkShape(required(dataDir, TRAIN_Y, DATA_NEEDS), "(N,)", new int[] {N}, match);
        checkShape(required(dataDir, TEST_Y, DATA_NEEDS), "(N_test,)", new int[] {testN}, match);
        checkShapeIfPresent(dataDir.resolve(TRAIN_Y_CLEAN), "(N,)", new int[] {N}, match);
        checkShapeIfPresent(dataDir.resolve(TEST_Y_CLEAN), "(N_test,)", new int[] {testN}, match);
        checkShapeIfPresent(dataDir.resolve(MU), "(2, d)", new int[] {2, d}, match);
        return new Shape(N, M, d, testN);
    }

    /**
     * A run's inputs: data from {@code dataDir} when given, else {@link DataFactory#generate};
     * initial weights from {@code initDir} when given, else {@link DataFactory#initialWeights}.
     * With a data directory the config's N, M, d and test N must equal the directory's
     * ({@link #shapeOf}), and its data options (σ, ‖μ‖, p, label mode) go unused. Tokens that
     * are equal bit for bit are stored once ({@link TokenSet#fromDense}). The weights are read and
     * checked first and drawn last, so a bad directory is reported before any costly work.
     *
     * @param dataDir a data directory (see the class doc), or null to generate the data
     * @param initDir an init directory (see the class doc), or null to draw the weights
     * @param config  the run; its d, m_k, m_v size the weights
     * @throws IllegalArgumentException when a file is missing or malformed, a shape disagrees with
     *                                  another file or with the config, a value is not finite or a
     *                                  label is not ±1
     */
    public static RunData load(Path dataDir, Path initDir, RunConfig config) throws IOException {
        Weights read = initDir == null ? null : readWeights(initDir, config);
        if (dataDir == null) {
            RunData g = DataFactory.generate(config);
            return read == null ? g : new RunData(config, g.train(), g.test(), g.muPos(), g.muNeg(), read);
        }
        Shape s = shapeOf(dataDir);
        if (s.N() != config.N() || s.M() != config.M() || s.d() != config.d() || s.testN() != config.testN()) {
            throw new IllegalArgumentException("data dir " + dataDir + " holds N=" + s.N() + ", M=" + s.M() + ", d=" + s.d()
                    + ", N_test=" + s.testN() + " (" + TRAIN_X + ", " + TEST_X + ") but the run asks for N=" + config.N()
                    + ", M=" + config.M() + ", d=" + config.d() + ", N_test=" + config.testN());
        }
        TokenSet train = readSet(dataDir, TRAIN_X, TRAIN_Y, TRAIN_Y_CLEAN, "N", s.N(), s);
        TokenSet test = readSet(dataDir, TEST_X, TEST_Y, TEST_Y_CLEAN, "N_test", s.testN(), s);
        double[] muPos, muNeg;
        Path mu = dataDir.resolve(MU);
        if (Files.exists(mu)) {
            double[] both = readFinite(mu, "(2, d)", 2, s.d());
            muPos = Arrays.copyOfRange(both, 0, s.d());
            muNeg = Arrays.copyOfRange(both, s.d(), 2 * s.d());
        } else {
            Path labels = Files.exists(dataDir.resolve(TRAIN_Y_CLEAN)) ? dataDir.resolve(TRAIN_Y_CLEAN) : dataDir.resolve(TRAIN_Y);
            muPos = signalToken(train, +1, labels);
            muNeg = signalToken(train, -1, labels);
        }
        return new RunData(config, train, test, muPos, muNeg, read == null ? DataFactory.initialWeights(config) : read);
    }

    /**
     * Writes a run's data as a data directory (all seven files, true labels and μ included), so
     * {@link #load} reads back the same samples, labels and signals. Creates {@code dir} if needed.
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

    /** Writes weights as an init directory (W_Q, W_K, W_V, w_O). Creates {@code dir} if needed. */
    public static void saveWeights(Path dir, Weights w) throws IOException {
        Files.createDirectories(dir);
        Npy.write(dir.resolve(W_Q), new int[] {w.mk(), w.d()}, w.WQ());
        Npy.write(dir.resolve(W_K), new int[] {w.mk(), w.d()}, w.WK());
        Npy.write(dir.resolve(W_V), new int[] {w.mv(), w.d()}, w.WV());
        Npy.write(dir.resolve(W_O), new int[] {w.mv()}, w.wO());
    }

    private static Weights readWeights(Path dir, RunConfig c) throws IOException {
        int d = c.d(), mk = c.mk(), mv = c.mv();
        return new Weights(d, mk, mv,
                readFinite(required(dir, W_Q, INIT_NEEDS), "(m_k, d)", mk, d),
                readFinite(required(dir, W_K, INIT_NEEDS), "(m_k, d)", mk, d),
                readFinite(required(dir, W_V, INIT_NEEDS), "(m_v, d)", mv, d),
                readFinite(required(dir, W_O, INIT_NEEDS), "(m_v,)", mv));
    }

    /** One split: samples [n, M, d], observed labels [n] and true labels [n] (default: observed). */
    private static TokenSet readSet(Path dir, String xName, String yName, String cleanName, String nName, int n, Shape s)
            throws IOException {
        double[] x = readFinite(dir.resolve(xName), "(" + nName + ", M, d)", n, s.M(), s.d());
        int[] y = readLabels(dir.resolve(yName), nName, n);
        Path clean = dir.resolve(cleanName);
        int[] yClean = Files.exists(clean) ? readLabels(clean, nName, n) : y.clone();
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
    private static int[] readLabels(Path file, String nName, int n) throws IOException {
        double[] v = read(file, "(" + nName + ",)", n);
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
    private static double[] readFinite(Path file, String dims, int... shape) throws IOException {
        double[] v = read(file, dims, shape);
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                throw new IllegalArgumentException(file + ": value at flat index " + i + " is " + v[i] + " but every value must be finite");
            }
        }
        return v;
    }

    /** The values of a file whose shape must be {@code shape}, named {@code dims} in errors. */
    private static double[] read(Path file, String dims, int... shape) throws IOException {
        NpyArray a = Npy.read(file);
        checkShape(file, a.shape(), dims, shape, "");
        return a.data();
    }

    private static void checkShape(Path file, String dims, int[] expected, String why) throws IOException {
        checkShape(file, Npy.readShape(file), dims, expected, why);
    }

    private static void checkShapeIfPresent(Path file, String dims, int[] expected, String why) throws IOException {
        if (Files.exists(file)) checkShape(file, dims, expected, why);
    }

    private static void checkShape(Path file, int[] actual, String dims, int[] expected, String why) {
        if (!Arrays.equals(actual, expected)) {
            throw new IllegalArgumentException(file + ": shape " + Npy.shapeText(actual) + " but expected " + dims + " = "
                    + Npy.shapeText(expected) + why);
        }
    }

    private static Path required(Path dir, String name, String needs) {
        Path f = dir.resolve(name);
        if (!Files.isRegularFile(f)) throw new IllegalArgumentException(f + ": no such file (" + needs + ")");
        return f;
    }
}
