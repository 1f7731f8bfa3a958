package org.attnsweep.sweep;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attnsweep.data.ImageSet;
import org.attnsweep.model.Presets;
import org.attnsweep.model.RunSpec;

/**
 * The sweeps of docs/math.md §6 as grids. Paper B states no d, η or σ_V: its sweeps use the zhang-dynamics
 * run preset (d = 512, m_k = m_v = 512, torch init ÷16, η = 0.1) and the choices noted here.
 */
public final class SweepPresets {
    private SweepPresets() {
    }

    private static final Map<String, String> NOTES = RunSpec.pairs(
            "jiang-heatmap", "paper A Fig. 1: N 2..20 step 2 x |mu| 1..100 x 10 repeats, stop at train loss < 0.01 or T = 1000",
            "zhang-phase", "paper B Figs. 2-3: N 2..20 step 2 x |mu| 1..100 x p {0, 0.1, 0.2, 0.3} x 20 repeats, T = 1000",
            "zhang-critical", "paper B Fig. 4: the zhang-phase grid; aggregate fits C per p and correlates the p heatmaps",
            "zhang-lr", "paper B Fig. 5: eta {0.01, 0.05, 0.1}, T = 2000, N = 100, p = 0.1, 5 repeats",
            "zhang-vinit", "paper B Fig. 6: theory init, sigma_V {0.001, 0.003, 0.01, 0.03, 0.1, 0.3}, sigma_0 = 0.01, sigma_O = 0.1, N = 100, p = 0.1, 5 repeats (B states no values)",
            "zhang-factors", "paper B Fig. 7: from N = 100, |mu| = 30, p = 0.1, sigma_p = 4: N 10..200 step 10, p 0..0.45 step 0.05, |mu| 5..100 step 5, sigma_p 1..8, 5 repeats each",
            "jiang-dynamics-benign", "paper A Fig. 3 benign: the run preset, 20 repeats",
            "jiang-dynamics-harmful", "paper A Fig. 3 harmful: the run preset, 20 repeats",
            "zhang-dynamics", "paper B Fig. 1: p {0, 0.05, 0.1}, 5 repeats",
            "fashion-heatmap", "paper A's real-data map (docs/math.md §7): Fashion-MNIST classes 7 (sneaker, +1) and 9 (ankle boot, -1) "
                + "from " + ImageSet.DEBIAN_FASHION_MNIST + " (Debian's dataset-fashion-mnist; --images DIR for another copy), "
                + "7x7 patches (M = 16, d = 49), N {100, 200, 400, 800, 1600, 3200} x mu 0.2..2 step 0.2 x 3 repeats, "
                + "m_k = m_v = 64, w_O fixed, torch init /16, eta = 1, stop at train loss < 0.01 or T = 1000, 1000 test images "
                + "(our choices: A states no widths for its image runs, and at eta = 0.1 the image runs barely move in 300 steps)",
            "ood-angle", "beyond the papers: test error against the test signal angle theta {0, 15, .., 90, 135, 180}"
                + " at paper A's heatmap shape, N = 20, harmful |mu| = 20 (N SNR^2 = 195) and benign |mu| = 80"
                + " (N SNR^2 = 3125), 5 repeats",
            "loss-phase", "beyond the papers: the boundary N SNR^2 = C per training loss (logistic, exponential, hinge,"
                + " squared; docs/math.md §8) at paper A's heatmap setting on a reduced grid, N 8..20 step 4 x |mu| 10..100 step 10,"
                + " 3 repeats; each loss's C is fitted on its own test loss",
            "sgd-phase", "beyond the papers: the boundary N SNR^2 = C against the mini-batch size B {1, 2, 4} and full-batch GD"
                + " (docs/math.md §8) at paper A's heatmap setting on a reduced grid, N 8..20 step 4 x |mu| 10..100 step 10, 3 repeats",
            "heads-phase", "beyond the papers (docs/math.md §7): the fitted boundary C of N SNR^2 = C for H {1, 2, 4, 8} heads"
                + " at paper A's heatmap shape on a reduced grid, N 4..20 step 4 x |mu| 10..100 step 10 x 3 repeats");

    public static java.util.Set<String> names() {
        return NOTES.keySet();
    }

    public static String notes(String name) {
        return NOTES.get(name);
    }

    /** The grids of sweep preset {@code name}, each from a copy of {@code base} (defaults or user options). */
    public static List<Grid> grids(String name, RunSpec base) {
        return switch (name) {
            case "jiang-heatmap" -> List.of(grid(run(base, "jiang-heatmap"), "N", "2:20:2", "mu", "1:100"));
            case "zhang-phase", "zhang-critical" ->
                    List.of(grid(run(base, "zhang-dynamics", "repeats", "20"), "N", "2:20:2", "mu", "1:100", "p", "0,0.1,0.2,0.3"));
            case "zhang-lr" -> List.of(grid(run(base, "zhang-dynamics", "steps", "2000"), "lr", "0.01,0.05,0.1"));
            case "zhang-vinit" -> List.of(grid(run(base, "zhang-dynamics", "init", "theory", "sigma0", "0.01", "sigma-o", "0.1"),
                    "sigma-v", "0.001,0.003,0.01,0.03,0.1,0.3"));
            case "zhang-factors" -> {
                RunSpec s = run(base, "zhang-dynamics");
                yield List.of(grid(s, "N", "10:200:10"), grid(s, "p", "0:0.45:0.05"), grid(s, "mu", "5:100:5"), grid(s, "sigma", "1|2|3|4|5|6|7|8"));
            }
            case "jiang-dynamics-benign", "jiang-dynamics-harmful" -> List.of(grid(run(base, name)));
            case "zhang-dynamics" -> List.of(grid(run(base, name), "p", "0,0.05,0.1"));
            case "fashion-heatmap" -> List.of(grid(with(base.copy(), "images", ImageSet.DEBIAN_FASHION_MNIST, "classes", "7,9", "patch", "7",
                            "mk", "64", "mv", "64", "p", "0", "train-wo", "false", "init", "torch", "init-divisor", "16", "lr", "1",
                            "steps", "1000", "target-loss", "0.01", "eval-every", "1000", "test-n", "1000", "repeats", "3"),
                    "N", "100,200,400,800,1600,3200", "mu", "0.2:2:0.2"));
            // Either side of A's boundary N·SNR² = 1000 at N = 20 (SNR = |mu|/(0.2·32)): |mu| = 20
            // gives 195 (harmful), |mu| = 80 gives 3125 (benign); every other option is the
            // jiang-heatmap cell's, so θ = 0 repeats two cells of that map.
            case "ood-angle" -> List.of(grid(run(base, "jiang-heatmap", "N", "20", "repeats", "5"),
                    "mu", "20,80", "test-signal-angle", "0:90:15,135,180"));
            // The ood-angle pattern: the jiang-heatmap cell's options, a reduced (N, |mu|) grid
            // around A's boundary (N·SNR² = 1000 at |mu| ≈ 45..72 for N = 20..8), one map per loss.
            case "loss-phase" -> List.of(grid(run(base, "jiang-heatmap", "repeats", "3"),
                    "loss", "logistic,exponential,hinge,squared", "N", "8:20:4", "mu", "10:100:10"));
            case "sgd-phase" -> {
                // B below the smallest N, so every map is mini-batch throughout; full-batch GD is
                // the same grid without --batch-size (its own map, B = N).
                RunSpec s = run(base, "jiang-heatmap", "repeats", "3");
                RunSpec full = s.copy();
                full.batchSize = null;
                yield List.of(grid(s, "batch-size", "1,2,4", "N", "8:20:4", "mu", "10:100:10"), grid(full, "N", "8:20:4", "mu", "10:100:10"));
            }
            // Paper A's heatmap cell (jiang-heatmap) on a coarser grid, once per number of heads:
            // one (N, SNR) map and one fitted C per H, and C against H.
            case "heads-phase" -> List.of(grid(run(base, "jiang-heatmap", "repeats", "3"),
                    "N", "4:20:4", "mu", "10:100:10", "heads", "1,2,4,8"));
            default -> throw new IllegalArgumentException("--preset must be one of " + NOTES.keySet() + ": got '" + name + "'");
        };
    }

    /** A copy of {@code base} with run preset {@code runPreset} applied, then {@code options} (key, value, …) set. */
    private static RunSpec run(RunSpec base, String runPreset, String... options) {
        RunSpec s = base.copy();
        Presets.apply(runPreset, s);
        return with(s, options);
    }

    /** {@code s} with {@code options} (key, value, …) set as the command line sets them. */
    private static RunSpec with(RunSpec s, String... options) {
        RunSpec.pairs(options).forEach(s::set);
        return s;
    }

    /** A grid of {@code s} over {@code axes} (key, values as text, …). */
    private static Grid grid(RunSpec s, String... axes) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        RunSpec.pairs(axes).forEach((k, v) -> m.put(k, Grid.values(k, v)));
        return new Grid(s, m);
    }
}
