package org.attnsweep.cli;

import java.io.PrintWriter;
import org.attnsweep.Version;
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

    /** Runs the CLI with the given streams; returns the exit code (0 ok, 2 bad input, 1 failure). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        // train and sweep take one option per run key, added here from RunSpec.KEYS.
        CommandLine train = new CommandLine(new TrainCommand());
        RunOptions.register(train.getCommandSpec());
        CommandLine sweep = new CommandLine(new SweepCommand());
        RunOptions.register(sweep.getCommandSpec());
        cl.addSubcommand("train", train);
        cl.addSubcommand("sweep", sweep);
        for (Object sub : new Object[] {new MergeCommand(), new AggregateCommand(), new PlotCommand(), new ReportCommand(), new ReproduceCommand(),
                new InfoCommand(), new CommandLine.HelpCommand()}) {
            cl.addSubcommand(sub);
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOverwrittenOptionsAllowed(true); // the last value wins, so presets in scripts can be overridden
        // Every number option of every command is finite: NaN and infinities are refused as typed.
        CommandLine.ITypeConverter<Double> finite = Main::finite;
        cl.registerConverter(Double.class, finite);
        cl.registerConverter(double.class, finite);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("attnsweep: " + oneLine(ex.getMessage()) + " (see: attnsweep " + ex.getCommandLine().getCommandName() + " --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parse) -> {
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
            err.println("attnsweep: failed: " + ex);
            ex.printStackTrace(err);
            return 1;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            // The checks before work count what a run holds; what they cannot foresee ends here, in one line.
            err.println("attnsweep: out of memory (" + e.getMessage() + ", heap " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB): use smaller shapes or batches (--memory-mb), or give the JVM more heap with ATTNSWEEP_JAVA_OPTS=-Xmx<size>");
            return 1;
        }
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
