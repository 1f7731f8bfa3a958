package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.attnsweep.Cli.Result;
import org.attnsweep.model.Metric;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** End-to-end {@code train} through the CLI, and every bad input refused with its one-line message. */
class TrainCommandTest {

    static final String[] SMALL = {"--d", "24", "--mk", "8", "--mv", "8", "--N", "6", "--test-n", "5", "--steps", "30",
            "--eval-every", "10"};

    static String[] small(Path out, String... more) {
        String[] a = new String[SMALL.length + more.length + 3];
        a[0] = "train";
        System.arraycopy(SMALL, 0, a, 1, SMALL.length);
        System.arraycopy(more, 0, a, 1 + SMALL.length, more.length);
        a[a.length - 2] = "--out";
        a[a.length - 1] = out.toString();
        return a;
    }

    /** The config of the first run in {@code out}/config.json, as stored. */
    static JsonNode firstConfig(Path out) throws IOException {
        return new ObjectMapper().readTree(out.resolve("config.json").toFile()).get("runs").get(0).get("config");
    }

    @Test
    void trainWritesConfigMetricsAndSummary(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("run");
        Result r = cli(small(out, "--repeats", "2", "--p", "0.1", "--engine", "vector"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("engine=vector"), r.err());
        assertTrue(r.out().contains("2 runs"), r.out());

        JsonNode cfg = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals("attnsweep", cfg.get("tool").asText());
        assertFalse(cfg.get("version").asText().isEmpty());
        assertEquals(2, cfg.get("runs").size());
        assertEquals(0.1, cfg.get("runs").get(0).get("config").get("p").asDouble());
        assertEquals(1, cfg.get("runs").get(1).get("config").get("repeat").asInt());

        List<String> metrics = Files.readAllLines(out.resolve("metrics.csv"));
        String header = "run,step," + String.join(",", Stream.of(Metric.values()).map(Metric::column).toList());
        assertEquals(header, metrics.get(0));
        // steps 0, 10, 20, 30 for each of the two runs
        assertEquals(1 + 2 * 4, metrics.size(), String.join("\n", metrics));
        assertTrue(metrics.get(4).startsWith("0,30,"), metrics.get(4));

        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        assertEquals(3, summary.size());
        assertTrue(summary.get(0).startsWith("run,key,seed,repeat,d,M,"), summary.get(0));
        assertTrue(summary.get(1).contains(",30,false,false,"), summary.get(1));

        // The same command again finds everything done and leaves the files as they were.
        Result again = cli(small(out, "--repeats", "2", "--p", "0.1", "--engine", "vector"));
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("resuming: 2 of 2 runs already done"), again.err());
        assertEquals(summary, Files.readAllLines(out.resolve("summary.csv")));
        assertEquals(metrics, Files.readAllLines(out.resolve("metrics.csv")));
    }

    @Test
    void presetIsOverriddenByOptions(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("p");
        Result r = cli(small(out, "--preset", "jiang-dynamics-benign", "--M", "4", "--repeats", "1", "--engine", "reference"));
        assertEquals(0, r.code(), r.err());
        JsonNode run = firstConfig(out);
        assertEquals(24, run.get("d").asInt());       // option beats preset
        assertEquals(0.01, run.get("lr").asDouble()); // preset beats default
        assertFalse(run.get("trainWo").asBoolean());
        assertEquals(0.05, run.get("sigma").get(2).asDouble());
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of(new String[] {"--d", "-5"}, "--d must be a positive integer: got -5"),
                Arguments.of(new String[] {"--N", "0"}, "--N must be a positive integer: got 0"),
                Arguments.of(new String[] {"--p", "0.7"}, "--p must be in [0, 0.5): got 0.7"),
                Arguments.of(new String[] {"--p", "-0.1"}, "--p must be in [0, 0.5): got -0.1"),
                Arguments.of(new String[] {"--M", "1"}, "--M must be at least 2"),
                Arguments.of(new String[] {"--M", "4", "--sigma", "1,2"}, "--sigma must list M-1 = 3 values"),
                Arguments.of(new String[] {"--sigma", "1,x"}, "--sigma entries must be numbers"),
                Arguments.of(new String[] {"--sigma", "-1"}, "--sigma values must be finite and > 0: got -1.0"),
                Arguments.of(new String[] {"--lr", "0"}, "--lr must be finite and > 0: got 0.0"),
                Arguments.of(new String[] {"--steps", "-1"}, "--steps must be >= 0: got -1"),
                Arguments.of(new String[] {"--eval-every", "0"}, "--eval-every must be a positive integer: got 0"),
                Arguments.of(new String[] {"--repeats", "0"}, "--repeats must be a positive integer: got 0"),
                Arguments.of(new String[] {"--attn-sample", "6"}, "--attn-sample must be -1 (mean) or in [0, N)"),
                Arguments.of(new String[] {"--preset", "nope"}, "--preset must be one of"),
                Arguments.of(new String[] {"--engine", "gpu"}, "--engine must be one of"),
                Arguments.of(new String[] {"--precision", "half"}, "--precision must be float32 or float64: got 'half'"),
                Arguments.of(new String[] {"--labels", "weird"}, "--labels must be one of [balanced, rademacher]: got 'weird'"),
                Arguments.of(new String[] {"--N", "many"}, "--N expects an integer: got 'many'"),
                Arguments.of(new String[] {"--train-wo", "maybe"}, "--train-wo expects true or false: got 'maybe'"));
    }

    @ParameterizedTest
    @MethodSource("badInputs")
    void badInputIsRefusedBeforeAnyWork(String[] args, String message, @TempDir Path tmp) {
        Path out = tmp.resolve("never");
        Result r = cli(small(out, args));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("attnsweep: "), r.err());
        assertTrue(r.err().contains(message), "expected '" + message + "' in: " + r.err());
        assertFalse(r.err().contains("Exception"), "no stack trace: " + r.err());
        assertFalse(Files.exists(out.resolve("config.json")), "no work done");
    }

    @Test
    void aResumeRefusesToSaveFilesOfRunsItWillNotTrain(@TempDir Path tmp) throws IOException {
        // Stored by a train without --save-weights, the runs are skipped by the resume: it ended with
        // exit 0 and no weights written, nothing said (audit s21). Refused before any work instead.
        Path out = tmp.resolve("a"), w = tmp.resolve("w");
        assertEquals(0, cli(small(out, "--steps", "0", "--repeats", "2")).code());
        String before = Files.readString(out.resolve("summary.csv"));
        Result r = cli(small(out, "--steps", "0", "--repeats", "2", "--save-weights", w.toString()));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("attnsweep:")).count(), r.err());
        assertTrue(r.err().contains("attnsweep: --save-weights " + w + ": run 0 is already stored in --out " + out + " but has no files in "
                + w.resolve("run-0000") + " (it was trained without --save-weights), and a resume does not train it again"), r.err());
        assertFalse(Files.exists(w), "nothing created");
        assertEquals(before, Files.readString(out.resolve("summary.csv")));
    }

    @Test
    void aSaveDirectoryThatCannotBeCreatedIsNamedByItsOption(@TempDir Path tmp) throws IOException {
        // It was refused as "--out DIR cannot be created", naming an option the user had not given that path (audit s21).
        Path file = Files.writeString(tmp.resolve("file"), "x"), out = tmp.resolve("a");
        for (String option : List.of("--save-data", "--save-weights")) {
            Result r = cli(small(out, "--steps", "0", option, file.resolve("w").toString()));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("attnsweep: " + option + " " + file.resolve("w") + " cannot be created: "), r.err());
            assertFalse(Files.exists(out), "--out not created");
        }
    }

    @Test
    void savedDataAndWeightsReplayTheSameRun(@TempDir Path tmp) throws IOException {
        // Run once saving data and initial weights (steps 0: final = initial), then train from the
        // files: the replay must give the same summary metrics as training from the streams.
        Path data = tmp.resolve("data"), init = tmp.resolve("init");
        assertEquals(0, cli(small(tmp.resolve("a"), "--steps", "0", "--save-data", data.toString(),
                "--save-weights", init.toString(), "--engine", "reference")).code());
        for (String f : List.of("train_x.npy", "train_y.npy", "train_y_clean.npy", "test_x.npy", "test_y.npy", "mu.npy")) {
            assertTrue(Files.exists(data.resolve(f)), f);
        }
        for (String f : List.of("W_Q.npy", "W_K.npy", "W_V.npy", "w_O.npy")) assertTrue(Files.exists(init.resolve(f)), f);
        // The same command again is a resume and may save into its own directories; another --out may not.
        assertEquals(0, cli(small(tmp.resolve("a"), "--steps", "0", "--save-data", data.toString(),
                "--save-weights", init.toString(), "--engine", "reference")).code());
        assertEquals(2, cli(small(tmp.resolve("a2"), "--steps", "0", "--save-data", data.toString(), "--engine", "reference")).code());
        Result direct = cli(small(tmp.resolve("b"), "--engine", "reference", "--p", "0"));
        Result replay = cli(small(tmp.resolve("c"), "--engine", "reference", "--data-from", data.toString(),
                "--init-from", init.toString()));
        assertEquals(0, direct.code(), direct.err());
        assertEquals(0, replay.code(), replay.err());
        List<String> a = Files.readAllLines(tmp.resolve("b/summary.csv")), b = Files.readAllLines(tmp.resolve("c/summary.csv"));
        int metric0 = List.of(a.get(0).split(",")).indexOf("train_loss");
        String[] ra = a.get(1).split(","), rb = b.get(1).split(",");
        for (int i = metric0; i < ra.length; i++) assertEquals(Double.parseDouble(ra[i]), Double.parseDouble(rb[i]), 1e-12, a.get(0).split(",")[i]);
    }

    @Test
    void badDataFilesAreRefused(@TempDir Path tmp) throws IOException {
        Path data = tmp.resolve("data");
        assertEquals(0, cli(small(tmp.resolve("a"), "--steps", "0", "--save-data", data.toString())).code());
        Files.writeString(data.resolve("train_y.npy"), "not numpy");
        Result r = cli(small(tmp.resolve("b"), "--data-from", data.toString()));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("train_y.npy: not an NPY file (bad magic)"), r.err());
        assertFalse(Files.exists(tmp.resolve("b/config.json")));
    }

    /**
     * Data too large for float32's products of tokens (one test value 3e38: NaN test loss and
     * error, diverged false, before) is refused in float32 (BadInputTest) and trains in float64,
     * whose bound (a token norm up to 1.3e154) it is well inside: finite metrics, not diverged.
     */
    @Test
    void dataTooLargeForFloat32TrainsInFloat64(@TempDir Path tmp) throws IOException {
        Path data = tmp.resolve("data");
        assertEquals(0, cli(small(tmp.resolve("a"), "--steps", "0", "--save-data", data.toString())).code());
        org.attnsweep.data.NpyArray x = org.attnsweep.data.Npy.read(data.resolve("test_x.npy"));
        x.data()[0] = 3e38;
        org.attnsweep.data.Npy.write(data.resolve("test_x.npy"), x.shape(), x.data());
        for (String engine : List.of("reference", "vector")) {
            Path out = tmp.resolve(engine);
            Result r = cli(small(out, "--data-from", data.toString(), "--engine", engine, "--precision", "float64"));
            assertEquals(0, r.code(), r.err());
            List<String> sum = Files.readAllLines(out.resolve("summary.csv"));
            List<String> cols = List.of(sum.get(0).split(","));
            String[] row = sum.get(1).split(",");
            assertEquals("false", row[cols.indexOf("diverged")], engine + ": " + sum.get(1));
            for (String m : List.of("train_loss", "test_loss", "test_error")) {
                assertTrue(Double.isFinite(Double.parseDouble(row[cols.indexOf(m)])), engine + " " + m + ": " + sum.get(1));
            }
        }
    }

    /**
     * --out may be new, empty, or a results directory: one holding the lock file every command
     * leaves, or a copy holding only its config.json and summary.csv. A directory with other files
     * and none of those is refused (BadInputTest).
     */
    @Test
    void outMayBeNewEmptyOrResults(@TempDir Path tmp) throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(0, cli(small(empty)).code());
        Files.writeString(empty.resolve("notes.txt"), "a result directory may hold the user's notes\n");
        Result again = cli(small(empty));
        assertEquals(0, again.code(), again.err());
        Path copy = Files.createDirectories(tmp.resolve("copy"));
        for (String f : List.of("config.json", "summary.csv", "metrics.csv")) Files.copy(empty.resolve(f), copy.resolve(f));
        Files.writeString(copy.resolve("notes.txt"), "copied without its lock file\n");
        Result resumed = cli(small(copy));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().startsWith("0 runs,"), "resumed, nothing trained again: " + resumed.out());
    }

    @Test
    void unwritableOutIsRefused(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("a-file");
        Files.writeString(file, "x");
        Result r = cli(small(file.resolve("sub")));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--out " + file.resolve("sub") + " cannot be created"), r.err());
    }

    @Test
    void infoNamesVersionSpeciesAndEngines() {
        Result r = cli("info");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("attnsweep "), r.out());
        assertTrue(r.out().contains("vector species: float32"), r.out());
        assertTrue(r.out().contains("vector: available"), r.out());
    }
}
