package org.attnsweep.sweep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.attnsweep.model.RunSpec;

/**
 * The figure presets of both papers as {@code reproduce} runs them, at one of three scales:
 * {@code paper} (the presets exactly, docs/math.md §6), {@code quick} (every preset with fewer
 * repeats and a coarser grid, about 150 s of CPU on 2 cores) and {@code smoke} (tiny models, for
 * tests). zhang-critical is the zhang-phase grid read a second way, so it is not run twice: its
 * claims read DIR/zhang-phase.
 */
public final class Reproduction {
    private Reproduction() {
    }

    /** How large the runs are. */
    public enum Scale {
        SMOKE, QUICK, PAPER;

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Scale parse(String s) {
            for (Scale x : values()) if (x.word().equals(s)) return x;
            throw new IllegalArgumentException("--scale must be one of quick, paper, smoke: got '" + s + "'");
        }
    }

    /** Paper A's presets, then paper B's, in the order reproduce runs them. */
    public static final Map<String, String> PRESETS = RunSpec.pairs(
            "jiang-heatmap", "A",
            "jiang-dynamics-benign", "A",
            "jiang-dynamics-harmful", "A",
            "zhang-dynamics", "B",
            "zhang-phase", "B",
            "zhang-lr", "B",
            "zhang-vinit", "B",
            "zhang-factors", "B");

    /** The presets of the given papers ("A", "B"), in run order. */
    public static List<String> presets(List<String> papers) {
        List<String> out = new ArrayList<>();
        PRESETS.forEach((preset, paper) -> {
            if (papers.contains(paper)) out.add(preset);
        });
        return out;
    }

    /** Every run of every scale but paper: tiny models for a test, in seconds. */
    private static final Map<String, String> SMOKE_BASE = RunSpec.pairs("d", "24", "mk", "8", "mv", "8", "test-n", "40", "steps", "60",
            "eval-every", "10", "repeats", "2");

    /**
     * The grids of {@code preset} at {@code scale}: the preset's grids with axes thinned and
     * repeats cut (quick, smoke) and the model shrunk (smoke). An override of an axis changes only
     * the grids that have that axis (zhang-factors has one axis per grid).
     */
    public static List<Grid> grids(String preset, Scale scale) {
        List<Grid> grids = SweepPresets.grids(preset, new RunSpec());
        if (scale == Scale.PAPER) return grids;
        boolean quick = scale == Scale.QUICK;
        Map<String, String> o = new LinkedHashMap<>(switch (preset) {
            // the README's main job: every 4th |mu| with 2 repeats (500 runs)
            case "jiang-heatmap" -> RunSpec.pairs("mu", quick ? "2:98:4" : "4:100:32", "N", quick ? "2:20:2" : "4:12:4", "repeats", "2");
            case "jiang-dynamics-benign", "jiang-dynamics-harmful" -> RunSpec.pairs("repeats", quick ? "5" : "2");
            case "zhang-dynamics", "zhang-lr", "zhang-vinit" -> RunSpec.pairs("repeats", "3");
            case "zhang-phase" -> RunSpec.pairs("N", quick ? "2:20:6" : "4:12:4", "mu", quick ? "1:100:9" : "4:100:32", "repeats", quick ? "3" : "2");
            case "zhang-factors" -> RunSpec.pairs("N", "20:200:45", "p", "0:0.4:0.1", "mu", "10:100:30", "sigma", "1|2|4|8", "repeats", "2");
            default -> throw new IllegalArgumentException("reproduce has no preset '" + preset + "'");
        });
        if (scale == Scale.SMOKE) SMOKE_BASE.forEach(o::putIfAbsent);
        List<Grid> out = new ArrayList<>();
        for (Grid g : grids) {
            RunSpec base = g.base().copy();
            Map<String, List<String>> axes = new LinkedHashMap<>(g.axes());
            o.forEach((k, v) -> {
                if (axes.containsKey(k)) axes.put(k, Grid.values(k, v));
                else if (Grid.values(k, v).size() == 1) base.set(k, v);
            });
            out.add(new Grid(base, axes));
        }
        return out;
    }
}
