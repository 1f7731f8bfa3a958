package org.attnsweep.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.attnsweep.report.Figure;
import org.attnsweep.report.Figures;
import org.attnsweep.report.Results;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code plot}: the figures of SPEC §6 that a results directory supports, as PNG and SVG. */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = {"Draws every figure the results in DIR support into DIR/figures/, each as NAME.png and NAME.svg: "
                + "test-loss heatmaps over (SNR, N) with N*SNR^2 = C, C against p, test loss against N, p, |mu|, sigma_p, "
                + "test error against test-set shifts (test signal angle, test sigma scale, test p), "
                + "training curves per value of a varied option, and training dynamics (mean +- 2 std over repeats)."})
public final class PlotCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "a train, sweep or merge output directory") Path dir;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Results r;
        try {
            r = Results.load(dir);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("plot: " + e.getMessage(), e);
        }
        List<Figure> figures = new Figures(r).all();
        Path to = Files.createDirectories(dir.resolve("figures"));
        for (Figure f : figures) {
            Files.write(to.resolve(f.name() + ".png"), f.png());
            Files.writeString(to.resolve(f.name() + ".svg"), f.svg(), StandardCharsets.UTF_8);
            out.printf("%s  %s (.png, .svg)%n", f.title(), to.resolve(f.name()));
        }
        out.printf("%d figures in %s%n", figures.size(), to);
        out.flush();
        return 0;
    }
}
