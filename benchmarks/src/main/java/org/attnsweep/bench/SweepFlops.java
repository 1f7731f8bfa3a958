package org.attnsweep.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.attnsweep.sweep.StoreCsv;

/**
 * The arithmetic a finished sweep did, from its summary.csv, counted once by the project's FLOP
 * formulas: each run's stop steps × {@link RunConfig#stepFlops} and its test evaluations after step 0
 * ({@link RunConfig#evaluations}) × {@link RunConfig#evalFlops} (leading terms, span form). Used by
 * scripts/heatmap-bench to print achieved GFLOP/s beside the FMA peak. The counts depend on the
 * shapes only (d, M, m_k, m_v, N, testN, eval-every), which are what the config is rebuilt from.
 *
 * <p>Usage: {@code java -cp benchmarks.jar:attnsweep.jar org.attnsweep.bench.SweepFlops DIR}; prints
 * {@code runs=… run_steps=… evaluations=… step_flop=… eval_flop=…} on one line.
 */
public final class SweepFlops {
    private SweepFlops() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: SweepFlops DIR (a sweep's result directory, with summary.csv)");
            System.exit(2);
        }
        Path summary = Path.of(args[0]).resolve(StoreCsv.Kind.SUMMARY.file());
        if (!Files.isRegularFile(summary)) {
            System.err.println("SweepFlops: no " + summary);
            System.exit(2);
        }
        long[] runs = {0}, runSteps = {0}, evaluations = {0}, bad = {0};
        double[] stepFlop = {0}, evalFlop = {0};
        StoreCsv.read(summary, StoreCsv.Kind.SUMMARY, row -> {
            RunSpec s = new RunSpec();
            for (String c : new String[] {"d", "M", "mk", "mv", "N", "eval_every", "test_n", "steps"}) {
                s.set(c.replace('_', '-'), row.get(c));
            }
            RunConfig c = s.build(row.integer("repeat"));
            int stop = row.integer("stop_step");
            runs[0]++;
            runSteps[0] += stop;
            evaluations[0] += c.evaluations(stop);
            stepFlop[0] += stop * c.stepFlops();
            evalFlop[0] += c.evaluations(stop) * c.evalFlops();
        }, b -> bad[0]++);
        if (bad[0] > 0) {
            System.err.println("SweepFlops: " + bad[0] + " malformed lines in " + summary + " not counted");
            System.exit(1);
        }
        System.out.printf(Locale.ROOT, "runs=%d run_steps=%d evaluations=%d step_flop=%.6e eval_flop=%.6e%n",
                runs[0], runSteps[0], evaluations[0], stepFlop[0], evalFlop[0]);
    }
}
