package org.attnsweep.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.attnsweep.report.Figure;
import org.attnsweep.report.Figures;
import org.attnsweep.report.Results;
import org.attnsweep.sweep.OutputDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code plot}: the figures of docs/math.md §6 that a results directory supports, as PNG, PDF and SVG. */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = {"Draws every figure the results in DIR support into DIR/figures/, each as NAME.png, NAME.pdf and NAME.svg: "
                + "test-loss heatmaps over (SNR, N) with the paper's and the fitted N*SNR^2 = C, C against p, test loss against N, p, "
                + "|mu|, sigma_p, test error against test-set shifts (test signal angle, test sigma scale, test p), training curves per value of a varied option, and training dynamics (mean and spread over repeats)."})
public final class PlotCommand implements Callable<Integer>, Main.Reader {
    @Parameters(index = "0", paramLabel = "DIR", description = "a train, sweep or merge output directory") Path dir;
    @Option(names = "--format", defaultValue = "png,pdf,svg", split = ",",
            description = "file formats, any of png, pdf, svg (default ${DEFAULT-VALUE})") List<String> formats;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Path results() {
        return dir;
    }


    @Override
    public Integer call() throws IOException {
        if (dir.toString().isEmpty()) throw new IllegalArgumentException("plot: DIR must name a results directory: got ''");
        Set<Figure.Format> wanted = parseFormats(formats);
        // A directory the figures cannot be written into (a read-only mount) is refused before they are drawn (s21b audit).
        if (Files.isDirectory(dir)) OutputDir.writable("plot: DIR", dir);
        String holder = LiveSweep.holder(dir);
        PrintWriter out = spec.commandLine().getOut();
        Results r;
        try {
            r = Results.load(dir);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("plot: " + e.getMessage(), e);
        }
        List<Figure> figures = new Figures(r).all();
        List<Path> written = write(figures, dir.resolve("figures"), wanted, out);
        out.printf("%d figures (%d files) in %s%n", figures.size(), written.size(), dir.resolve("figures"));
        out.flush();
        if (holder != null) spec.commandLine().getErr().println(LiveSweep.line("plot", dir, holder, "the figures show those: plot again when it ends"));
        return 0;
    }

    /**
     * Writes each figure in each format into {@code to} (created if missing; a symlink there is
     * refused), every file through a temporary file and a rename, so a symlink planted at a
     * figure's name is replaced, never written through. Prints one line per figure.
     */
    public static List<Path> write(List<Figure> figures, Path to, Set<Figure.Format> formats, PrintWriter out) throws IOException {
        if (Files.isSymbolicLink(to)) throw new IllegalArgumentException("plot: " + to + " is a symlink: refusing to write figures through it");
        if (Files.exists(to, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(to, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("plot: " + to + " exists and is not a directory");
        }
        Files.createDirectories(to);
        OutputDir.removeStaleTemporaries(to); // a plot halted mid-write left its temporary file
        List<Path> written = new ArrayList<>();
        for (Figure f : figures) {
            List<String> exts = new ArrayList<>();
            for (Figure.Format fm : formats) {
                Path file = to.resolve(f.name() + "." + fm.extension());
                OutputDir.writeAtomically(file, f.bytes(fm));
                written.add(file);
                exts.add("." + fm.extension());
            }
            if (out != null) out.printf("%s  %s (%s)%n", f.title(), to.resolve(f.name()), String.join(", ", exts));
        }
        return written;
    }

    static Set<Figure.Format> parseFormats(List<String> given) {
        Set<Figure.Format> out = EnumSet.noneOf(Figure.Format.class);
        for (String s : given) {
            Figure.Format f;
            try {
                f = Figure.Format.valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--format must be a list of png, pdf, svg: got '" + s + "'", e);
            }
            // as every list option: one value twice is a slip, not a request
            if (!out.add(f)) {
                throw new IllegalArgumentException("--format lists one format twice ('" + s.trim() + "') in '" + String.join(",", given) + "'");
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--format must name at least one of png, pdf, svg: got none");
        return out;
    }
}
