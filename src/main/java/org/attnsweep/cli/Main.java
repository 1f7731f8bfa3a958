package org.attnsweep.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.attnsweep.Version;
import org.attnsweep.engine.Engines;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunSpec;
import org.attnsweep.sweep.FailureTrace;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The attnsweep command line. Results go to stdout and files; diagnostics to stderr. */
@Command(name = "attnsweep", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        description = "Trains the two-layer softmax transformer of benign-overfitting theory, many runs at once.")
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * Runs the CLI with the given streams; returns the exit code (0 ok, 2 bad input, 1 failure).
     * With ATTNSWEEP_DEBUG=1 in the environment a failure's trace is printed after its line too.
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        String width = org.attnsweep.engine.vector.VectorWidth.problem();
        if (width != null) {
            // A JVM started with a vector width the kernels cannot be built for: refused before the warm-up builds them.
            err.println("attnsweep: " + width);
            return 2;
        }
        warmUpEarly(args);
        CommandLine cl = new CommandLine(new Main());
        String first = args.length > 0 ? args[0] : "";
        if (SUBCOMMANDS.containsKey(first) && !first.equals("help")) {
            // Only the model of the subcommand run: all of them take ~0.25 s of annotation reflection at start.
            cl.addSubcommand(first, SUBCOMMANDS.get(first).get());
        } else if (!(args.length == 1 && VERSION.contains(first))) {
            // Help, usage, a missing or unknown name: the whole model, so their output reads as before.
            SUBCOMMANDS.forEach((name, model) -> cl.addSubcommand(name, model.get()));
        }
        return execute(cl, args, out, err, "1".equals(System.getenv(DEBUG)));
    }

    /**
     * Starts the engine's kernel warm-up ({@link Engines#warmUpAhead}) before the command line is
     * even parsed, where {@link #earlyWarmUp} reads one from the raw arguments: building the
     * command's model and parsing take ~0.3 s of one thread, which the warm-up's threads and the
     * compilers then overlap (with scripts/attnsweep's compile thresholds; benchmarks/RESULTS.md,
     * s24). The command's own call, after its checks, returns this thread (once per JVM and
     * precision). A command refused as bad input still prints its one line and exits at once: the
     * warm-up writes nothing and decides no result.
     */
    static void warmUpEarly(String[] args) {
        EarlyWarmUp w = earlyWarmUp(args);
        if (w != null) Engines.warmUpAhead(w.engine(), w.precision());
    }

    /** The engine (vector or auto) and precision whose warm-up a command's raw arguments call for early. */
    record EarlyWarmUp(String engine, Precision precision) {
    }

    /**
     * What {@link #warmUpEarly} starts for these arguments, or null: a command that trains (train,
     * sweep, reproduce; not with --help, --version, --dry-run or --check-options anywhere) on an
     * engine that warms up (--engine vector or auto as typed, auto when absent) at the precision
     * typed (float32 when absent). Anything it cannot read (a value missing or unknown) starts
     * nothing: the command's own checks then say what is wrong.
     */
    static EarlyWarmUp earlyWarmUp(String[] args) {
        if (args.length == 0 || !(args[0].equals("train") || args[0].equals("sweep") || args[0].equals("reproduce"))) return null;
        String engine = "auto", precision = null;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help") || a.equals("-V") || a.equals("--version") || a.equals("--dry-run")
                    || a.equals("--check-options")) return null;
            boolean joined = a.startsWith("--engine=") || a.startsWith("--precision=");
            if (!joined && !a.equals("--engine") && !a.equals("--precision")) continue;
            if (!joined && i + 1 == args.length) return null;
            String value = joined ? a.substring(a.indexOf('=') + 1) : args[++i];
            if (a.startsWith("--engine")) engine = value;
            else precision = value;
        }
        if (!engine.equals("vector") && !engine.equals("auto")) return null;
        try {
            return new EarlyWarmUp(engine, EngineOptions.precisionOf(precision));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The environment variable that prints a failure's trace on stderr, after its line. */
    static final String DEBUG = "ATTNSWEEP_DEBUG";

    /** A command whose results directory holds the trace of a failure ({@link FailureTrace}): its --out, or the DIR it reads. */
    interface Results {
        Path results();

        /** The trace's file name in {@link #results()}: {@value FailureTrace#NAME}, or a reader's own ({@link Reader}). */
        default String trace() {
            return FailureTrace.NAME;
        }
    }

    /**
     * A command that only reads a results directory (aggregate, plot, report): its failure's trace
     * goes to its own file ({@link FailureTrace#of}, named by the command's name), which its next
     * success retires ({@link #execute}).
     */
    interface Reader extends Results {
        @Override
        default String trace() {
            return FailureTrace.of(getClass().getAnnotation(Command.class).name());
        }
    }

    /** Executes {@code cl} (the CLI, or a command of a test) as the CLI does: its conventions, its handling of bad input and failures. */
    static int execute(CommandLine cl, String[] args, PrintWriter out, PrintWriter err, boolean debug) {
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOverwrittenOptionsAllowed(true); // the last value wins, so presets in scripts can be overridden
        // Every number option of every command is finite: NaN and infinities are refused as typed.
        CommandLine.ITypeConverter<Double> finite = Main::finite;
        cl.registerConverter(Double.class, finite);
        cl.registerConverter(double.class, finite);
        // Every path of every command: a leading '~' reached us unexpanded, and would become a directory named '~'.
        cl.registerConverter(Path.class, Main::path);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("attnsweep: " + oneLine(ex.getMessage()) + " (see: attnsweep " + ex.getCommandLine().getCommandName() + " --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parse) -> {
            if (ex instanceof org.attnsweep.sweep.Sweeper.BatchFailure) {
                // A fault during the work, not bad input: its line names the runs, the cause, what
                // was stored and the file holding the trace.
                err.println("attnsweep: " + oneLine(ex.getMessage()));
                if (debug) ex.printStackTrace(err);
                return 1;
            }
            if (ex instanceof IllegalArgumentException) {
                err.println("attnsweep: " + oneLine(ex.getMessage()));
                return 2;
            }
            Throwable io = ex instanceof java.io.UncheckedIOException u ? u.getCause() : ex;
            if (io instanceof java.nio.file.NoSuchFileException || io instanceof java.nio.file.NotDirectoryException) {
                // A path the user named that is not there (or not a directory) is bad input, not an I/O fault.
                err.println("attnsweep: " + (io instanceof java.nio.file.NoSuchFileException ? "no such file or directory: "
                        : "not a directory: ") + ((java.nio.file.FileSystemException) io).getFile());
                return 2;
            }
            if (ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
                err.println("attnsweep: I/O error: " + oneLine(ex.getMessage()));
                return 1;
            }
            return failed(ex, c, err, debug);
        });
        try {
            int code = cl.execute(args);
            if (code == 0) retireReaderTrace(cl, err);
            return code;
        } catch (OutOfMemoryError e) {
            // The checks before work count what a run holds; what they cannot foresee ends here, in one line.
            err.println("attnsweep: out of memory (" + e.getMessage() + ", heap " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB): use smaller shapes or batches (--memory-mb), or give the JVM more heap with ATTNSWEEP_JAVA_OPTS=-Xmx<size>"
                    + (e instanceof org.attnsweep.sweep.Sweeper.OutOfMemory m ? "; " + m.stored() : ""));
            return 1;
        }
    }

    /**
     * Anything else that went wrong (a defect: in aggregation after training, the figures, the
     * report...) ends the command as a batch's fault does: one line naming the command, where it
     * failed (the innermost frame of ours) and the cause, exit 1. The trace goes to the results
     * directory's {@link FailureTrace#NAME}, named in the line, when the command has one; without
     * one it is printed only with {@value #DEBUG}=1, and the line says so.
     */
    private static int failed(Exception ex, CommandLine c, PrintWriter err, boolean debug) {
        String line = "attnsweep: " + c.getCommandName() + " failed" + where(ex) + ": " + oneLine(String.valueOf(ex));
        Results r = c.getCommand() instanceof Results rs ? rs : null;
        Path dir = r == null ? null : r.results();
        if (dir != null && RunOptions.holdsResults(dir)) {
            err.println(line + "; " + FailureTrace.writeFile(dir.resolve(r.trace()), ex));
        } else {
            err.println(line + (debug ? "; the trace follows" : "; no results directory holds its trace: " + DEBUG + "=1 prints it"));
        }
        if (debug) ex.printStackTrace(err);
        return 1;
    }

    /** A reader that succeeded: the trace of its earlier failure in the same directory is recovered, and removed with a line. */
    private static void retireReaderTrace(CommandLine cl, PrintWriter err) {
        CommandLine.ParseResult pr = cl.getParseResult();
        if (pr == null) return;
        while (pr.hasSubcommand()) pr = pr.subcommand();
        if (pr.isUsageHelpRequested() || pr.isVersionHelpRequested()) return;
        if (pr.commandSpec().userObject() instanceof Reader r && r.results() != null) {
            FailureTrace.retireFile(r.results().resolve(r.trace()), pr.commandSpec().name() + " has now succeeded", err::println);
        }
    }

    /** " in sweep.Aggregate.write (Aggregate.java:120)": the innermost frame of attnsweep's own code, or nothing. */
    private static String where(Throwable ex) {
        String ours = "org.attnsweep.";
        for (StackTraceElement f : ex.getStackTrace()) {
            if (f.getClassName().startsWith(ours)) {
                return " in " + f.getClassName().substring(ours.length()) + "." + f.getMethodName()
                        + " (" + f.getFileName() + ":" + f.getLineNumber() + ")";
            }
        }
        return "";
    }

    /** The subcommands in the order help lists them, each model built on demand; train and sweep take one option per run key (RunSpec.KEYS). */
    static final Map<String, Supplier<CommandLine>> SUBCOMMANDS = subcommands();

    private static Map<String, Supplier<CommandLine>> subcommands() {
        Map<String, Supplier<CommandLine>> m = new LinkedHashMap<>();
        m.put("train", () -> withRunOptions(new TrainCommand()));
        m.put("sweep", () -> withRunOptions(new SweepCommand()));
        m.put("merge", () -> new CommandLine(new MergeCommand()));
        m.put("aggregate", () -> new CommandLine(new AggregateCommand()));
        m.put("plot", () -> new CommandLine(new PlotCommand()));
        m.put("report", () -> new CommandLine(new ReportCommand()));
        m.put("reproduce", () -> new CommandLine(new ReproduceCommand()));
        m.put("info", () -> new CommandLine(new InfoCommand()));
        m.put("help", () -> new CommandLine(new CommandLine.HelpCommand()));
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The main command's version options: alone on the line they need no subcommand's model. */
    private static final Set<String> VERSION = Set.of("-V", "--version");

    private static CommandLine withRunOptions(Object command) {
        CommandLine c = new CommandLine(command);
        RunOptions.register(c.getCommandSpec());
        return c;
    }

    private static Double finite(String text) {
        double v;
        try {
            v = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + text + "' is not a number");
        }
        if (!Double.isFinite(v)) throw new CommandLine.TypeConversionException("'" + text + "' is not a finite number");
        return v == 0 ? 0.0 : v;
    }

    /**
     * A path as typed, refused when it begins with '~': the shell expands a tilde only at the start
     * of a word and unquoted, so {@code --out=~/runs} or {@code --out "~/runs"} arrive as they were
     * typed and would create a directory named '~' in the working directory (found by the s21b audit).
     */
    private static Path path(String text) {
        String tilde = RunSpec.unexpandedTilde(text);
        if (tilde != null) throw new CommandLine.TypeConversionException(tilde);
        try {
            return Path.of(text);
        } catch (java.nio.file.InvalidPathException e) {
            throw new CommandLine.TypeConversionException("'" + text + "' is not a path: " + e.getReason());
        }
    }

    /** A message on one line: errors are one line each, whatever a library put in them. */
    private static String oneLine(String message) {
        return String.valueOf(message).strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"attnsweep " + Version.get()};
        }
    }
}
