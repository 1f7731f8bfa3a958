package org.attnsweep.cli;

import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attnsweep.data.DataFactory;
import org.attnsweep.data.ImageData;
import org.attnsweep.data.NpyData;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.Weights;
import org.attnsweep.sweep.Plan;
import org.attnsweep.sweep.PlannedRun;
import org.attnsweep.sweep.Sweeper;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The run options shared by {@code train} and {@code sweep}: one {@code --key} option for every
 * key of {@link RunSpec#KEYS}, added to a command programmatically so the list of options, their
 * help and the sweep-spec keys come from one place.
 */
final class RunOptions {
    private RunOptions() {
    }

    private static boolean isFlag(String key) {
        return key.equals("train-wo") || key.equals("orthogonal-noise");
    }

    /** Adds every run option to {@code spec} (the command's footer says how lists are written). */
    static void register(CommandSpec spec) {
        for (Map.Entry<String, String> e : RunSpec.KEYS.entrySet()) {
            OptionSpec.Builder b = OptionSpec.builder("--" + e.getKey()).type(String.class)
                    .paramLabel("<" + e.getKey() + ">").description(e.getValue());
            if (isFlag(e.getKey())) b.arity("0..1").fallbackValue("true");
            spec.addOption(b.build());
        }
    }

    /** What to do when the heap is too small, said the same way in every message. */
    static final String MORE_HEAP = "give the JVM more heap with ATTNSWEEP_JAVA_OPTS=-Xmx<size>";

    /** The most CPU threads --threads may ask for: far past any core count, short of what a JVM cannot start. */
    static final int MAX_THREADS = 1024;

    /** Refuses a --threads count out of [0, {@value #MAX_THREADS}] (0 = all cores). */
    static void checkThreads(int threads) {
        if (threads < 0 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("--threads must be in [0, " + MAX_THREADS + "] (0 = all cores): got " + threads);
        }
    }

    /** Refuses an output directory option that is empty (it would mean the current directory) or names a file. */
    static void checkOut(String option, java.nio.file.Path dir) {
        if (dir.toString().isBlank()) throw new IllegalArgumentException(option + " must name a directory: got ''");
        if (java.nio.file.Files.exists(dir) && !java.nio.file.Files.isDirectory(dir)) {
            throw new IllegalArgumentException(option + " " + dir + " is a file, not a directory");
        }
        // a directory to be made below a file, or in (or to be written) on a read-only mount, cannot
        // be: said here, before the engine is chosen and its lines printed (s21b audit: a read-only one was refused after them)
        for (java.nio.file.Path up = dir.toAbsolutePath(); up != null; up = up.getParent()) {
            if (!java.nio.file.Files.exists(up)) continue;
            if (!java.nio.file.Files.isDirectory(up)) {
                throw new IllegalArgumentException(option + " " + dir + " cannot be created: " + up + " is a file, not a directory");
            }
            if (!java.nio.file.Files.isWritable(up)) {
                throw new IllegalArgumentException(option + " " + dir + (up.equals(dir.toAbsolutePath()) ? " is not writable" : " cannot be created")
                        + ": " + up + " is read-only (a read-only mount, or its permissions)");
            }
            break;
        }
    }

    /**
     * Refuses a results --out (train, sweep, reproduce) that exists, is not empty and is no
     * results directory: a dataset's folder, a home directory. Every directory a command has
     * written holds its lock file ({@code attnsweep.lock}, never removed), and a results directory
     * copied without it still holds its config.json or summary.csv; a directory with none of the
     * three is someone else's, and results written into it would mix with its files. Whether a
     * results directory holds this plan's runs is the store's to check (it refuses another plan).
     *
     * @param nested whether a subdirectory that is a results directory makes {@code dir} one too:
     *               reproduce's layout, a directory per preset (merged there from shards, its top
     *               holds no lock until reproduce runs in it)
     */
    static void checkResultsOut(java.nio.file.Path dir, boolean nested) {
        if (!java.nio.file.Files.isDirectory(dir)) return;
        List<String> names = list(dir);
        if (names.isEmpty() || names.stream().anyMatch(RESULTS_MARKS::contains)) return;
        if (nested && names.stream().map(dir::resolve).anyMatch(p -> java.nio.file.Files.isDirectory(p)
                && list(p).stream().anyMatch(RESULTS_MARKS::contains))) {
            return;
        }
        throw new IllegalArgumentException("--out " + dir + " is not empty and holds no results (" + String.join(", ", names.subList(0,
                Math.min(3, names.size()))) + (names.size() > 3 ? ", ..." : "") + "): give a new or empty directory, or a results directory to resume");
    }

    /** Whether {@code dir} is a results directory: it holds one of {@link #RESULTS_MARKS}. */
    static boolean holdsResults(java.nio.file.Path dir) {
        try {
            return java.nio.file.Files.isDirectory(dir) && list(dir).stream().anyMatch(RESULTS_MARKS::contains);
        } catch (IllegalArgumentException unlistable) {
            return false;
        }
    }

    private static List<String> list(java.nio.file.Path dir) {
        try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--out " + dir + " cannot be listed: " + e.getMessage());
        }
    }

    /** What marks a directory as results: its lock file (org.attnsweep.sweep.DirLock.NAME), config.json, summary.csv. */
    private static final java.util.Set<String> RESULTS_MARKS = java.util.Set.of(org.attnsweep.sweep.DirLock.NAME, "config.json", "summary.csv");

    /**
     * A path as compared with others: absolute, normalised, and with symbolic links followed in
     * the part of it that exists (a directory still to be created may lie under a link).
     */
    static java.nio.file.Path resolved(java.nio.file.Path p) {
        java.nio.file.Path a = p.toAbsolutePath().normalize(), existing = a;
        while (existing != null && !java.nio.file.Files.exists(existing)) existing = existing.getParent();
        if (existing == null) return a;
        try {
            return existing.toRealPath().resolve(existing.relativize(a));
        } catch (java.io.IOException e) {
            return a;
        }
    }

    /** The run options the user gave, key → text, in {@link RunSpec#KEYS} order. */
    static Map<String, String> given(ParseResult parsed) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String key : RunSpec.KEYS.keySet()) {
            if (parsed.hasMatchedOption("--" + key)) out.put(key, parsed.matchedOption("--" + key).getValue());
        }
        return out;
    }

    // ---- Options that would change nothing: refused rather than recorded as if they had ----

    /**
     * Refuses --mu and --snr given together: both set ‖μ‖ (--snr through ‖μ‖ = snr·σ_p·√d), and
     * the one set last won silently; as lists, a sweep's grid over both collapsed to one axis.
     */
    static void checkMuSnr(Collection<String> given) {
        if (given.contains("mu") && given.contains("snr")) {
            throw new IllegalArgumentException("--mu and --snr both set |mu| (--snr as snr*sigma_p*sqrt(d)): give one of them");
        }
    }

    /** The options each init scheme alone reads: the other scheme's runs would record them unused. */
    private static final Map<String, List<String>> INIT_PARAMS = Map.of(
            "theory", List.of("sigma0", "sigma-v", "sigma-o"), "torch", List.of("init-divisor"));

    /**
     * Refuses an init parameter given or swept (an axis of a preset) where no run uses the scheme
     * that reads it: {@code --init torch --sigma0 0.1,0.2} trained the same runs twice under two
     * keys, and zhang-vinit's σ_V axis under {@code --init torch} six times.
     *
     * @param schemes the init schemes the runs use (names, lower case)
     * @param set     the run options given or swept
     */
    static void checkInitParams(Collection<String> schemes, Collection<String> set) {
        for (Map.Entry<String, List<String>> e : INIT_PARAMS.entrySet()) {
            if (schemes.contains(e.getKey())) continue;
            for (String k : e.getValue()) {
                if (set.contains(k)) {
                    throw new IllegalArgumentException("--" + k + " is a parameter of --init " + e.getKey() + " only, and the runs use --init "
                            + String.join(",", schemes) + ": drop --" + k + " or use --init " + e.getKey());
                }
            }
        }
    }

    /** Options that only shape generated data (and the drawn test set): --data-from's files are the data as read. */
    private static final List<String> GENERATED_DATA = List.of("sigma", "mu", "snr", "snr-sigma", "p", "labels", "orthogonal-noise",
            "signals", "test-sigma-scale", "test-signal-angle", "test-p");

    /** Options that only shape drawn initial weights: --init-from's files are the weights as read. */
    private static final List<String> DRAWN_INIT = List.of("init", "sigma0", "sigma-v", "sigma-o", "init-divisor");

    /**
     * Refuses an option given beside the files that replace what it shapes: with --data-from,
     * --p 0.2 trained on the file's labels and recorded p = 0.2 in summary.csv (likewise --mu,
     * --snr, --sigma: a wrong SNR on every figure); with --init-from, --init theory or --sigma0
     * changed nothing.
     */
    static void checkFileInputs(Collection<String> given, Path dataFrom, Path initFrom) {
        if (dataFrom != null) {
            refuseAny(given, GENERATED_DATA, "data", "--data-from " + dataFrom + "'s train_x.npy, test_x.npy and their labels");
        }
        if (initFrom != null) {
            refuseAny(given, DRAWN_INIT, "initial weights", "--init-from " + initFrom + "'s W_Q.npy, W_K.npy, W_V.npy and w_O.npy");
        }
    }

    private static void refuseAny(Collection<String> given, List<String> keys, String what, String files) {
        for (String k : keys) {
            if (given.contains(k)) {
                throw new IllegalArgumentException("--" + k + " shapes generated " + what + ", and the " + what + " are " + files
                        + " as read: drop --" + k);
            }
        }
    }

    /**
     * Refuses generated tokens whose squared norm is past the precision's largest value, as NPY data
     * is refused ({@link NpyData.Inputs#checkRange}): every step multiplies tokens with tokens, so
     * such a run is only overflow (--mu 1e30 in float32 was stored as diverged at step 0, as if GD
     * had diverged). The signal token is exactly μ; a noise token's squared norm is σ²·d on average
     * (σ times --test-sigma-scale in the test set), so a refused run overflows for certain and one
     * near the bound is still flagged when it overflows (Trainer). Image runs' pixels are in [0, 1].
     */
    static void checkGeneratedRange(List<PlannedRun> runs, org.attnsweep.model.Precision precision) {
        double max = precision == org.attnsweep.model.Precision.FLOAT32 ? Float.MAX_VALUE : Double.MAX_VALUE;
        for (PlannedRun r : runs) {
            RunConfig c = r.config();
            if (c.images() != null) continue;
            String why = null;
            if (c.mu() * c.mu() > max) {
                why = "the signal tokens' norm |mu| = " + fmt(c.mu()) + " is";
            } else {
                for (double s : c.sigma()) {
                    double scale = Math.max(1, c.testSigmaScale());
                    if (s * s * c.d() * scale * scale > max) {
                        why = (c.testSigmaScale() > 1 && s * s * c.d() <= max ? "--test-sigma-scale " + fmt(c.testSigmaScale()) + " makes test"
                                : "--sigma " + fmt(s) + " makes") + " noise tokens of norm about " + fmt(s * scale * Math.sqrt(c.d())) + " (sigma*sqrt(d)),";
                        break;
                    }
                }
            }
            if (why != null) {
                String p = precision.name().toLowerCase(java.util.Locale.ROOT);
                throw new IllegalArgumentException("run " + r.index() + ": " + why + " over " + p + "'s range for products of tokens (norm at most "
                        + fmt(Math.sqrt(max)) + "): lower it" + (precision == org.attnsweep.model.Precision.FLOAT32 ? " or use --precision float64" : ""));
            }
        }
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.3g", v);
    }

    // ---- Inputs: image runs and NPY files (shapes from the files, every check before any work) ----

    /** Image options a sweep cannot vary: summary.csv has no column for them (patch varies d and M). */
    static final List<String> ONE_PER_SWEEP = List.of("images", "classes");

    /** Options image runs take from the image (d, M) or do not use (σ, SNR, the signal basis). */
    private static final List<String> NOT_FOR_IMAGES = List.of("d", "M", "sigma", "snr", "snr-sigma", "signals", "orthogonal-noise");

    /**
     * Refuses, for runs that use images, an option they take from the image or do not use, so
     * {@code --d 64} beside {@code --images} is an error rather than silently replaced by p².
     */
    static void checkImageOptions(boolean images, Collection<String> given) {
        if (!images) return;
        for (String k : NOT_FOR_IMAGES) {
            if (given.contains(k)) {
                throw new IllegalArgumentException("--" + k + " does not apply to image runs (--images): d = patch^2, "
                        + "M = (28/patch)^2, noise |xi| with xi ~ N(0, 1) on the border, SNR = --mu");
            }
        }
    }

    /**
     * Takes the shapes from the files read: N, M, d and test N from a data directory's train_x.npy
     * and test_x.npy, m_k and m_v (and d) from an init directory's W_Q.npy and W_V.npy. An option
     * given explicitly that disagrees is refused naming both values.
     */
    static void shapesFromFiles(RunSpec s, Map<String, String> given, NpyData.Inputs files, Path dataDir, Path initDir) {
        if (files.train() != null) {
            String from = " in --data-from " + dataDir;
            take(s, given, "N", files.train().N(), "train_x.npy's N", from);
            take(s, given, "M", files.train().M(), "train_x.npy's M", from);
            take(s, given, "d", files.train().d(), "train_x.npy's d", from);
            take(s, given, "test-n", files.test().N(), "test_x.npy's N_test", from);
        }
        Weights w = files.init();
        if (w != null) {
            String from = " in --init-from " + initDir;
            take(s, given, "mk", w.mk(), "W_Q.npy's m_k", from);
            take(s, given, "mv", w.mv(), "W_V.npy's m_v", from);
            take(s, given, "heads", w.heads(), "W_Q.npy's H", from);
            // Image runs take d from the patch; their check names a W_Q.npy of another d.
            if (s.images == null) take(s, given, "d", w.d(), "W_Q.npy's d", from);
        }
    }

    private static void take(RunSpec s, Map<String, String> given, String key, int value, String what, String from) {
        String v = Integer.toString(value);
        if (given.containsKey(key) && !given.get(key).trim().equals(v)) {
            throw new IllegalArgumentException("--" + key + " " + given.get(key).trim() + " disagrees with " + what + " = " + v + from
                    + ": drop --" + key + " (the files set it)");
        }
        s.set(key, v);
    }

    /**
     * Where the plan's runs get their data and W(0): {@code files} read once (null: nothing read)
     * or drawn from the runs' streams. Checks every run against the files' shapes, and every image
     * run's directory and class sizes ({@link ImageData#check}), before any work; the plan
     * fingerprint gets the files' and the images' fingerprints, so results on other inputs are never
     * taken for these.
     */
    static Sweeper.Inputs inputs(Plan plan, NpyData.Inputs files) {
        List<RunConfig> configs = plan.runs().stream().map(PlannedRun::config).toList();
        if (files != null) configs.forEach(files::check);
        String fp = String.join(",", java.util.stream.Stream.of(files == null ? "" : files.fingerprint(), ImageData.check(configs))
                .filter(f -> !f.isEmpty()).toList());
        if (fp.isEmpty()) return Sweeper.Inputs.GENERATED;
        return new Sweeper.Inputs(files == null ? DataFactory::generate : files::runData, fp, files != null && files.train() != null);
    }
}
