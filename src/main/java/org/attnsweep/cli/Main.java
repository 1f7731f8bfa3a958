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
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("attnsweep: " + ex.getMessage());
            err.println("  (see: attnsweep " + ex.getCommandLine().getCommandName() + " --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parse) -> {
            if (ex instanceof IllegalArgumentException) {
                err.println("attnsweep: " + ex.getMessage());
                return 2;
            }
            if (ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
                err.println("attnsweep: I/O error: " + ex.getMessage());
                return 1;
            }
            err.println("attnsweep: failed: " + ex);
            ex.printStackTrace(err);
            return 1;
        });
        return cl.execute(args);
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"attnsweep " + Version.get()};
        }
    }
}
