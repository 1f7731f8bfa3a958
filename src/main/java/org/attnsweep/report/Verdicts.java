package org.attnsweep.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.attnsweep.sweep.Aggregate;

/**
 * Benign or harmful, observed and predicted twice, per cell — all under one criterion.
 * <p>Observed ({@link Aggregate#benign}, the same rule the boundary fit uses): a cell is
 * <b>benign</b> when its mean final test loss exceeds the Bayes loss H(p) by less than the cutoff,
 * <b>harmful</b> otherwise, and <b>diverged</b> when any of its runs diverged (its mean is then not
 * a number); diverged cells are counted apart and never judged.
 * <p>Predicted (paper A: benign iff N·SNR² = Ω(1)), side by side: benign iff N·SNR² ≥ C with the
 * paper's own constant (C = 1000, the curve of A's Fig. 1, unless the report is given another),
 * and benign iff N·SNR² ≥ C with the C fitted for the cell's group (boundary.csv). Paper A's
 * dynamics presets name their regime themselves: that label is the paper's prediction there.
 */
final class Verdicts {
    private Verdicts() {
    }

    /** The constant of paper A's curve N·SNR² = 1000 (A Fig. 1; docs/math.md §6). */
    static final double PAPER_A_C = 1000;

    enum Outcome {
        BENIGN, HARMFUL, DIVERGED;

        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One cell's verdict.
     *
     * @param nSnr2 N·SNR² of the cell
     * @param paper the paper's call (its constant, or its own label of a dynamics preset): true benign, false harmful, null none
     * @param fit   the call of the fitted C: true benign, false harmful, null none (no fit for this cell)
     */
    record Verdict(Aggregate.Cell cell, double nSnr2, Outcome observed, Boolean paper, Boolean fit) {
        double p() {
            return cell.num("p");
        }

        /** "agree", "disagree" or "—" for one prediction. */
        String agreement(Boolean predicted) {
            if (predicted == null || observed == Outcome.DIVERGED) return "—";
            return predicted == (observed == Outcome.BENIGN) ? "agree" : "disagree";
        }

        static String word(Boolean predicted) {
            return predicted == null ? "none" : predicted ? "benign" : "harmful";
        }
    }

    /** Counts over a set of verdicts for one prediction: judged cells (neither diverged nor unpredicted), agreements, predicted benign. */
    record Tally(int judged, int agree, int predictedBenign) {
        static Tally of(List<Verdict> vs, boolean paper) {
            int judged = 0, agree = 0, benign = 0;
            for (Verdict v : vs) {
                Boolean p = paper ? v.paper() : v.fit();
                if (Boolean.TRUE.equals(p)) benign++;
                String a = v.agreement(p);
                if (a.equals("—")) continue;
                judged++;
                if (a.equals("agree")) agree++;
            }
            return new Tally(judged, agree, benign);
        }
    }

    /**
     * Every cell's verdict.
     *
     * @param paperC the paper's C of the rule N·SNR² ≥ C
     */
    static List<Verdict> of(Results r, double paperC) {
        Set<Aggregate.Cell> inGrid = Collections.newSetFromMap(new IdentityHashMap<>());
        Figures.grids(r).values().forEach(inGrid::addAll);
        String preset = r.config().path("preset").asText("");
        List<Verdict> out = new ArrayList<>();
        for (Aggregate.Cell c : r.cells()) {
            double nSnr2 = c.num("N") * c.num("snr") * c.num("snr");
            Outcome o = c.diverged() > 0 || Double.isNaN(c.mean(org.attnsweep.model.Metric.TEST_LOSS)) ? Outcome.DIVERGED
                    : Aggregate.benign(c, r.cutoff()) ? Outcome.BENIGN : Outcome.HARMFUL;
            Boolean paper = preset.startsWith("jiang-dynamics-") ? Boolean.valueOf(preset.endsWith("benign")) : nSnr2 >= paperC;
            Aggregate.Fit fit = r.fitOf(c);
            Boolean fitted = fit != null && inGrid.contains(c) && Double.isFinite(fit.C()) ? nSnr2 >= fit.C() : null;
            out.add(new Verdict(c, nSnr2, o, paper, fitted));
        }
        return out;
    }

    /** Where the paper's prediction of this results directory comes from, in words. */
    static String paperSource(Results r, double paperC) {
        String preset = r.config().path("preset").asText("");
        if (preset.startsWith("jiang-dynamics-")) {
            return "paper A's own label of this setting (" + (preset.endsWith("benign") ? "benign" : "harmful") + ", Fig. 3)";
        }
        return paperC == PAPER_A_C ? "paper A's curve N·SNR² = 1000 (Fig. 1)" : "the given C = " + Fmt.num(paperC);
    }
}
