package org.attnsweep.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.attnsweep.report.Report;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code report}: one self-contained HTML file of a results directory. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Writes DIR/report.html, one self-contained file: what ran, a benign/harmful verdict per regime next to "
                + "the theory's prediction, every figure of 'plot', the fitted C with R^2, the stage boundaries of the training "
                + "dynamics and the final test error of every cell against the Bayes error p."})
public final class ReportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "a train, sweep or merge output directory") Path dir;
    @Option(names = "--margin", defaultValue = "0.05",
            description = "a cell is benign when its mean test error is at most p + margin (default ${DEFAULT-VALUE})") double margin;
    @Option(names = "--theory-c", description = "C of the prediction 'benign iff N*SNR^2 >= C' (default: the C fitted per p by the sweep)")
    Double theoryC;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Report.Options o = new Report.Options(margin, theoryC == null ? Double.NaN : theoryC);
        Path written;
        try {
            written = Report.write(dir, o);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("report: " + e.getMessage(), e);
        }
        spec.commandLine().getOut().println("wrote " + written);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
