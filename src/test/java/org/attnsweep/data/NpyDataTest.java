package org.attnsweep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.attnsweep.Fixtures;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.Weights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** {@link NpyData}: directory round trips, a data directory numpy wrote, and every refusal. */
class NpyDataTest {
    private static final long SEED = 7L;
    // Small on purpose: N samples, M tokens, d dim, N_test, widths m_k, m_v.
    private static final int N = 8, M = 3, D = 6, TEST_N = 5, MK = 4, MV = 3;

    @TempDir
    Path dir;

    static RunConfig config(int n, int m, int d, int testN, double p) {
        return spec(n, m, d, testN, p).build(0);
    }

    /** N = n samples of m tokens in d dims, testN test samples, label noise p; m_k, m_v, ‖μ‖ = 3, σ = 1 and the seed fixed. */
    static RunSpec spec(int n, int m, int d, int testN, double p) {
        RunSpec s = Fixtures.shape(d, m, MK, MV, n);
        s.testN = testN;
        s.p = p;
        s.mu = 3;
        s.sigma = new double[m - 1];
        Arrays.fill(s.sigma, 1.0);
        s.seed = SEED;
        return s;
    }

    static long[] bits(double[] v) {
        return NpyTest.bits(v);
    }

    static void assertSameSet(TokenSet expected, TokenSet actual, String what) {
        assertArrayEquals(bits(expected.dense()), bits(actual.dense()), what + " samples, seed " + SEED);
        assertArrayEquals(expected.y(), actual.y(), what + " labels, seed " + SEED);
        assertArrayEquals(expected.yClean(), actual.yClean(), what + " true labels, seed " + SEED);
        assertEquals(expected.P(), actual.P(), what + " distinct tokens: the signal tokens are merged again");
    }

    static void assertSameWeights(Weights expected, Weights actual) {
        assertArrayEquals(bits(expected.WQ()), bits(actual.WQ()), "W_Q, seed " + SEED);
        assertArrayEquals(bits(expected.WK()), bits(actual.WK()), "W_K, seed " + SEED);
        assertArrayEquals(bits(expected.WV()), bits(actual.WV()), "W_V, seed " + SEED);
        assertArrayEquals(bits(expected.wO()), bits(actual.wO()), "w_O, seed " + SEED);
    }

    @Test
    void saveDataThenLoadGivesTheSameRun() throws IOException {
        RunConfig c = config(N, M, D, TEST_N, 0.4);
        RunData run = DataFactory.generate(c);
        assertFalse(Arrays.equals(run.train().y(), run.train().yClean()), "the test needs flipped labels; seed " + SEED);
        NpyData.saveData(dir, run);
        assertEquals(new NpyData.Shape(N, M, D, TEST_N), NpyData.shapeOf(dir));

        RunData back = NpyData.read(dir, null).runData(c);
        assertSameSet(run.train(), back.train(), "train");
        assertSameSet(run.test(), back.test(), "test");
        assertArrayEquals(bits(run.muPos()), bits(back.muPos()));
        assertArrayEquals(bits(run.muNeg()), bits(back.muNeg()));
        assertSameWeights(run.init(), back.init());
    }

    @Test
    void defaultsTakeTrueLabelsFromObservedOnesAndMuFromSignalTokens() throws IOException {
        RunConfig clean = config(N, M, D, TEST_N, 0);
        RunData run = DataFactory.generate(clean);
        NpyData.saveData(dir, run);
        for (String optional : new String[] {"mu.npy", "train_y_clean.npy", "test_y_clean.npy"}) Files.delete(dir.resolve(optional));
        RunData back = NpyData.read(dir, null).runData(clean);
        assertSameSet(run.train(), back.train(), "train");
        assertSameSet(run.test(), back.test(), "test");
        assertArrayEquals(bits(run.muPos()), bits(back.muPos()), "mu+ is token 0 of the first sample labelled +1");
        assertArrayEquals(bits(run.muNeg()), bits(back.muNeg()), "mu- is token 0 of the first sample labelled -1");

        // With label noise the default μ follows the true labels, not the observed ones: flip the
        // observed label of sample 0 by hand, so the first sample observed with its label is another.
        Path noisyDir = dir.resolve("noisy");
        NpyData.saveData(noisyDir, run);
        Files.delete(noisyDir.resolve("mu.npy"));
        double[] flipped = Arrays.stream(run.train().y()).asDoubleStream().toArray();
        flipped[0] = -flipped[0];
        Npy.write(noisyDir.resolve("train_y.npy"), new int[] {N}, flipped);
        RunData noisyBack = NpyData.read(noisyDir, null).runData(clean);
        assertEquals(-run.train().yClean()[0], noisyBack.train().y()[0]);
        assertArrayEquals(run.train().yClean(), noisyBack.train().yClean());
        assertArrayEquals(bits(run.muPos()), bits(noisyBack.muPos()));
        assertArrayEquals(bits(run.muNeg()), bits(noisyBack.muNeg()));
    }

    /**
     * Heads (docs/math.md §7): one head is written as 2-D files [m_k, d], [m_k, d], [m_v, d], [m_v], as
     * before heads existed; H = 3 heads as [H, m_k, d], [H, m_k, d], [H, m_v, d], [H, m_v]; both read
     * back bit for bit, with their H, and a config of another H is refused naming both.
     */
    @Test
    void weightsOfOneAndThreeHeadsRoundTrip() throws IOException {
        for (int heads : new int[] {1, 3}) {
            RunSpec s = spec(N, M, D, TEST_N, 0);
            s.heads = heads;
            RunConfig c = s.build(0);
            RunData run = DataFactory.generate(c);
            assertEquals(heads, run.init().heads());
            Path init = dir.resolve("init" + heads);
            NpyData.saveWeights(init, run.init());
            int[] lead = heads == 1 ? new int[0] : new int[] {heads};
            assertArrayEquals(concat(lead, MK, D), Npy.readShape(init.resolve("W_Q.npy")), "W_Q shape, H=" + heads);
            assertArrayEquals(concat(lead, MK, D), Npy.readShape(init.resolve("W_K.npy")), "W_K shape, H=" + heads);
            assertArrayEquals(concat(lead, MV, D), Npy.readShape(init.resolve("W_V.npy")), "W_V shape, H=" + heads);
            assertArrayEquals(concat(lead, MV), Npy.readShape(init.resolve("w_O.npy")), "w_O shape, H=" + heads);
            NpyData.Inputs in = NpyData.read(null, init);
            assertEquals(heads, in.init().heads());
            assertSameWeights(run.init(), in.runData(c).init());
            s.heads = heads == 1 ? 2 : 1;
            RunConfig other = s.build(0);
            assertMessage("the init dir holds H=" + heads + ", d=" + D + ", m_k=" + MK + ", m_v=" + MV + " (W_Q.npy, W_V.npy) but the run"
                    + " asks for H=" + other.heads() + ", d=" + D + ", m_k=" + MK + ", m_v=" + MV, () -> in.runData(other));
        }
        // Head 0 of a multi-head run is the one-head run's W(0): the option adds heads, it changes none.
        RunData one = DataFactory.generate(config(N, M, D, TEST_N, 0));
        RunSpec s3 = spec(N, M, D, TEST_N, 0);
        s3.heads = 3;
        Weights three = DataFactory.generate(s3.build(0)).init();
        assertSameWeights(one.init(), three.head(0));
        assertFalse(Arrays.equals(three.head(1).WQ(), three.head(0).WQ()), "head 1 draws from its own stream");
    }

    private static int[] concat(int[] lead, int... rest) {
        int[] out = Arrays.copyOf(lead, lead.length + rest.length);
        System.arraycopy(rest, 0, out, lead.length, rest.length);
        return out;
    }

    @Test
    void saveWeightsThenLoadWithAndWithoutData() throws IOException {
        RunConfig c = config(N, M, D, TEST_N, 0.1);
        RunData run = DataFactory.generate(c);
        // Weights other than the ones the config would draw, so loading them is visible.
        Random r = new Random(SEED);
        Weights w = new Weights(D, MK, MV, r.doubles(MK * D, -1, 1).toArray(), r.doubles(MK * D, -1, 1).toArray(),
                r.doubles(MV * D, -1, 1).toArray(), r.doubles(MV, -1, 1).toArray());
        Path init = dir.resolve("init"), data = dir.resolve("data");
        NpyData.saveWeights(init, w);
        NpyData.saveData(data, run);

        RunData generated = NpyData.read(null, init).runData(c);
        assertSameWeights(w, generated.init());
        assertSameSet(run.train(), generated.train(), "generated train");
        assertSameSet(run.test(), generated.test(), "generated test");

        RunData loaded = NpyData.read(data, init).runData(c);
        assertSameWeights(w, loaded.init());
        assertSameSet(run.train(), loaded.train(), "loaded train");

        assertSameWeights(run.init(), NpyData.read(null, null).runData(c).init());
    }

    @Test
    void loadsADataDirectoryWrittenByNumpy() throws IOException {
        // make_fixtures.py: float32 tokens, int64 labels; mu+ = 3 e_1, mu- = 3 e_2; noise (k - 20) / 8.
        Path numpyDir = NpyTest.fixture("data/train_x.npy").getParent();
        assertEquals(new NpyData.Shape(4, 3, 5, 2), NpyData.shapeOf(numpyDir));
        RunData run = NpyData.read(numpyDir, null).runData(config(4, 3, 5, 2, 0));
        assertArrayEquals(new int[] {1, -1, -1, 1}, run.train().y());
        assertArrayEquals(new int[] {1, -1, -1, 1}, run.train().yClean());
        assertArrayEquals(new int[] {-1, 1}, run.test().y());
        assertArrayEquals(new double[] {3, 0, 0, 0, 0}, run.muPos());
        assertArrayEquals(new double[] {0, 3, 0, 0, 0}, run.muNeg());
        assertEquals(2 + 4 * 2, run.train().P(), "the repeated signal tokens are stored once");
        assertEquals(2 + 2 * 2, run.test().P());
        int[] trainY = run.train().y(), testY = run.test().y();
        checkNumpySamples(run.train().dense(), trainY, 0, run);
        checkNumpySamples(run.test().dense(), testY, 100, run);
    }

    private static void checkNumpySamples(double[] x, int[] y, int offset, RunData run) {
        int m = 3, d = 5;
        for (int n = 0; n < y.length; n++) {
            double[] signal = y[n] > 0 ? run.muPos() : run.muNeg();
            for (int i = 0; i < d; i++) assertEquals(signal[i], x[(n * m) * d + i], "signal token of sample " + n);
            for (int l = 1; l < m; l++) {
                for (int i = 0; i < d; i++) {
                    double k = (n * (m - 1) + (l - 1)) * d + i;
                    assertEquals((k + offset - 20) / 8, x[(n * m + l) * d + i], "sample " + n + " token " + l + " coordinate " + i);
                }
            }
        }
    }

    // ---- refusals: each names the file and what was expected -------------------------------

    private RunConfig savedRun() throws IOException {
        RunConfig c = config(N, M, D, TEST_N, 0.1);
        NpyData.saveData(dir, DataFactory.generate(c));
        return c;
    }

    private static void assertMessage(String expected, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(expected, e.getMessage());
    }

    @Test
    void refusesLabelsThatDisagreeWithTrainX() throws IOException {
        RunConfig c = savedRun();
        Path y = dir.resolve("train_y.npy");
        Npy.write(y, new int[] {N - 1}, new double[N - 1]);
        String expected = y + ": shape (7,) but expected (N,) = (8,) to match train_x.npy (8, 3, 6)";
        assertMessage(expected, () -> NpyData.shapeOf(dir));
        assertMessage(expected, () -> NpyData.read(dir, null).runData(c));
    }

    @Test
    void refusesTestSamplesOfAnotherShapeAndABadMu() throws IOException {
        RunConfig c = savedRun();
        Path testX = dir.resolve("test_x.npy");
        Npy.write(testX, new int[] {TEST_N, M + 1, D}, new double[TEST_N * (M + 1) * D]);
        assertMessage(testX + ": shape (5, 4, 6) but expected (N_test, M, d) = (N_test, 3, 6) to match train_x.npy (8, 3, 6)",
                () -> NpyData.read(dir, null).runData(c));

        savedRun();
        Path mu = dir.resolve("mu.npy");
        Npy.write(mu, new int[] {D}, new double[D]);
        assertMessage(mu + ": shape (6,) but expected (2, d) = (2, 6) to match train_x.npy (8, 3, 6)", () -> NpyData.read(dir, null).runData(c));

        Path trainX = dir.resolve("train_x.npy");
        Npy.write(trainX, new int[] {N, M * D}, new double[N * M * D]);
        assertMessage(trainX + ": shape (8, 18) but expected 3 dimensions (N, M, d)", () -> NpyData.shapeOf(dir));

        // Empty arrays are named by file (they were refused as "--test-n must be a positive integer: got 0").
        savedRun();
        Npy.write(testX, new int[] {0, M, D}, new double[0]);
        Npy.write(dir.resolve("test_y.npy"), new int[] {0}, new double[0]);
        assertMessage(testX + ": shape (0, 3, 6) holds no test samples: N_test must be at least 1", () -> NpyData.shapeOf(dir));
        Npy.write(trainX, new int[] {N, M, 0}, new double[0]);
        assertMessage(trainX + ": shape (8, 3, 0) is empty: N, M and d must each be at least 1", () -> NpyData.shapeOf(dir));
    }

    @Test
    void refusesLabelsOtherThanPlusOrMinusOne() throws IOException {
        RunConfig c = savedRun();
        Path y = dir.resolve("train_y.npy");
        double[] labels = {1, -1, 0, 1, 1, -1, -1, 1};
        Npy.write(y, new int[] {N}, labels);
        assertMessage(y + ": label at index 2 is 0 but labels must be +1 or -1 (0/1 labels: save 2*y - 1)", () -> NpyData.read(dir, null).runData(c));
        labels[2] = -1;
        labels[5] = 0.5;
        Npy.write(y, new int[] {N}, labels);
        assertMessage(y + ": label at index 5 is 0.5 but labels must be +1 or -1 (0/1 labels: save 2*y - 1)", () -> NpyData.read(dir, null).runData(c));
        Path clean = dir.resolve("test_y_clean.npy");
        Npy.write(clean, new int[] {TEST_N}, new double[] {1, -1, 1, 2, 1});
        Npy.write(y, new int[] {N}, new double[] {1, -1, 1, -1, 1, -1, 1, -1});
        assertMessage(clean + ": label at index 3 is 2 but labels must be +1 or -1 (0/1 labels: save 2*y - 1)", () -> NpyData.read(dir, null).runData(c));
    }

    @Test
    void refusesWeightsOfTheWrongShape() throws IOException {
        RunConfig c = config(N, M, D, TEST_N, 0);
        Path init = dir.resolve("init");
        NpyData.saveWeights(init, DataFactory.initialWeights(c));
        Path wq = init.resolve("W_Q.npy");
        Npy.write(wq, new int[] {MK - 1, D}, new double[(MK - 1) * D]);
        // m_k comes from W_Q: W_K must agree with it, and a config of another m_k is refused naming both.
        assertMessage(init.resolve("W_K.npy") + ": shape (4, 6) but expected (m_k, d) = (3, 6) to match W_Q.npy (3, 6)",
                () -> NpyData.read(null, init));
        Npy.write(init.resolve("W_K.npy"), new int[] {MK - 1, D}, new double[(MK - 1) * D]);
        assertMessage("the init dir holds d=6, m_k=3, m_v=3 (W_Q.npy, W_V.npy) but the run asks for d=6, m_k=4, m_v=3",
                () -> NpyData.read(null, init).runData(c));

        NpyData.saveWeights(init, DataFactory.initialWeights(c));
        Path wo = init.resolve("w_O.npy");
        Npy.write(wo, new int[] {1, MV}, new double[MV]);
        assertMessage(wo + ": shape (1, 3) but expected (m_v,) = (3,) to match W_V.npy (3, 6)", () -> NpyData.read(null, init).runData(c));

        Files.delete(init.resolve("W_V.npy"));
        assertMessage(init.resolve("W_V.npy") + ": no such file (an init dir needs W_Q.npy, W_K.npy, W_V.npy, w_O.npy)",
                () -> NpyData.read(null, init).runData(c));
    }

    @Test
    void refusesADirectoryThatDisagreesWithTheConfigOrMissesAFile() throws IOException {
        savedRun();
        RunConfig other = config(N + 2, M, D, TEST_N, 0.1);
        assertMessage("the data dir holds N=8, M=3, d=6, N_test=5 (train_x.npy, test_x.npy) but the run asks for"
                + " N=10, M=3, d=6, N_test=5", () -> NpyData.read(dir, null).runData(other));
        Files.delete(dir.resolve("test_y.npy"));
        assertMessage(dir.resolve("test_y.npy") + ": no such file (a data dir needs train_x.npy, train_y.npy, test_x.npy, test_y.npy)",
                () -> NpyData.shapeOf(dir));
    }

    @Test
    void refusesNonFiniteValuesNonNpyFilesAndAMissingSignal() throws IOException {
        RunConfig c = savedRun();
        Path x = dir.resolve("train_x.npy");
        double[] values = new double[N * M * D];
        values[17] = Double.NaN;
        Npy.write(x, new int[] {N, M, D}, values);
        assertMessage(x + ": value at flat index 17 is NaN but every value must be finite", () -> NpyData.read(dir, null).runData(c));

        Files.writeString(x, "not numpy");
        assertMessage(x + ": not an NPY file (bad magic)", () -> NpyData.read(dir, null).runData(c));

        savedRun();
        for (String optional : new String[] {"mu.npy", "train_y_clean.npy"}) Files.delete(dir.resolve(optional));
        Path y = dir.resolve("train_y.npy");
        double[] allMinus = new double[N];
        Arrays.fill(allMinus, -1);
        Npy.write(y, new int[] {N}, allMinus);
        assertMessage(y + ": no training sample has label +1, so mu+ cannot be taken from its signal token: add mu.npy [2, d] (mu+, mu-)",
                () -> NpyData.read(dir, null).runData(c));
    }

    /** m_k, m_v and d come from the weights; the data's d must agree with W_Q's. */
    @Test
    void initDirectoriesGiveTheirShapes() throws IOException {
        RunConfig c = config(N, M, D, TEST_N, 0);
        Path init = dir.resolve("init"), data = dir.resolve("data");
        NpyData.saveWeights(init, DataFactory.initialWeights(c));
        NpyData.Inputs in = NpyData.read(null, init);
        assertEquals(List.of(D, MK, MV), List.of(in.init().d(), in.init().mk(), in.init().mv()));
        RunConfig wide = config(N, M, D + 1, TEST_N, 0);
        NpyData.saveData(data, DataFactory.generate(wide));
        assertMessage(init.resolve("W_Q.npy") + ": shape (4, 6) but expected (m_k, d) = (m_k, 7) to match the data dir's d = 7",
                () -> NpyData.read(data, init));
    }

    /**
     * The fingerprint is SHA-256 over each file read, in reading order, of its name, its shape as
     * Python prints it and its values as big-endian float64, first 8 bytes in hex: computed here
     * value by value with a DataOutputStream, so stored fingerprints stay comparable.
     */
    @Test
    void fingerprintIsSha256OfNamesShapesAndBigEndianValues() throws Exception {
        savedRun();
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        for (String name : List.of("train_x.npy", "train_y.npy", "train_y_clean.npy", "test_x.npy", "test_y.npy", "test_y_clean.npy", "mu.npy")) {
            NpyArray a = Npy.read(dir.resolve(name));
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
            out.write(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.write(Npy.shapeText(a.shape()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (double v : a.data()) out.writeDouble(v);
            md.update(bytes.toByteArray());
        }
        assertEquals(java.util.HexFormat.of().formatHex(md.digest(), 0, 8), NpyData.read(dir, null).fingerprint());
    }

    /**
     * Only the files a data directory names are read: a stray file of garbage called .npy is
     * never opened, a directory where a file belongs is refused naming its path, and the
     * fingerprint follows the values read, not the files beside them.
     */
    @Test
    void readsOnlyTheNamedFilesAndFingerprintsTheirValues() throws IOException {
        RunConfig c = savedRun();
        String before = NpyData.read(dir, null).fingerprint();
        Files.writeString(dir.resolve("stray.npy"), "garbage, never read");
        Files.createDirectory(dir.resolve("x.npy"));
        assertEquals(before, NpyData.read(dir, null).fingerprint());
        assertEquals(16, before.length());

        double[] y = Arrays.stream(DataFactory.generate(c).train().y()).asDoubleStream().toArray();
        y[0] = -y[0];
        Npy.write(dir.resolve("train_y.npy"), new int[] {N}, y);
        assertFalse(before.equals(NpyData.read(dir, null).fingerprint()), "a changed label changes the fingerprint");

        Files.delete(dir.resolve("mu.npy"));
        Files.createDirectory(dir.resolve("mu.npy"));
        assertMessage(dir.resolve("mu.npy") + ": not a regular file (a directory?); expected an NPY file", () -> NpyData.read(dir, null));
        Files.delete(dir.resolve("mu.npy"));
        Files.delete(dir.resolve("train_x.npy"));
        Files.createDirectory(dir.resolve("train_x.npy"));
        assertMessage(dir.resolve("train_x.npy") + ": not a regular file (a directory?); expected an NPY file", () -> NpyData.read(dir, null));
        Path none = dir.resolve("none");
        assertMessage(none + ": no such directory (a data dir needs train_x.npy, train_y.npy, test_x.npy, test_y.npy)",
                () -> NpyData.read(none, null));
    }

    /** A header that declares more than the heap holds is refused before the array is allocated. */
    @Test
    void refusesAnArrayLargerThanTheHeapBeforeAllocating() throws IOException {
        Path big = dir.resolve("big.npy");
        Npy.write(big, new int[] {1}, new double[1]);
        byte[] header = Arrays.copyOf(Files.readAllBytes(big), 128);
        long n = Math.max(Runtime.getRuntime().maxMemory() / 8 + 1, 1 << 20);
        // Rewrite the shape to (n,) and extend the file sparsely to exactly the declared size.
        String text = new String(header, 10, 118, java.nio.charset.StandardCharsets.ISO_8859_1).replace("(1,)", "(" + n + ",)");
        text = text.substring(0, 117).stripTrailing();
        text = text + " ".repeat(117 - text.length()) + "\n";
        System.arraycopy(text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, header, 10, 118);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(0);
            f.write(header);
            f.setLength(128 + 8 * n);
        }
        String msg = assertThrows(IllegalArgumentException.class, () -> Npy.read(big)).getMessage();
        assertTrue(msg.startsWith(big + ": shape (" + n + ",) is ") && msg.contains("MiB as float64, but the heap has only"), msg);
        Files.delete(big);
    }
}
