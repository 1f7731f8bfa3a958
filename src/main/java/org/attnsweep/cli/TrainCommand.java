package org.attnsweep.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.attnsweep.Version;
import org.attnsweep.data.DataFactory;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Engines;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Precision;
import org.attnsweep.model.Presets;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.attnsweep.train.OutputDir;
import org.attnsweep.train.RunResult;
import org.attnsweep.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code train}: one config, {@code --repeats} runs of it in one lockstep batch. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains --repeats runs of one configuration in lockstep and writes config.json, "
                + "metrics.csv and summary.csv to --out.",
                "Defaults are paper B's setting; a --preset replaces them and explicit options override both."},
        footer = {"Run options are listed above the engine options; boolean ones take true/false (bare = true)."})
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--preset", description = "jiang-heatmap, jiang-dynamics-benign, jiang-dynamics-harmful or zhang-dynamics")
    String preset;

    @Option(names = "--engine", defaultValue = "auto", description = "reference, vector, cuda or auto (default: ${DEFAULT-VALUE})")
    String engine;
    @Option(names = "--threads", defaultValue = "0", description = "CPU threads for the vector engine (0 = all cores)")
    int threads;
    @Option(names = "--precision", defaultValue = "float32", description = "float32 or float64 (fast engines)")
    String precision;
    @Option(names = "--out", required = true, description = "output directory") Path out;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Everything is resolved and checked before any work starts.
        RunSpec s = resolve();
        List<RunConfig> configs = s.configs();
        Precision prec = parsePrecision(precision);
        OutputDir dir = OutputDir.open(this.out);
        Engine eng = Engines.select(engine, prec, threads, new java.io.PrintStream(new WriterStream(err), true));

        long t0 = System.nanoTime();
        List<RunData> data = configs.stream().map(DataFactory::generate).toList();
        List<RunResult> results;
        try (EngineBatch batch = eng.open(data)) {
            results = Trainer.train(batch, data, false, null);
        }
        double secs = (System.nanoTime() - t0) / 1e9;

        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("tool", "attnsweep");
        cfg.put("version", Version.get());
        cfg.put("command", "train");
        cfg.put("preset", preset);
        if (preset != null) cfg.put("preset_notes", Presets.notes(preset));
        cfg.put("engine", eng.describe());
        cfg.put("wall_seconds", secs);
        cfg.put("runs", configs);
        dir.writeConfig(cfg);
        dir.writeMetrics(results);
        dir.writeSummary(results);

        long steps = results.stream().mapToLong(RunResult::stopStep).sum();
        out.printf(Locale.ROOT, "%d runs, %d run-steps in %.1f s (%.0f run-steps/s) -> %s%n",
                results.size(), steps, secs, steps / secs, dir.path());
        out.printf(Locale.ROOT, "%4s %6s %6s %11s %10s %10s %10s %11s %9s%n", "run", "N", "snr", "stop_step",
                "train_loss", "test_loss", "test_error", "attn_signal", "diverged");
        for (int r = 0; r < results.size(); r++) {
            RunResult res = results.get(r);
            double[] m = res.finalMetrics();
            out.printf(Locale.ROOT, "%4d %6d %6.3f %11d %10.4g %10.4g %10.3f %11.3f %9s%n", r, res.config().N(),
                    res.config().snr(), res.stopStep(), m[Metric.TRAIN_LOSS.ordinal()], m[Metric.TEST_LOSS.ordinal()],
                    m[Metric.TEST_ERROR.ordinal()], m[Metric.ATTN_SIGNAL.ordinal()], res.diverged());
        }
        return 0;
    }

    /** Defaults, then the preset, then every option the user gave. */
    RunSpec resolve() {
        RunSpec s = new RunSpec();
        if (preset != null) Presets.apply(preset, s);
        RunOptions.given(spec.commandLine().getParseResult()).forEach(s::set);
        return s;
    }

    static Precision parsePrecision(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "float32", "fp32", "f32" -> Precision.FLOAT32;
            case "float64", "fp64", "f64" -> Precision.FLOAT64;
            default -> throw new IllegalArgumentException("--precision must be float32 or float64: got '" + s + "'");
        };
    }
}
