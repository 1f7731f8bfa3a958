package org.attnsweep.engine.cuda;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.attnsweep.Cli.Result;
import org.attnsweep.Fixtures;
import org.attnsweep.engine.EngineCase;
import org.attnsweep.engine.Formulation;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.attnsweep.sweep.Plan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cuda sweep split into many batches, each opened while the one before it steps (the sweep's
 * look-ahead for engines that train off the host), stores the same results as the same sweep in
 * one batch: every row of summary.csv and metrics.csv, bit for bit (compared as sets of lines: a
 * batch's runs are stored as they finish). Runs where the engine loads (a GPU, or the emulated
 * driver of scripts/emu-check), skipped elsewhere.
 */
class CudaSweepAheadTest {
    /** 24 runs of two families (repeats), N and ‖μ‖ mixed. */
    static final int RUNS = 24;
    static final String[] SWEEP = {"sweep", "--engine", "cuda", "--d", "400", "--M", "3", "--sigma", "1,0.5", "--mk", "16",
            "--mv", "16", "--N", "4,8,12", "--mu", "3,30", "--p", "0,0.1", "--repeats", "2", "--steps", "20", "--eval-every", "10",
            "--test-n", "10"};

    @Test
    void manyBatchesOpenedAheadStoreWhatOneBatchStores(@TempDir Path tmp) throws IOException {
        EngineCase.assumeCuda();
        // The smallest budget, 1 MiB (halved: the host holds two batches), holds a few of these runs.
        long perBatch = (1L << 19) / Plan.runBytes(largest(), Formulation.SPAN);
        int batches = (int) ((RUNS + perBatch - 1) / Math.max(1, perBatch));
        assertTrue(batches >= 3, "1 MiB holds " + perBatch + " runs: the sweep would not split into several batches");
        sweep(tmp.resolve("one"));
        sweep(tmp.resolve("many"), "--memory-mb", "1");
        for (String file : new String[] {"summary.csv", "metrics.csv"}) {
            List<String> want = sorted(tmp.resolve("one").resolve(file)), got = sorted(tmp.resolve("many").resolve(file));
            assertEquals(want, got, file + " of " + batches + " batches opened ahead vs one batch");
        }
    }

    /** The sweep's largest run (N = 12). */
    static RunConfig largest() {
        RunSpec s = Fixtures.shape(400, 3, 16, 16, 12);
        s.testN = 10;
        s.sigma = new double[] {1, 0.5};
        return s.build(0);
    }

    /** Runs the sweep, with {@code more} options, into {@code out}; returns what it printed. */
    static String sweep(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of(SWEEP));
        args.addAll(List.of(more));
        args.addAll(List.of("--out", out.toString()));
        Result r = cli(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return r.out() + "\n" + r.err();
    }

    /** The file's lines, sorted (a batch's runs are stored as they finish). */
    static List<String> sorted(Path file) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        java.util.Collections.sort(lines);
        return lines;
    }
}
