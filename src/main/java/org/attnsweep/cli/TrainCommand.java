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
import org.attnsweep.model.InitScheme;
import org.attnsweep.model.LabelMode;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Precision;
import org.attnsweep.model.Presets;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.SignalBasis;
import org.attnsweep.train.OutputDir;
import org.attnsweep.train.RunResult;
import org.attnsweep.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code train}: one config, {@code --repeats} runs of it in one lockstep batch. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains --repeats runs of one configuration in lockstep and writes config.json, "
                + "metrics.csv and summary.csv to --out.",
                "Defaults are paper B's setting; a --preset replaces them and explicit options override both."})
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--preset", description = "jiang-heatmap, jiang-dynamics-benign, jiang-dynamics-harmful or zhang-dynamics")
    String preset;

    @Option(names = "--d", description = "input dimension d") Integer d;
    @Option(names = "--M", description = "tokens per sample M (>= 2)") Integer M;
    @Option(names = "--mk", description = "width m_k of W_Q and W_K") Integer mk;
    @Option(names = "--mv", description = "width m_v of W_V and w_O") Integer mv;
    @Option(names = "--N", description = "training samples N") Integer N;
    @Option(names = "--sigma", description = "noise sigma per position 2..M, e.g. 4,0.2*14") String sigma;
    @Option(names = "--mu", description = "signal norm |mu|") Double mu;
    @Option(names = "--snr", description = "SNR = |mu|/(sigma_p sqrt(d)); sets |mu|") Double snr;
    @Option(names = "--p", description = "label-flip probability in [0, 0.5)") Double p;
    @Option(names = "--labels", description = "balanced or rademacher true labels") LabelMode labels;
    @Option(names = "--orthogonal-noise", negatable = true, description = "project noise off span(mu+, mu-)") Boolean orthogonalNoise;
    @Option(names = "--signals", description = "axis (e1, e2) or random orthonormal signal pair") SignalBasis signals;
    @Option(names = "--init", description = "torch (U(+-1/sqrt d)/divisor) or theory (Gaussian)") InitScheme init;
    @Option(names = "--sigma0", description = "theory init: sigma_0 of W_Q, W_K") Double sigma0;
    @Option(names = "--sigma-v", description = "theory init: sigma_V of W_V") Double sigmaV;
    @Option(names = "--sigma-o", description = "theory init: sigma_O of w_O") Double sigmaO;
    @Option(names = "--init-divisor", description = "torch init: divisor of W_Q, W_K, W_V") Double initDivisor;
    @Option(names = "--train-wo", negatable = true, description = "learnable w_O (paper B); --no-train-wo keeps it fixed (paper A)") Boolean trainWo;
    @Option(names = "--lr", description = "GD step eta") Double lr;
    @Option(names = "--steps", description = "at most this many GD steps T") Integer steps;
    @Option(names = "--target-loss", description = "stop a run at the first step with training loss below this (0 = never)") Double targetLoss;
    @Option(names = "--eval-every", description = "record metrics every this many steps") Integer evalEvery;
    @Option(names = "--test-n", description = "test samples") Integer testN;
    @Option(names = "--seed", description = "root seed") Long seed;
    @Option(names = "--repeats", description = "independent runs (repeat indices 0..repeats-1)") Integer repeats;
    @Option(names = "--attn-sample", description = "report attention of this training sample (-1 = mean)") Integer attnSample;

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
        if (d != null) s.d = d;
        if (M != null) s.M = M;
        if (mk != null) s.mk = mk;
        if (mv != null) s.mv = mv;
        if (N != null) s.N = N;
        if (sigma != null) s.sigma = RunSpec.parseSigma(sigma);
        else if (M != null && s.sigma.length != s.M - 1 && s.sigma.length > 0) {
            // M changed but not the σ list: keep σ_p for token 2 and repeat the last σ.
            double[] old = s.sigma;
            s.sigma = new double[Math.max(0, s.M - 1)];
            for (int i = 0; i < s.sigma.length; i++) s.sigma[i] = old[Math.min(i, old.length - 1)];
        }
        if (mu != null) s.mu = mu;
        if (snr != null) s.snr = snr;
        if (p != null) s.p = p;
        if (labels != null) s.labels = labels;
        if (orthogonalNoise != null) s.orthogonalNoise = orthogonalNoise;
        if (signals != null) s.signals = signals;
        if (init != null) s.init = init;
        if (sigma0 != null) s.sigma0 = sigma0;
        if (sigmaV != null) s.sigmaV = sigmaV;
        if (sigmaO != null) s.sigmaO = sigmaO;
        if (initDivisor != null) s.initDivisor = initDivisor;
        if (trainWo != null) s.trainWo = trainWo;
        if (lr != null) s.lr = lr;
        if (steps != null) s.steps = steps;
        if (targetLoss != null) s.targetLoss = targetLoss;
        if (evalEvery != null) s.evalEvery = evalEvery;
        if (testN != null) s.testN = testN;
        if (seed != null) s.seed = seed;
        if (repeats != null) s.repeats = repeats;
        if (attnSample != null) s.attnSample = attnSample;
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
