package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.attnsweep.Cli.Result;
import org.attnsweep.engine.EngineCase;
import org.attnsweep.engine.vector.VectorWidth;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A small sweep stored by main at 4595e6f, before heads, losses and mini-batches existed
 * (src/test/resources/golden/beyond/ENGINE/), rerun on every engine and formulation: every column
 * metrics.csv and summary.csv had then must hold the same text, row for row, now (bit for bit: the
 * numbers are written in full). reference/ and cuda/ are 4595e6f's files. vector/ and direct/ were
 * stored again, in the same columns, by the commit after f348f6f: the float32 evaluation of
 * 22f3371 (EvalF32) and f348f6f's family-shared step-0 scores changed the last digits of the
 * evaluation columns (losses, attn_*, qk_*) by at most 1.5e-6 absolute, 6e-6 relative, 0.25% of
 * EngineDifferentialTest's float32 tolerance; the other columns, errors and v_* among them, kept
 * their text. direct/ was stored again after the merge of the direct form's column-wise scores
 * (60b93ae, 0729658: keys through K' = T Aᵀ, a lane-wise softmax, Γ summed sample by sample, r by
 * axpy): the training path's float32 rounding moved every numeric column by at most 9.5e-7 absolute,
 * 8.9e-6 relative (qk_nn), stop steps and errors kept their text. The direct form's evaluation on the bilinear
 * rows (1ce27bf) left direct/ as it was: this sweep (d = 24, m_k = 8) scores through W_Q, W_K. vector/, direct/ (and
 * ShiftOptionsTest's golden/shift/, the same vector sweep) were stored again after the softmax took
 * its exponentials a vector of keys at a time (VectorExp, s19): every numeric column moved by at
 * most 3.8e-6 absolute (qk_ss), 3.6e-6 relative (v_noise, direct); stop steps, errors and
 * reached_target kept their text. Bit for bit on a machine of the width the files were stored at
 * ({@link #STORED_BITS}); at another width within a tight tolerance ({@link #assertField}). Any column added since must be listed in {@link #ADDED} with the text
 * every row of a default run holds (a model option's default leaves the model exactly as it was). The cuda case runs where the engine
 * loads (a GPU, or scripts/emu-check's emulated driver) and is skipped elsewhere.
 */
class GoldenResultTest {
    /** The stored sweep: 32 runs, two signal kinds, noise scales, N, |μ|, p; 30 steps. */
    static final String[] SWEEP = {"sweep", "--d", "24", "--M", "3", "--sigma", "1,0.5", "--mk", "8", "--mv", "8", "--N", "4,8",
            "--mu", "3,30", "--p", "0,0.1", "--signals", "axis,random", "--repeats", "2", "--steps", "30", "--eval-every", "10",
            "--test-n", "20"};

    /**
     * Columns of metrics.csv or summary.csv that did not exist at 4595e6f, each {name, the text a
     * default run writes}; null text for a column whose default value is another column's (e.g. a
     * loss reported in the logistic loss too), which its own test checks.
     */
    static final List<String[]> ADDED = List.of(
            // --loss and --batch-size (LossBatchOptionsTest checks the null ones: the logistic-loss
            // columns equal train_loss and test_loss, batch_size equals N, for default runs)
            new String[] {"loss", "logistic"}, new String[] {"batch_size", null},
            new String[] {"train_loss_logistic", null}, new String[] {"test_loss_logistic", null},
            // --heads
            new String[] {"heads", "1"});

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vector", "vector threads=2", "direct", "direct threads=2", "reference", "cuda"})
    void defaultRunsReproduceTheStoredResultsBitForBit(String kase, @TempDir Path tmp) throws IOException {
        // The stored files came from one thread; two must give the same bits (a run's result never
        // depends on the thread that steps it or on its batch's other runs).
        String engine = kase.split(" ")[0], threads = kase.endsWith("threads=2") ? "2" : "1";
        if (engine.equals("cuda")) {
            EngineCase.assumeCuda();
        }
        Path out = tmp.resolve(engine);
        List<String> args = new ArrayList<>(List.of(SWEEP));
        args.addAll(List.of("--threads", threads));
        args.addAll(switch (engine) {
            case "vector" -> List.of("--engine", "vector", "--formulation", "span");
            case "direct" -> List.of("--engine", "vector", "--formulation", "direct");
            default -> List.of("--engine", engine);
        });
        args.addAll(List.of("--out", out.toString()));
        Result r = cli(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        sameOldColumns(engine, "metrics.csv", out);
        sameOldColumns(engine, "summary.csv", out);
    }

    /** Every column the stored file has holds the same text in every row; every other column is declared in ADDED. */
    private static void sameOldColumns(String engine, String file, Path out) throws IOException {
        List<String> was = stored(engine, file).lines().toList(), now = Files.readAllLines(out.resolve(file));
        assertEquals(was.size(), now.size(), "rows of " + file);
        List<String> oldCols = List.of(was.get(0).split(",")), newCols = List.of(now.get(0).split(","));
        for (String c : oldCols) assertTrue(newCols.contains(c), "column " + c + " is gone from " + file);
        for (String c : newCols) {
            assertTrue(oldCols.contains(c) || ADDED.stream().anyMatch(a -> a[0].equals(c)), "column " + c + " of " + file + " is new and not in ADDED");
        }
        for (int i = 1; i < was.size(); i++) {
            String[] a = was.get(i).split(",", -1), b = now.get(i).split(",", -1);
            assertEquals(newCols.size(), b.length, "fields of row " + i + " of " + file);
            for (int c = 0; c < oldCols.size(); c++) {
                assertField(a[c], b[newCols.indexOf(oldCols.get(c))], engine.equals("reference"), oldCols.get(c) + " of row " + i + " of " + file);
            }
            for (String[] added : ADDED) {
                int at = newCols.indexOf(added[0]);
                if (at >= 0 && added[1] != null) assertEquals(added[1], b[at], added[0] + " of row " + i + " of " + file);
            }
        }
    }

    /**
     * The vector width, in bits, of the machine that stored the files (an AVX-512 core). A float
     * result's last digits follow the width: the engines sum across a vector's lanes, so 8 lanes of
     * float32 (AVX2) add in another order than 16, and the float64 metrics likewise (s24, an AVX2
     * Zen 3: every float32 column within 2.2e-5 absolute, 8.1e-6 relative of the stored one, the
     * reference's within 3.6e-15 absolute, 1.4e-14 relative, every other field the same text).
     */
    static final int STORED_BITS = 512;

    /**
     * Whether the engines' vector width (this JVM's preferred one, or the one scripts/width-check sets:
     * VectorWidth) is the stored files' ({@link #STORED_BITS}): then they must hold the same text.
     */
    static boolean storedWidth() {
        return VectorWidth.bits() == STORED_BITS;
    }

    /**
     * A stored field against the one written now: the same text at the storing width; at another
     * width the same text, or two numbers within atol + rtol·|stored| (float32 engines 1e-5 + 1e-4·|x|,
     * float64 1e-13 + 1e-12·|x|: 5–10× the differences a width makes, far inside the engines'
     * differential tolerances), so that stop steps, flags and error rates still match exactly.
     */
    static void assertField(String was, String now, boolean float64, String what) {
        if (was.equals(now) || storedWidth()) {
            assertEquals(was, now, what);
            return;
        }
        double x, y;
        try {
            x = Double.parseDouble(was);
            y = Double.parseDouble(now);
        } catch (NumberFormatException e) {
            assertEquals(was, now, what);
            return;
        }
        double tol = float64 ? 1e-13 + 1e-12 * Math.abs(x) : 1e-5 + 1e-4 * Math.abs(x);
        assertTrue(Math.abs(x - y) <= tol, what + ": stored " + was + ", now " + now + " (another vector width: "
                + VectorWidth.bits() + " bits, tolerance " + tol + ")");
    }

    private static String stored(String engine, String name) throws IOException {
        try (InputStream in = GoldenResultTest.class.getResourceAsStream("/golden/beyond/" + engine + "/" + name)) {
            assertNotNull(in, "no stored " + engine + "/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
