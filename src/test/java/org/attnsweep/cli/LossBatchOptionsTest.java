package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.attnsweep.cli.TrainCommandTest.small;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.attnsweep.Cli.Result;
import org.attnsweep.Fixtures;
import org.attnsweep.data.Npy;
import org.attnsweep.data.NpyArray;
import org.attnsweep.model.Loss;
import org.attnsweep.model.RunSpec;
import org.attnsweep.report.Figure;
import org.attnsweep.report.Figures;
import org.attnsweep.report.Results;
import org.attnsweep.sweep.PlannedRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * --loss and --batch-size end to end (docs/math.md §8): keys that change only off the defaults, the
 * logistic-loss columns, the stop rule in the run's own loss, batch_order.npy, an SGD run replayed
 * from its files by a plain float64 re-implementation, and the loss-phase and sgd-phase presets at
 * reduced size with their figures and report sections.
 */
class LossBatchOptionsTest {

    @Test
    void keysChangeOnlyOffTheDefaults() {
        RunSpec s = new RunSpec();
        s.N = 40;
        String plain = PlannedRun.keyOf(s.build(0));
        RunSpec same = s.copy();
        same.set("loss", "logistic");
        same.set("batch-size", "40");   // B = N is full-batch GD: the same run
        assertEquals(plain, PlannedRun.keyOf(same.build(0)));
        String text = same.build(0).toString();
        assertFalse(text.contains("loss=") || text.contains("batchSize"), text);
        Set<String> keys = new HashSet<>(Set.of(plain));
        for (String[] kv : new String[][] {{"loss", "exponential"}, {"loss", "hinge"}, {"loss", "squared"}, {"batch-size", "1"},
                {"batch-size", "39"}}) {
            RunSpec t = s.copy();
            t.set(kv[0], kv[1]);
            assertTrue(keys.add(PlannedRun.keyOf(t.build(0))), kv[0] + " " + kv[1] + " must key its own run");
        }
        // A full-batch spec follows N; an explicit B stays.
        assertEquals(8, s.build(0).withN(8).batchSize());
        s.batchSize = 4;
        assertEquals(4, s.build(0).withN(8).batchSize());
    }

    /** Default runs: loss logistic, B = N, the logistic-loss columns equal to the loss columns (GoldenResultTest's null entries). */
    @Test
    void defaultRunsReportTheLogisticLossTwiceAndBatchSizeN(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("run");
        Result r = cli(small(out, "--repeats", "2", "--engine", "vector"));
        assertEquals(0, r.code(), r.err());
        for (String file : List.of("summary.csv", "metrics.csv")) {
            List<String> lines = Files.readAllLines(out.resolve(file));
            List<String> cols = List.of(lines.get(0).split(","));
            for (String row : lines.subList(1, lines.size())) {
                String[] v = row.split(",", -1);
                assertEquals(v[cols.indexOf("train_loss")], v[cols.indexOf("train_loss_logistic")], file + ": " + row);
                assertEquals(v[cols.indexOf("test_loss")], v[cols.indexOf("test_loss_logistic")], file + ": " + row);
                if (file.equals("summary.csv")) {
                    assertEquals("logistic", v[cols.indexOf("loss")]);
                    assertEquals(v[cols.indexOf("N")], v[cols.indexOf("batch_size")]);
                }
            }
        }
    }

    /** A hinge run stops at its target in the hinge loss, reports it, and the logistic loss beside it. */
    @Test
    void theTargetLossIsInTheRunsOwnLoss(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("hinge");
        Result r = cli(small(out, "--loss", "hinge", "--target-loss", "0.5", "--steps", "300", "--eval-every", "1", "--lr", "0.5",
                "--engine", "reference"));
        assertEquals(0, r.code(), r.err());
        JsonNode c = TrainCommandTest.firstConfig(out);
        assertEquals("HINGE", c.get("loss").asText());
        List<String> lines = Files.readAllLines(out.resolve("metrics.csv"));
        List<String> cols = List.of(lines.get(0).split(","));
        int loss = cols.indexOf("train_loss"), logistic = cols.indexOf("train_loss_logistic");
        boolean differ = false;
        for (int i = 1; i < lines.size(); i++) {
            String[] v = lines.get(i).split(",");
            double l = Double.parseDouble(v[loss]);
            assertEquals(i == lines.size() - 1, l < 0.5, "the run stops at the first hinge loss below 0.5: row " + i + " " + lines.get(i));
            differ |= !v[loss].equals(v[logistic]);
        }
        assertTrue(differ, "the logistic loss is reported beside the hinge loss");
        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        String[] row = summary.get(1).split(",");
        List<String> sc = List.of(summary.get(0).split(","));
        assertEquals("hinge", row[sc.indexOf("loss")]);
        assertEquals("true", row[sc.indexOf("reached_target")]);
    }

    @Test
    void batchOrderNpyHoldsEveryStepsSamplesEachEpochAPermutation(@TempDir Path tmp) throws IOException {
        for (int B : new int[] {4, 3, 1}) {
            Path data = tmp.resolve("data" + B);
            Result r = cli(small(tmp.resolve("run" + B), "--N", "8", "--batch-size", Integer.toString(B), "--steps", "20",
                    "--save-data", data.toString()));
            assertEquals(0, r.code(), r.err());
            Path file = data.resolve("batch_order.npy");
            String header = new String(Files.readAllBytes(file), 0, 128, StandardCharsets.US_ASCII);
            assertTrue(header.contains("'descr': '<i8'"), header);
            NpyArray a = Npy.read(file);
            assertArrayEquals(new int[] {20, B}, a.shape());
            int perEpoch = 8 / B;
            for (int e = 0; e * perEpoch < 20; e++) {
                Set<Integer> seen = new HashSet<>();
                for (int t = e * perEpoch; t < Math.min(20, (e + 1) * perEpoch); t++) {
                    for (int j = 0; j < B; j++) {
                        double n = a.data()[t * B + j];
                        assertTrue(n >= 0 && n < 8 && n == Math.rint(n), "sample index " + n);
                        assertTrue(seen.add((int) n), "epoch " + e + " takes sample " + n + " twice (B = " + B + ")");
                    }
                }
                if (B == 4 && (e + 1) * perEpoch <= 20) assertEquals(8, seen.size(), "epoch " + e + " is a permutation of the 8 samples");
            }
            // Every epoch draws its own permutation: the first two differ (8! orders).
            if (B == 4) assertNotEquals(List.of(a.data()[0], a.data()[1], a.data()[2], a.data()[3]),
                    List.of(a.data()[8], a.data()[9], a.data()[10], a.data()[11]));
        }
        // A full-batch run writes no order.
        Path data = tmp.resolve("dataN");
        assertEquals(0, cli(small(tmp.resolve("runN"), "--save-data", data.toString())).code());
        assertFalse(Files.exists(data.resolve("batch_order.npy")));
    }

    /**
     * Tolerances of the replay: both sides do float64 GD with the same formulas, summed in other
     * orders; 60 SGD steps of this well-conditioned problem move rounding differences of 1e-16 to
     * at most ~1e-13 (measured), so 1e-10 leaves a wide margin while any wrong sample, scale or
     * loss shows at 1e-3 or more.
     */
    private static final double REPLAY_ATOL = 1e-10, REPLAY_RTOL = 1e-10;

    /**
     * An SGD run's saved data, W(0) and batch_order.npy, replayed by the plain float64 GD below
     * (docs/math.md §3 and §8 written out again, reading the files with the project's NPY reader),
     * gives the run's training-loss curve and final weights.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"reference", "vector"})
    void anSgdRunReplaysFromItsBatchOrder(String engine, @TempDir Path tmp) throws IOException {
        long seed = Fixtures.seed();
        String[] common = {"--d", "12", "--M", "3", "--mk", "5", "--mv", "4", "--N", "10", "--batch-size", "3", "--loss", "squared",
                "--train-wo", "true", "--init", "theory", "--sigma0", "0.5", "--sigma-v", "0.5", "--sigma-o", "0.5", "--sigma", "0.4,0.3",
                "--mu", "1.5", "--p", "0.1", "--lr", "0.05", "--test-n", "4", "--eval-every", "5", "--seed", Long.toString(seed),
                "--engine", engine, "--precision", "float64"};
        Path data = tmp.resolve("data"), w0 = tmp.resolve("w0"), wT = tmp.resolve("wT");
        Result r0 = cli(with(common, "--steps", "0", "--save-weights", w0.toString(), "--out", tmp.resolve("init").toString()));
        assertEquals(0, r0.code(), r0.err());
        Result r = cli(with(common, "--steps", "60", "--save-data", data.toString(), "--save-weights", wT.toString(), "--out",
                tmp.resolve("sgd").toString()));
        assertEquals(0, r.code(), r.err());

        double[] x = Npy.read(data.resolve("train_x.npy")).data(), y = Npy.read(data.resolve("train_y.npy")).data();
        NpyArray order = Npy.read(data.resolve("batch_order.npy"));
        double[][] w = {read(w0, "W_Q"), read(w0, "W_K"), read(w0, "W_V"), read(w0, "w_O")};
        int T = order.shape()[0], B = order.shape()[1];
        assertEquals(60, T);
        List<String> metrics = Files.readAllLines(tmp.resolve("sgd/metrics.csv"));
        int lossCol = List.of(metrics.get(0).split(",")).indexOf("train_loss");
        String ctx = engine + Fixtures.tag(seed);
        for (int t = 0; t <= T; t++) {
            if (t % 5 == 0) {
                double want = Double.parseDouble(metrics.get(1 + t / 5).split(",")[lossCol]);
                int tt = t;
                Fixtures.assertClose(Replay.loss(w, x, y, 10, 3, 12, 5, 4, Loss.SQUARED), want, REPLAY_ATOL, REPLAY_RTOL,
                        () -> "training loss at step " + tt + " " + ctx);
            }
            if (t == T) break;
            int[] batch = new int[B];
            for (int j = 0; j < B; j++) batch[j] = (int) order.data()[t * B + j];
            Replay.step(w, x, y, batch, 3, 12, 5, 4, Loss.SQUARED, 0.05);
        }
        String[] names = {"W_Q", "W_K", "W_V", "w_O"};
        for (int b = 0; b < 4; b++) {
            double[] got = read(wT, names[b]);
            for (int i = 0; i < got.length; i++) {
                int bb = b, ii = i;
                Fixtures.assertClose(w[b][i], got[i], REPLAY_ATOL, REPLAY_RTOL, () -> names[bb] + "[" + ii + "] after 60 steps " + ctx);
            }
        }
    }

    private static double[] read(Path dir, String name) throws IOException {
        return Npy.read(dir.resolve(name + ".npy")).data();
    }

    private static String[] with(String[] common, String... more) {
        List<String> a = new ArrayList<>(List.of("train"));
        a.addAll(List.of(common));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /**
     * docs/math.md §2–3 and §8 in float64 over dense samples x [N, M, d], labels y, weights
     * w = {W_Q, W_K (m_k×d), W_V (m_v×d), w_O (m_v)}: written apart from every engine, so the replay
     * checks them rather than repeats them.
     */
    static final class Replay {
        /** f(X_n) and, into the arrays given, q, k (M×m_k), v (M×m_v), u (M), S (M×M), ū (M). */
        static double forward(double[][] w, double[] x, int n, int M, int d, int mk, int mv, double[][] q, double[][] k,
                              double[][] v, double[] u, double[][] S, double[] ubar) {
            for (int a = 0; a < M; a++) {
                for (int i = 0; i < mk; i++) {
                    q[a][i] = 0;
                    k[a][i] = 0;
                    for (int c = 0; c < d; c++) {
                        q[a][i] += w[0][i * d + c] * x[(n * M + a) * d + c];
                        k[a][i] += w[1][i * d + c] * x[(n * M + a) * d + c];
                    }
                }
                u[a] = 0;
                for (int i = 0; i < mv; i++) {
                    v[a][i] = 0;
                    for (int c = 0; c < d; c++) v[a][i] += w[2][i * d + c] * x[(n * M + a) * d + c];
                    u[a] += w[3][i] * v[a][i];
                }
            }
            double f = 0;
            for (int l = 0; l < M; l++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int a = 0; a < M; a++) {
                    S[l][a] = 0;
                    for (int i = 0; i < mk; i++) S[l][a] += q[l][i] * k[a][i];
                    max = Math.max(max, S[l][a]);
                }
                for (int a = 0; a < M; a++) sum += S[l][a] = Math.exp(S[l][a] - max);
                ubar[l] = 0;
                for (int a = 0; a < M; a++) ubar[l] += (S[l][a] /= sum) * u[a];
                f += ubar[l] / M;
            }
            return f;
        }

        static double loss(double[][] w, double[] x, double[] y, int N, int M, int d, int mk, int mv, Loss ell) {
            double l = 0;
            for (int n = 0; n < N; n++) {
                l += ell.value(y[n] * forward(w, x, n, M, d, mk, mv, new double[M][mk], new double[M][mk], new double[M][mv],
                        new double[M], new double[M][M], new double[M]));
            }
            return l / N;
        }

        /** One SGD step on the samples of {@code batch}: g_n = ℓ′(y f)·y/B, then every weight −= η ∇. */
        static void step(double[][] w, double[] x, double[] y, int[] batch, int M, int d, int mk, int mv, Loss ell, double eta) {
            double[][] grad = {new double[mk * d], new double[mk * d], new double[mv * d], new double[mv]};
            double[] r = new double[d];
            for (int n : batch) {
                double[][] q = new double[M][mk], k = new double[M][mk], v = new double[M][mv], S = new double[M][M];
                double[] u = new double[M], ubar = new double[M];
                double f = forward(w, x, n, M, d, mk, mv, q, k, v, u, S, ubar);
                double g = ell.derivative(y[n] * f) * y[n] / batch.length;
                for (int l = 0; l < M; l++) {
                    for (int a = 0; a < M; a++) {
                        double D = g * S[l][a] * (u[a] - ubar[l]) / M, c = g * S[l][a] / M;
                        for (int i = 0; i < mk; i++) {
                            for (int cc = 0; cc < d; cc++) {
                                grad[0][i * d + cc] += D * k[a][i] * x[(n * M + l) * d + cc];
                                grad[1][i * d + cc] += D * q[l][i] * x[(n * M + a) * d + cc];
                            }
                        }
                        for (int cc = 0; cc < d; cc++) r[cc] += c * x[(n * M + a) * d + cc];
                        for (int i = 0; i < mv; i++) grad[3][i] += c * v[a][i];
                    }
                }
            }
            for (int i = 0; i < mv; i++) {
                for (int cc = 0; cc < d; cc++) grad[2][i * d + cc] = w[3][i] * r[cc];
            }
            for (int b = 0; b < 4; b++) {
                for (int i = 0; i < w[b].length; i++) w[b][i] -= eta * grad[b][i];
            }
        }
    }

    @Test
    void lossPhaseAtReducedSizeDrawsCPerLossWithItsReportSection(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("loss");
        Figure f = reducedSweep("loss-phase", out, "4 losses", "critical-c-loss");
        assertEquals("loss ℓ", f.panels().get(0).getXYPlot().getDomainAxis().getLabel());
        assertTrue(f.caption().contains("its own test loss"), f.caption());
        plotAndReport(out, "critical-c-loss", "loss-phase");
    }

    @Test
    void sgdPhaseAtReducedSizeDrawsCAgainstBWithItsReportSection(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("sgd");
        Figure f = reducedSweep("sgd-phase", out, "B {1, 2, 4} and full", "critical-c-batch");
        assertTrue(f.panels().get(0).getXYPlot().getDomainAxis().getLabel().startsWith("B"), f.title());
        assertTrue(f.caption().contains("full-batch GD"), f.caption());
        plotAndReport(out, "critical-c-batch", "sgd-phase");
    }

    /**
     * Sweeps a preset of 4 maps ({@code maps}) on a small shape, N {8, 12} x |mu| {40, 70, 100}
     * (every loss and B fits a boundary there), into {@code out}; returns its figure {@code figure}.
     */
    private static Figure reducedSweep(String preset, Path out, String maps, String figure) throws IOException {
        Result r = cli("sweep", "--preset", preset, "--d", "64", "--M", "3", "--sigma", "4,0.2", "--mk", "16", "--mv", "16",
                "--N", "8,12", "--mu", "40,70,100", "--steps", "100", "--eval-every", "50", "--test-n", "40", "--repeats", "1",
                "--threads", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(1 + 4 * 2 * 3, Files.readAllLines(out.resolve("summary.csv")).size(), maps + " x 2 N x 3 |mu|");
        return figure(out, figure);
    }

    private static Figure figure(Path out, String name) throws IOException {
        List<Figure> figures = new Figures(Results.load(out)).all();
        return figures.stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not among " + figures.stream().map(Figure::name).toList()));
    }

    private static void plotAndReport(Path out, String figure, String section) throws IOException {
        Result p = cli("plot", out.toString());
        assertEquals(0, p.code(), p.err());
        assertTrue(Files.size(out.resolve("figures/" + figure + ".png")) > 0);
        Result rep = cli("report", out.toString());
        assertEquals(0, rep.code(), rep.err());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<section id=\"" + section + "\">"), "report section " + section);
        assertTrue(html.contains("id=\"fig-" + figure + "\""), "report figure " + figure);
    }
}
