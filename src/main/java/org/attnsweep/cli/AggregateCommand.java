package org.attnsweep.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.attnsweep.sweep.Aggregate;
import org.attnsweep.sweep.OutputDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code aggregate}: per-cell statistics, the boundary fit and the p correlations of a result directory. */
@Command(name = "aggregate", mixinStandardHelpOptions = true,
        description = "Writes cells.csv (mean, std, mean +- 2 std per cell), boundary.csv (C of N*SNR^2 = C with R^2) "
                + "and correlation.csv (between p heatmaps) for a sweep's result directory.")
public final class AggregateCommand implements Callable<Integer>, Main.Reader {
    @Parameters(index = "0", paramLabel = "DIR", description = "a sweep or merge output directory") Path dir;
    @picocli.CommandLine.Mixin
    CutoffOption cutoff;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Path results() {
        return dir;
    }


    @Override
    public Integer call() {
        if (!java.nio.file.Files.isRegularFile(dir.resolve("summary.csv"))) {
            throw new IllegalArgumentException(dir + " has no summary.csv: not a sweep output directory");
        }
        String holder = LiveSweep.holder(dir);
        if (holder != null) {
            // Its writer writes the aggregates when it ends; until then they are printed, of the runs finished so far.
            var err = spec.commandLine().getErr();
            spec.commandLine().getOut().print(Aggregate.of(dir, cutoff.value(), err::println).text());
            spec.commandLine().getOut().flush();
            err.println(LiveSweep.line("aggregate", dir, holder, "the table above is of those, and cells.csv is not "
                    + "written (its sweep writes it when it ends; aggregate again to write it after a stopped one)"));
            err.flush();
            return 0;
        }
        try (OutputDir locked = OutputDir.open("aggregate: DIR", dir, "aggregate")) {
            spec.commandLine().getOut().print(Aggregate.write(dir, cutoff.value(), spec.commandLine().getErr()::println));
        }
        spec.commandLine().getOut().println("wrote " + dir.resolve("cells.csv"));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
