package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.attnsweep.Cli.Result;
import org.attnsweep.engine.Formulation;
import org.attnsweep.model.RunSpec;
import org.attnsweep.sweep.Grid;
import org.attnsweep.sweep.Plan;
import org.attnsweep.sweep.PlannedRun;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a hostile or careless user can type, command by command: every case must stop with exit
 * code 2 and one line that names the offending value, before any work — no stack trace, no
 * --out created, nothing written to the fixtures it reads. Each case runs in-process through
 * {@link Main#run}, as the command line does.
 *
 * <p>Placeholders in the arguments: {@code $OUT} a fresh directory path that must stay absent,
 * {@code $FILE} a regular file, {@code $EMPTY} an empty directory, {@code $MISSING} a path that
 * does not exist, {@code $DATA} / {@code $INIT} saved NPY data and weights, {@code $RESULTS} a
 * finished train output, {@code $LINK} a symbolic link to {@code $DATA}, {@code $SPEC/name} a
 * YAML spec of {@link #SPECS}.
 */
class BadInputTest {

    @TempDir
    static Path fixtures;

    /** YAML spec files by name, each wrong in one way. */
    static final Map<String, String> SPECS = Map.ofEntries(
            Map.entry("duplicate.yaml", "N: 2\nsteps: 10\nN: 4\n"),
            Map.entry("two-docs.yaml", "N: 2\n---\nsteps: 10\n"),
            Map.entry("oversized.yaml", "N: [" + "2,".repeat(1_600_000) + "2]\n"),
            Map.entry("unknown.yaml", "N: 2\nwidth: 10\n"),
            Map.entry("list.yaml", "[1, 2]\n"),
            Map.entry("empty.yaml", ""),
            Map.entry("syntax.yaml", "N: [2\n"),
            Map.entry("nested.yaml", "N: {a: 1}\n"),
            Map.entry("repeat-list.yaml", "N: [2, 2]\n"),
            Map.entry("preset.yaml", "preset: 5\n"),
            Map.entry("nan.yaml", "p: .nan\n"),
            Map.entry("huge.yaml", "N: 1e400\n"),
            Map.entry("huge-list.yaml", "mu: [1, 1e400]\n"),
            Map.entry("hex.yaml", "N: 0x10\n"),
            Map.entry("null.yaml", "N: null\n"),
            Map.entry("list-in-list.yaml", "N: [[2, 4]]\n"));

    @BeforeAll
    static void makeFixtures() throws IOException {
        Files.writeString(fixtures.resolve("file"), "not a directory\n");
        Files.createDirectories(fixtures.resolve("empty"));
        Files.createDirectories(fixtures.resolve("specs"));
        for (Map.Entry<String, String> e : SPECS.entrySet()) Files.writeString(fixtures.resolve("specs").resolve(e.getKey()), e.getValue());
        Result r = cli(TrainCommandTest.small(fixtures.resolve("results"), "--steps", "10",
                "--engine", "vector", "--save-data", fixtures.resolve("data").toString(),
                "--save-weights", fixtures.resolve("init").toString()));
        assertEquals(0, r.code(), r.err());
        Files.createSymbolicLink(fixtures.resolve("link-to-data"), fixtures.resolve("data"));
        // The saved data with one test value of 3e38: finite, but its squares overflow float32.
        Path huge = Files.createDirectories(fixtures.resolve("huge"));
        try (Stream<Path> files = Files.list(fixtures.resolve("data"))) {
            for (Path f : files.toList()) Files.copy(f, huge.resolve(f.getFileName()));
        }
        org.attnsweep.data.NpyArray x = org.attnsweep.data.Npy.read(huge.resolve("test_x.npy"));
        x.data()[1] = 3e38;
        org.attnsweep.data.Npy.write(huge.resolve("test_x.npy"), x.shape(), x.data());
        // One entry of 1e200: finite, yet its square overflows float64 (the message's norm read Infinity).
        Path vast = Files.createDirectories(fixtures.resolve("vast"));
        try (Stream<Path> files = Files.list(fixtures.resolve("data"))) {
            for (Path f : files.toList()) Files.copy(f, vast.resolve(f.getFileName()));
        }
        x.data()[1] = 1e200;
        org.attnsweep.data.Npy.write(vast.resolve("test_x.npy"), x.shape(), x.data());
        // The saved weights with one w_O element of 1e39: past float32's largest value (∞ there).
        Path hugeInit = Files.createDirectories(fixtures.resolve("huge-init"));
        try (Stream<Path> files = Files.list(fixtures.resolve("init"))) {
            for (Path f : files.toList()) Files.copy(f, hugeInit.resolve(f.getFileName()));
        }
        org.attnsweep.data.NpyArray w = org.attnsweep.data.Npy.read(hugeInit.resolve("w_O.npy"));
        w.data()[2] = -1e39;
        org.attnsweep.data.Npy.write(hugeInit.resolve("w_O.npy"), w.shape(), w.data());
    }

    static Arguments train(String message, String... args) {
        return command("train", message, args);
    }

    static Arguments sweep(String message, String... args) {
        return command("sweep", message, args);
    }

    /** A case of a command that takes --out: a fresh one is added unless the case names its own. */
    static Arguments command(String name, String message, String... args) {
        List<String> a = new ArrayList<>(List.of(name));
        a.addAll(List.of(args));
        if (!a.contains("--out")) a.addAll(List.of("--out", "$OUT"));
        return Arguments.of(String.join(" ", a), a.toArray(String[]::new), message);
    }

    static Arguments other(String message, String... args) {
        return Arguments.of(String.join(" ", args), args, message);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // train: what cannot fit (issue 9 item 4)
                train("one run needs", "--d", "100000000", "--mk", "100000"),
                train("% of it weights m*d (lower --mk, --mv or --d)", "--d", "100000000", "--mk", "100000"),
                train("of it test", "--test-n", "100000000"),
                train("--M must be at most 1048577 tokens per sample", "--M", "100000000"),
                train("of it span state P^2 + m*P (lower --N, --M, --mk or --mv)", "--M", "1000000", "--formulation", "span"),
                // auto sizes a run in the form it trains in: direct at P = 10^8, which still cannot fit
                train("MiB in the direct form, 45% of it training tokens P*d (lower --N, --M or --d)", "--M", "1000000"),
                train("one run needs", "--N", "2147483647"),
                train("one run needs", "--d", "2147483647"),
                train("the plan has 2000000000 runs, over the cap of 1000000", "--repeats", "2000000000"),
                train("over the cap of 10: ", "--repeats", "11", "--max-runs", "10"),
                train("keeping them planned takes about", "--repeats", "2000000000", "--max-runs", "3000000000"),
                train("--max-runs must be >= 1: got 0", "--max-runs", "0"),
                train("--max-runs must be >= 1: got -5", "--max-runs", "-5"),
                train("Invalid value for option '--max-runs': 'lots'", "--max-runs", "lots"),
                train("--sigma lists over 1048576 values", "--sigma", "1*2000000"),
                train("--sigma entries must be numbers or value*count", "--sigma", "1*99999999999"),
                // train: numbers
                train("--snr expects a finite number: got 'NaN'", "--snr", "NaN"),
                train("--snr expects a finite number: got 'Infinity'", "--snr", "Infinity"),
                train("--snr must be finite and >= 0: got -1.0", "--snr", "-1"),
                train("--mu expects a finite number: got '1e999'", "--mu", "1e999"),
                train("--p expects a finite number: got 'NaN'", "--p", "NaN"),
                train("--lr expects a finite number: got '-Infinity'", "--lr", "-Infinity"),
                train("--target-loss expects a number: got 'nan'", "--target-loss", "nan"),
                train("--target-loss expects a finite number: got '-Infinity'", "--target-loss", "-Infinity"),
                train("--sigma values must be finite and > 0: got 'NaN'", "--sigma", "NaN"),
                train("--sigma entries must be numbers or value*count: got '1*-3'", "--sigma", "1*-3"),
                train("--sigma has an empty entry: '4,'", "--sigma", "4,"),
                train("--d expects an integer in [-2147483648, 2147483647]: got '99999999999'", "--d", "99999999999"),
                train("--steps expects an integer in [-2147483648, 2147483647]: got '2147483648'", "--steps", "2147483648"),
                train("--seed expects an integer in [", "--seed", "99999999999999999999"),
                train("--seed expects an integer: got '1.5'", "--seed", "1.5"),
                train("--N expects an integer: got '2:4'", "--N", "2:4"),
                train("--p expects a number: got '0.1,0.2'", "--p", "0.1,0.2"),
                train("--N expects an integer: got ''", "--N", ""),
                // a subnormal sigma_p: SNR = |mu|/(sigma_p sqrt(d)) overflows; it trained, then stopped on reading "Inf" back
                train("sqrt(64)) is not finite: raise sigma_p (--sigma's first value) or lower --mu", "--d", "64", "--sigma", "1e-320"),
                train("sqrt(64)) is not finite: raise sigma_p (--snr-sigma) or lower --mu", "--d", "64", "--snr-sigma", "1e-320"),
                sweep("sqrt(64)) is not finite: raise sigma_p (--sigma's first value) or lower --mu", "--d", "64", "--N", "2,4", "--sigma", "1e-320"),
                train("--snr 1.0E300 makes |mu| = snr * sigma_p * sqrt(d) overflow: lower --snr or sigma_p", "--snr", "1e300", "--sigma", "1e10"),
                // image options: 0 was the "unset" patch, so --patch 0 trained with patch 7; an empty --images trained synthetic data
                train("--patch is for image runs: give --images DIR too", "--patch", "0"),
                train("--images must name a directory: got ''", "--images", ""),
                sweep("--images has an empty entry in ''", "--images", "", "--N", "2,4"),
                train("--init-divisor must be finite and > 0: got 0.0", "--init-divisor", "0"),
                train("--sigma-v must be finite and > 0: got -1.0", "--init", "theory", "--sigma-v", "-1"),
                train("--snr-sigma must be finite and >= 0", "--snr-sigma", "-1"),
                train("--d must be at least 3 with --orthogonal-noise: got 2", "--orthogonal-noise", "--d", "2"),
                train("--d must be at least 2 for axis signals: got 1", "--d", "1"),
                train("--attn-sample must be -1 (mean) or in [0, N)", "--attn-sample", "-2"),
                train("--eval-every must be a positive integer: got 0", "--eval-every", "0"),
                train("--test-n must be a positive integer: got -1", "--test-n", "-1"),
                train("--heads must be a positive integer: got 0", "--heads", "0"),
                train("--sigma must list M-1 = 3 values", "--M", "4", "--sigma", "1,2"),
                train("--signals must be one of [axis, random]: got 'diagonal'", "--signals", "diagonal"),
                // losses and mini-batches (docs/math.md §8): B in [1, N], a known loss
                train("--batch-size must be in [1, N=6]: got 50", "--N", "6", "--batch-size", "50"),
                train("--batch-size must be in [1, N=6]: got 0", "--N", "6", "--batch-size", "0"),
                train("--batch-size must be in [1, N=6]: got -1", "--N", "6", "--batch-size", "-1"),
                train("--batch-size expects an integer: got '2.5'", "--batch-size", "2.5"),
                train("--loss must be one of [logistic, exponential, hinge, squared]: got 'cross-entropy'", "--loss", "cross-entropy"),
                sweep("--batch-size must be in [1, N=4]: got 6", "--N", "4,8", "--batch-size", "6"),
                sweep("--loss must be one of [logistic, exponential, hinge, squared]: got 'l2'", "--loss", "logistic,l2"),
                // train: paths (item 6)
                train("--out must name a directory: got ''", "--out", ""),
                train("is a file, not a directory", "--out", "$FILE"),
                train("--save-data $DATA is --data-from $DATA", "--data-from", "$DATA", "--save-data", "$DATA"),
                train("is inside --data-from", "--data-from", "$DATA", "--save-data", "$DATA/run-0"),
                train("holds --data-from", "--data-from", "$DATA", "--save-data", "$DATA/.."),
                train("is --data-from", "--data-from", "$DATA", "--save-data", "$EMPTY/../data/."),
                train("--save-data $LINK is --data-from $DATA", "--data-from", "$DATA", "--save-data", "$LINK"),
                train("is inside --data-from $DATA", "--data-from", "$DATA", "--save-data", "$LINK/new/run"),
                train("--save-weights $INIT is --init-from $INIT", "--init-from", "$INIT", "--save-weights", "$INIT"),
                train("--out $DATA is --data-from $DATA", "--data-from", "$DATA", "--out", "$DATA"),
                // a non-empty directory that holds no results (a dataset's folder): it was written into
                train("--out $DATA is not empty and holds no results (mu.npy, test_x.npy, test_y.npy, ...): give a new or empty directory,"
                        + " or a results directory to resume", "--out", "$DATA"),
                sweep("--out $DATA is not empty and holds no results (mu.npy, test_x.npy", "--N", "2,4", "--out", "$DATA"),
                command("reproduce", "--out $SPEC is not empty and holds no results (duplicate.yaml, empty.yaml, hex.yaml, ...)",
                        "--scale", "smoke", "--out", "$SPEC"),
                train("--save-data $FILE is a file, not a directory", "--save-data", "$FILE"),
                // below a file: refused before the engine is chosen (it was refused after, printing
                // "FileSystemException $FILE/sub: Not a directory")
                train("--out $FILE/sub cannot be created: $FILE is a file, not a directory", "--out", "$FILE/sub"),
                train("--save-weights $FILE/w/x cannot be created: $FILE is a file, not a directory", "--save-weights", "$FILE/w/x"),
                sweep("--out $FILE/sub cannot be created: $FILE is a file, not a directory", "--N", "2,4", "--out", "$FILE/sub"),
                // another command's saved files, with --out not a resume: they were overwritten without a word
                train("--save-weights $INIT already holds W_K.npy (saved by another command), and --out $OUT is not a resume",
                        "--save-weights", "$INIT"),
                train("--save-data $DATA already holds mu.npy (saved by another command)", "--save-data", "$DATA"),
                train("--data-from $MISSING does not exist", "--data-from", "$MISSING"),
                train("--data-from $FILE is not a directory", "--data-from", "$FILE"),
                train("--init-from must name a directory: got ''", "--init-from", ""),
                train("train_x.npy", "--data-from", "$EMPTY"),
                // finite data too large for the precision's products of tokens: NaN test metrics, diverged=false
                train("--data-from $HUGE: test_x.npy sample 0 token 0 has norm 3.00e+38, over float32's range for products of tokens"
                        + " (norm at most 1.84e+19): rescale the data or use --precision float64", "--data-from", "$HUGE", "--engine", "vector"),
                train("--data-from $HUGE: test_x.npy sample 0 token 0 has norm 3.00e+38, over float32's range", "--data-from", "$HUGE"),
                train("--data-from $VAST: test_x.npy sample 0 token 0 has norm 1.00e+200, over float64's range for products of tokens",
                        "--data-from", "$VAST", "--precision", "float64"),
                train("--init-from $HUGE_INIT: w_O.npy element 2 is -1.00e+39, past float32's largest value 3.40e+38: use --precision float64",
                        "--init-from", "$HUGE_INIT", "--engine", "vector"),
                train("W_Q.npy", "--init-from", "$DATA"),
                train("--mk 16 disagrees with W_Q.npy's m_k = 8 in --init-from", "--init-from", "$INIT", "--d", "24", "--mk", "16", "--mv", "8"),
                // generated tokens past the precision's products of tokens: stored as diverged at step 0, as if GD had diverged
                train("run 0: the signal tokens' norm |mu| = 1.00e+30 is over float32's range for products of tokens (norm at most 1.84e+19):"
                        + " lower it or use --precision float64", "--mu", "1e30"),
                train("run 0: --sigma 1.00e+30 makes noise tokens of norm about 2.83e+30 (sigma*sqrt(d)), over float32's range",
                        "--d", "8", "--M", "2", "--sigma", "1e30"),
                sweep("run 0: --test-sigma-scale 1.00e+300 makes test noise tokens of norm about ", "--test-sigma-scale", "1e300"),
                sweep("over float64's range for products of tokens (norm at most 1.34e+154): lower it", "--mu", "1,1e160",
                        "--engine", "reference", "--dry-run"),
                // options the files replace: recorded as if applied (p = 0.2 in summary.csv on the file's labels) or ignored
                train("--p shapes generated data, and the data are --data-from $DATA's train_x.npy, test_x.npy and their labels as read:"
                        + " drop --p", "--data-from", "$DATA", "--p", "0.2"),
                train("--mu shapes generated data", "--data-from", "$DATA", "--mu", "50"),
                train("--snr shapes generated data", "--data-from", "$DATA", "--snr", "2"),
                train("--sigma shapes generated data", "--data-from", "$DATA", "--sigma", "9"),
                train("--labels shapes generated data", "--data-from", "$DATA", "--labels", "rademacher"),
                train("--signals shapes generated data", "--data-from", "$DATA", "--signals", "random"),
                train("--init shapes generated initial weights, and the initial weights are --init-from $INIT's W_Q.npy, W_K.npy, W_V.npy"
                        + " and w_O.npy as read: drop --init", "--init-from", "$INIT", "--d", "24", "--init", "theory"),
                train("--sigma0 shapes generated initial weights", "--init-from", "$INIT", "--d", "24", "--sigma0", "0.5"),
                train("--init-divisor shapes generated initial weights", "--init-from", "$INIT", "--d", "24", "--init-divisor", "3"),
                // two options where one silently won, or a parameter of the init scheme the runs do not use
                train("--mu and --snr both set |mu| (--snr as snr*sigma_p*sqrt(d)): give one of them", "--mu", "3", "--snr", "2"),
                sweep("--mu and --snr both set |mu|", "--mu", "1,2", "--snr", "2,3", "--dry-run"),
                sweep("--mu and --snr both set |mu|", "--preset", "jiang-heatmap", "--mu", "5", "--snr", "2", "--check-options"),
                train("--sigma0 is a parameter of --init theory only, and the runs use --init torch: drop --sigma0 or use --init theory",
                        "--init", "torch", "--sigma0", "0.3"),
                train("--init-divisor is a parameter of --init torch only, and the runs use --init theory", "--init", "theory",
                        "--init-divisor", "3"),
                sweep("--sigma0 is a parameter of --init theory only", "--sigma0", "0.1,0.2", "--check-options"),
                sweep("--sigma-v is a parameter of --init theory only, and the runs use --init torch", "--preset", "zhang-vinit",
                        "--init", "torch", "--dry-run"),
                sweep("--sigma-o is a parameter of --init theory only", "--sigma-o", "0.1", "--init", "torch", "--dry-run"),
                // train: engine options and picocli's own
                train("--threads must be in [0, 1024] (0 = all cores): got -1", "--threads", "-1"),
                train("--threads must be in [0, 1024] (0 = all cores): got 100000", "--threads", "100000"),
                train("Invalid value for option '--threads': 'many'", "--threads", "many"),
                train("--engine must be one of reference, vector, cuda, auto: got 'gpu'", "--engine", "gpu"),
                train("--engine cuda computes in float32 only", "--engine", "cuda", "--precision", "float64"),
                // a precision or form the named engine never runs: refused by name, not silently ignored
                train("--engine reference computes in float64 only: got --precision float32: use --engine vector for float32",
                        "--engine", "reference", "--precision", "float32"),
                train("--formulation span: the reference engine runs direct GD only (the definition of correctness): use --engine vector,"
                        + " or --formulation direct or auto", "--engine", "reference", "--formulation", "span"),
                train("--formulation direct: the cuda engine runs the span formulation only: use --engine vector, or --formulation span or auto",
                        "--engine", "cuda", "--formulation", "direct"),
                train("--precision must be float32 or float64: got 'half'", "--precision", "half"),
                train("--preset must be one of", "--preset", "nope"),
                train("Unknown option: '--width=3'", "--width=3"),
                train("Invalid value for option '--report': 'maybe'", "--report=maybe"),
                other("Missing required option: '--out=<out>'", "train", "--N", "4"),

                // sweep: what cannot fit, and plans too large to expand (items 1-2)
                sweep("one run needs", "--d", "100000000", "--mk", "100000", "--dry-run"),
                // P = 100,002 fits in the direct form (auto takes it), not in the span form's P^2
                sweep("MiB in the span form, 98% of it span state P^2 + m*P (lower --N, --M, --mk or --mv), but a batch may use ",
                        "--N", "2,100000", "--formulation", "span", "--dry-run"),
                sweep(" MiB heap; raise --memory-mb up to the heap, or give the JVM more heap with ATTNSWEEP_JAVA_OPTS=-Xmx<size>);"
                        + " in the direct form it needs 1415 MiB (--formulation direct or auto)", "--N", "2,100000", "--formulation", "span", "--dry-run"),
                sweep("--M must be at most 1048577", "--M", "2,100000000", "--dry-run"),
                sweep("the plan has 4001000000 runs, over the cap of 1000000", "--N", "1:1000", "--mu", "1:1000", "--p", "0:0.4:0.0001", "--dry-run"),
                sweep("the plan has 20 runs, over the cap of 10", "--N", "1:20", "--max-runs", "10"),
                sweep("--memory-mb must be in [0, ", "--memory-mb", "8796093022208", "--dry-run"),
                sweep("--memory-mb must be in [0, ", "--memory-mb", "-1"),
                sweep("one run needs 13 MiB in the span form, ", "--memory-mb", "1"),
                sweep("but a batch may use 1 MiB (--memory-mb 1, ", "--memory-mb", "1", "--dry-run"),
                sweep("the plan has 2000000000 runs, over the cap of 1000000", "--repeats", "2000000000", "--dry-run"),
                sweep("Invalid value for option '--memory-mb': '99999999999999999999'", "--memory-mb", "99999999999999999999"),
                // sweep: ranges and lists (item 3)
                sweep("--mu range bounds must be finite numbers: got '1e999999999'", "--mu", "1e999999999:1e999999999", "--dry-run"),
                sweep("--mu range step must be > 0: got '0:1:1e-99999999'", "--mu", "0:1:1e-99999999", "--dry-run"),
                sweep("--mu range 0:1:1e-9 has 1000000001 values, over 1000000", "--mu", "0:1:1e-9", "--dry-run"),
                sweep("--p range step must be > 0", "--p", "0:0.4:0"),
                sweep("--p range step must be > 0", "--p", "0:0.4:-0.1"),
                sweep("--p range 0.3:0.1 is empty (hi < lo)", "--p", "0.3:0.1"),
                sweep("--p range must be lo:hi or lo:hi:step: got '1:2:3:4'", "--p", "1:2:3:4"),
                sweep("--p range must be numbers lo:hi[:step]: got 'a:b'", "--p", "a:b"),
                sweep("--mu range bounds must be finite numbers: got 'NaN'", "--mu", "NaN:5"),
                sweep("--p lists one value twice ('0' and '-0') in '0,-0'", "--p", "0,-0"),
                sweep("--p lists one value twice ('0.1' and '0.10')", "--p", "0.1,0.10"),
                sweep("--N lists one value twice ('2')", "--N", "2,2"),
                sweep("--N lists one value twice ('4')", "--N", "2:6:2,4"),
                sweep("--sigma lists one value twice ('4' and '4.0')", "--sigma", "4|4.0"),
                sweep("--p has an empty entry in '0,,0.1'", "--p", "0,,0.1"),
                sweep("--sigma has an empty entry in '4|'", "--sigma", "4|"),
                sweep("--snr expects a finite number: got 'NaN'", "--snr", "NaN"),
                sweep("--lr expects a finite number: got 'NaN'", "--lr", "0.1,NaN"),
                sweep("--repeats takes one value: got '1,2'", "--repeats", "1,2"),
                sweep("--repeats must be a positive integer: got 0", "--repeats", "0"),
                sweep("--N must be a positive integer: got 0", "--N", "0:4:2"),
                sweep("--preset must be one of", "--preset", "nope"),
                // sweep: aggregation options checked before training, any shard (item 4)
                sweep("Invalid value for option '--cutoff': 'NaN' is not a finite number", "--cutoff", "NaN"),
                sweep("Invalid value for option '--cutoff': 'NaN' is not a finite number", "--cutoff", "NaN", "--shard", "1/2"),
                sweep("--cutoff must be finite and > 0: got -1.0", "--cutoff", "-1", "--shard", "1/2"),
                sweep("--cutoff must be finite and > 0: got 0.0", "--cutoff", "0"),
                sweep("'Infinity' is not a finite number", "--cutoff", "Infinity"),
                // sweep: shards, paths, engine
                sweep("--shard must be i/n with 0 <= i < n: got '2/2'", "--shard", "2/2"),
                sweep("--shard must be i/n with 0 <= i < n: got '1/0'", "--shard", "1/0"),
                sweep("--shard must be i/n with 0 <= i < n: got '-1/2'", "--shard", "-1/2"),
                sweep("--shard must be i/n with 0 <= i < n: got 'a/b'", "--shard", "a/b"),
                sweep("--shard must be i/n with 0 <= i < n: got '1/99999999999'", "--shard", "1/99999999999"),
                sweep("--shard must be i/n with 0 <= i < n: got '1/2/3'", "--shard", "1/2/3"),
                sweep("--out must name a directory: got ''", "--out", "", "--dry-run"),
                sweep("is a file, not a directory", "--out", "$FILE", "--dry-run"),
                sweep("--threads must be in [0, 1024] (0 = all cores): got -3", "--threads", "-3"),
                sweep("--precision must be float32 or float64: got 'fp16'", "--precision", "fp16"),
                // what the engine refuses on every machine, refused by --check-options too (scripts/slurm/submit
                // runs it on a login node; it was accepted there and every task failed on the GPU nodes)
                sweep("--engine cuda computes in float32 only: got --precision float64", "--engine", "cuda", "--precision", "float64",
                        "--check-options"),
                sweep("--engine cuda computes in float32 only: got --precision float64", "--engine", "cuda", "--precision", "fp64", "--dry-run"),
                sweep("--formulation direct: the cuda engine runs the span formulation only", "--engine", "cuda", "--formulation", "direct",
                        "--check-options"),
                sweep("--formulation span: the reference engine runs direct GD only", "--engine", "reference", "--formulation", "span",
                        "--check-options"),
                sweep("--engine reference computes in float64 only: got --precision float32", "--engine", "reference", "--precision", "f32",
                        "--check-options"),
                sweep("--engine must be one of reference, vector, cuda, auto: got 'gpu'", "--engine", "gpu", "--check-options"),
                // the inputs and the tokens' range, which do not depend on the node: accepted by --check-options, every task refused
                sweep("--images $MISSING: no such directory (an image dir needs train-images-idx3-ubyte", "--images", "$MISSING", "--N", "4,8",
                        "--check-options"),
                sweep("train-images-idx3-ubyte.gz: no such file (an image dir needs", "--images", "$EMPTY", "--N", "4,8", "--check-options"),
                sweep("run 0: the signal tokens' norm |mu| = 1.00e+30 is over float32's range for products of tokens", "--mu", "1e30",
                        "--N", "2,4", "--check-options"),
                // M past what the cuda engine's attention block holds in shared memory: a batch of it failed after the work before it
                sweep("--M 100 needs 67616 bytes of shared memory per block in the cuda engine's attention_forward; the device allows 49152"
                        + " (M at most 81): use --engine vector, or a smaller --M", "--engine", "cuda", "--M", "4,100", "--check-options"),
                train("--M 82 needs 49544 bytes of shared memory per block", "--engine", "cuda", "--M", "82"),
                // reproduce shares train's and sweep's engine options, checked before any work
                command("reproduce", "--threads must be in [0, 1024] (0 = all cores): got -2", "--scale", "smoke", "--threads", "-2"),
                command("reproduce", "--papers lists one paper twice ('A') in 'A,B,A'", "--scale", "smoke", "--papers", "A,B,A"),
                command("reproduce", "--precision must be float32 or float64: got 'fp8'", "--scale", "smoke", "--precision", "fp8"),
                command("reproduce", "--engine cuda computes in float32 only: got --precision float64", "--scale", "smoke", "--engine", "cuda",
                        "--precision", "float64"),
                // a train's results: reproduce would write its report.html over theirs (it did, exit 0)
                command("reproduce", "--out $RESULTS holds the results of a train, sweep or merge (summary.csv): reproduce writes",
                        "--scale", "smoke", "--out", "$RESULTS"),
                command("reproduce", "--out $FILE is a file, not a directory", "--scale", "smoke", "--out", "$FILE"),
                // sweep: YAML specs (item 5)
                sweep("duplicate.yaml: Duplicate field 'N' (line 3)", "--spec", "$SPEC/duplicate.yaml"),
                sweep("two-docs.yaml: a second YAML document follows (line 3)", "--spec", "$SPEC/two-docs.yaml"),
                sweep("oversized.yaml must be at most 3145728 bytes (3 MiB, the YAML parser's limit): got 3200007", "--spec",
                        "$SPEC/oversized.yaml"),
                sweep("unknown.yaml: unknown key 'width'", "--spec", "$SPEC/unknown.yaml"),
                sweep("list.yaml: expected a mapping of keys to values", "--spec", "$SPEC/list.yaml"),
                sweep("empty.yaml: expected a mapping of keys to values", "--spec", "$SPEC/empty.yaml"),
                sweep("syntax.yaml: ", "--spec", "$SPEC/syntax.yaml"),
                sweep("nested.yaml: N must be a value, a list or a range", "--spec", "$SPEC/nested.yaml"),
                sweep("--N lists one value twice ('2') in '2,2'", "--spec", "$SPEC/repeat-list.yaml"),
                sweep("preset.yaml: preset must be a name: got 5", "--spec", "$SPEC/preset.yaml"),
                sweep("--p expects a number: got '.nan'", "--spec", "$SPEC/nan.yaml"),
                // a scalar is read as written, as on the command line: a YAML number of 1e400 was
                // refused as 'Infinity' and 0x10 taken as N = 16 (s21b audit)
                sweep("got '1e400'", "--spec", "$SPEC/huge.yaml"),
                sweep("got '1e400'", "--spec", "$SPEC/huge-list.yaml"),
                sweep("--N expects an integer: got '0x10'", "--spec", "$SPEC/hex.yaml"),
                sweep("null.yaml: N must be a value, a list or a range: got nothing (null)", "--spec", "$SPEC/null.yaml"),
                sweep("list-in-list.yaml: N must be a value, a list or a range: got a list", "--spec", "$SPEC/list-in-list.yaml"),
                sweep("--spec $MISSING does not exist", "--spec", "$MISSING"),
                sweep("--spec $EMPTY is not a file", "--spec", "$EMPTY"),

                // merge, aggregate, plot, report, info (item 7)
                other("Missing required parameter: 'SHARD_DIR'", "merge", "--out", "$OUT"),
                other("has no config.json", "merge", "--out", "$OUT", "$MISSING"),
                other("has no config.json", "merge", "--out", "$OUT", "$FILE"),
                other("has no config.json", "merge", "--out", "$OUT", "$EMPTY"),
                other("'NaN' is not a finite number", "merge", "--cutoff", "NaN", "--out", "$OUT", "$RESULTS"),
                other("--cutoff must be finite and > 0: got -0.5", "merge", "--cutoff", "-0.5", "--out", "$OUT", "$RESULTS"),
                other("--out must name a directory: got ''", "merge", "--out", "", "$RESULTS"),
                other("is a file, not a directory", "merge", "--out", "$FILE", "$RESULTS"),
                other("has no summary.csv", "aggregate", "$MISSING"),
                other("has no summary.csv", "aggregate", "$FILE"),
                other("has no summary.csv", "aggregate", "$EMPTY"),
                other("--cutoff must be finite and > 0: got 0.0", "aggregate", "--cutoff", "0", "$RESULTS"),
                other("Missing required parameter: 'DIR'", "aggregate"),
                other("Unmatched argument", "aggregate", "$RESULTS", "$EMPTY"),
                other("plot: ", "plot", "$MISSING"),
                other("plot: ", "plot", "$FILE"),
                other("plot: ", "plot", "$EMPTY"),
                other("Missing required parameter: 'DIR'", "plot"),
                other("plot: DIR must name a results directory: got ''", "plot", ""),
                other("--format lists one format twice ('PNG') in 'png,svg,PNG'", "plot", "--format", "png,svg,PNG", "$RESULTS"),
                other("report: ", "report", "$MISSING"),
                other("report: DIR must name a results directory: got ''", "report", ""),
                other("report: ", "report", "$EMPTY"),
                other("'NaN' is not a finite number", "report", "--paper-c", "NaN", "$RESULTS"),
                other("--paper-c must be finite and > 0: got 0.0", "report", "--paper-c", "0", "$RESULTS"),
                other("'Infinity' is not a finite number", "report", "--paper-c", "Infinity", "$RESULTS"),
                other("--paper-c must be finite and > 0: got -5.0", "report", "--paper-c", "-5", "$RESULTS"),
                other("Invalid value for option '--paper-c': 'wide'", "report", "--paper-c", "wide", "$RESULTS"),
                other("Unmatched argument", "info", "extra"),
                other("Unknown option: '--verbose'", "info", "--verbose"),
                other("Unmatched argument", "retrain", "--out", "$OUT"),
                // a '~' the shell did not expand (--out=~/x, quoted): it made a directory named '~' in
                // the working directory (s21b audit); refused for every path of every command
                train("'~/attnsweep-tilde' begins with '~', which the shell did not expand", "--out", "~/attnsweep-tilde"),
                train("'~' begins with '~'", "--out", "~"),
                train("'~' begins with '~'", "--save-weights", "~"),
                sweep("'~root/x' begins with '~'", "--out", "~root/x"),
                sweep("'~/s.yaml' begins with '~'", "--spec", "~/s.yaml"),
                other("'~/m' begins with '~'", "merge", "--out", "~/m", "$RESULTS"),
                other("'~/runs' begins with '~'", "merge", "--out", "$OUT", "~/runs"),
                other("'~/runs' begins with '~'", "aggregate", "~/runs"),
                other("'~/runs' begins with '~'", "plot", "~/runs"),
                other("'~/runs' begins with '~'", "report", "~/runs"),
                train("--images '~/fashion' begins with '~', which the shell did not expand", "--images", "~/fashion"),
                sweep("--images '~/fashion' begins with '~'", "--images", "~/fashion", "--dry-run"),
                command("reproduce", "'~/r' begins with '~'", "--scale", "smoke", "--out", "~/r"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedInOneLineBeforeAnyWork(String name, String[] args, String message, @TempDir Path scratch) throws IOException {
        Path out = scratch.resolve("out");
        String[] a = new String[args.length];
        for (int i = 0; i < args.length; i++) a[i] = expand(args[i], out);
        String expected = expand(message, out);
        Map<String, Long> before = tree(fixtures);
        Result r = cli(a);
        assertEquals(2, r.code(), r.err());
        List<String> lines = r.err().lines().filter(l -> l.startsWith("attnsweep:")).toList();
        assertEquals(1, lines.size(), "one error line: " + r.err());
        assertTrue(lines.get(0).contains(expected), "expected '" + expected + "' in: " + r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), "no stack trace: " + r.err());
        assertFalse(Files.exists(out), "--out must not be created: " + out);
        assertFalse(Files.exists(Path.of("~")), "no directory named '~' in the working directory");
        assertEquals(before, tree(fixtures), "nothing written to the inputs");
    }

    /** −0 is 0: one value, one config, one key — so it cannot pose as a second repeat of a cell. */
    @Test
    void minusZeroIsReadAsZero() {
        assertEquals(RunSpec.canonical("p", "0"), RunSpec.canonical("p", "-0"));
        assertEquals(RunSpec.canonical("p", "0.1"), RunSpec.canonical("p", "0.10"));
        RunSpec a = new RunSpec(), b = new RunSpec();
        a.set("p", "0");
        b.set("p", "-0.0");
        assertEquals(PlannedRun.keyOf(a.build(0)), PlannedRun.keyOf(b.build(0)));
        assertEquals(List.of("-0.5", "0", "0.5"), Grid.values("mu", "-0.5:0.5:0.5"));
    }

    /**
     * A heap large enough for the bytes does not make an array past the JVM's limit possible: the
     * span Gram P×P of N = 50,000 two-token samples has 2.5·10⁹ elements. (No CLI case reaches this
     * check on a test machine's heap, where the bytes are refused first.) The direct form has no
     * Gram, and auto trains such a run in it, so only a forced span is refused.
     */
    @Test
    void arraysPastTheJvmLimitAreRefusedWhateverTheHeap() {
        RunSpec s = new RunSpec();
        s.d = 4; s.mk = 2; s.mv = 2; s.N = 50_000; s.M = 2; s.testN = 1;
        Plan.Limits span = new Plan.Limits(10, Long.MAX_VALUE, "test").in(Formulation.SPAN);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Plan.of(List.of(new Grid(s, Map.of())), span));
        assertTrue(e.getMessage().contains("one run's span Gram P*P (lower --N or --M) has 2500200004 elements in the span form,"
                + " over the JVM's largest array"), e.getMessage());
        assertTrue(e.getMessage().endsWith("; in the direct form it needs 5 MiB (--formulation direct or auto)"), e.getMessage());
        assertEquals(1, Plan.of(List.of(new Grid(s, Map.of())), new Plan.Limits(10, Long.MAX_VALUE, "test")).size(), "auto: direct");
        s.N = 40_000; // P² = 1.6e9 elements fits an array
        assertEquals(1, Plan.of(List.of(new Grid(s, Map.of())), span).size());
    }

    /** An engine that cannot take one run of a shape (cuda's maxBatch 0: over the free device memory) is refused by shape. */
    @Test
    void runsThatDoNotFitTheDeviceAreRefused() {
        RunSpec s = new RunSpec();
        s.d = 8; s.mk = 4; s.mv = 4;
        Plan plan = Plan.of(List.of(new Grid(s, Map.of("N", Grid.values("N", "2,40")))));
        Plan.checkEngine(plan.runs(), c -> 64, "vector");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Plan.checkEngine(plan.runs(), c -> c.N() > 10 ? 0 : 5, "cuda"));
        assertTrue(e.getMessage().startsWith("--engine cuda: one run (d=8 M=2 m_k=4 m_v=4 N=40 test-n=100) does not fit the device's free memory"),
                e.getMessage());
    }

    private static String expand(String s, Path out) {
        return s.replace("$OUT", out.toString()).replace("$FILE", fixtures.resolve("file").toString())
                .replace("$EMPTY", fixtures.resolve("empty").toString()).replace("$MISSING", fixtures.resolve("missing").toString())
                .replace("$DATA", fixtures.resolve("data").toString()).replace("$INIT", fixtures.resolve("init").toString())
                .replace("$RESULTS", fixtures.resolve("results").toString()).replace("$SPEC", fixtures.resolve("specs").toString())
                .replace("$LINK", fixtures.resolve("link-to-data").toString()).replace("$HUGE_INIT", fixtures.resolve("huge-init").toString()).replace("$HUGE", fixtures.resolve("huge").toString())
                .replace("$VAST", fixtures.resolve("vast").toString());
    }

    /** Every path under {@code root} with its size and modification time, to see that nothing changed. */
    private static Map<String, Long> tree(Path root) throws IOException {
        Map<String, Long> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.forEach(p -> {
                try {
                    m.put(root.relativize(p).toString(), Files.isDirectory(p) ? -1 : Files.size(p) * 31 + Files.getLastModifiedTime(p).toMillis());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return m;
    }
}
