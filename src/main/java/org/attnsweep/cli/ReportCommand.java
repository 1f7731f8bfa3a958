package org.attnsweep.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.attnsweep.report.Report;
import org.attnsweep.sweep.OutputDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code report}: one self-contained HTML file of a results directory. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Writes DIR/report.html, one self-contained file: what ran, benign/harmful per cell under one stated "
                + "criterion (mean test loss within the cutoff of the Bayes loss H(p)), next to the predictions of the paper's C "
                + "and of the fitted C with their agreement counts, every figure of 'plot', the fitted C with its bootstrap "
                + "interval and R^2, the stage boundaries of the training dynamics and every cell's test loss and error."})
public final class ReportCommand implements Callable<Integer>, Main.Reader {
    @Parameters(index = "0", paramLabel = "DIR", description = "a train, sweep or merge output directory") Path dir;
    @Option(names = "--paper-c", defaultValue = "1000",
            description = "the paper's C of the prediction 'benign iff N*SNR^2 >= C' (default ${DEFAULT-VALUE}, paper A's curve)")
    double paperC;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Path results() {
        return dir;
    }


    @Override
    public Integer call() {
        if (dir.toString().isEmpty()) throw new IllegalArgumentException("report: DIR must name a results directory: got ''");
        if (!(paperC > 0)) throw new IllegalArgumentException("--paper-c must be finite and > 0: got " + paperC);
        // A directory report.html cannot be written into (a read-only mount) is refused before the report is built (s21b audit).
        if (java.nio.file.Files.isDirectory(dir)) OutputDir.writable("report: DIR", dir);
        String holder = LiveSweep.holder(dir);
        if (java.nio.file.Files.isDirectory(dir)) OutputDir.removeStaleTemporaries(dir); // a report halted mid-write left its temporary file
        Report.Options o = new Report.Options(paperC);
        Path written;
        try {
            written = Report.write(dir, o);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("report: " + e.getMessage(), e);
        }
        spec.commandLine().getOut().println("wrote " + written);
        spec.commandLine().getOut().flush();
        if (holder != null) spec.commandLine().getErr().println(LiveSweep.line("report", dir, holder, "the report shows those: report again when it ends"));
        return 0;
    }
}
