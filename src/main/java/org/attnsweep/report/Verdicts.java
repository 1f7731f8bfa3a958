package org.attnsweep.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.attnsweep.model.Metric;
import org.attnsweep.sweep.Aggregate;

/**
 * Benign or harmful, observed and predicted, per cell.
 * <p>Observed: a cell is <b>benign</b> when its mean final test error (against the noisy labels,
 * whose Bayes error is p) is at most p + margin, <b>harmful</b> otherwise, and <b>diverged</b>
 * when any of its runs diverged (its mean is then not a number).
 * <p>Predicted (paper A: benign iff N·SNR² = Ω(1)): benign iff N·SNR² ≥ C, with C the value
 * given to the report, else the C fitted for the cell's group of the sweep (boundary.csv); paper
 * A's dynamics presets name their regime themselves; without any of these there is no prediction.
 */
final class Verdicts {
    private Verdicts() {
    }

    /** Default margin over the Bayes error p within which a test error counts as benign. */
    static final double DEFAULT_MARGIN = 0.05;

    enum Outcome {
        BENIGN, HARMFUL, DIVERGED;

        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One cell's verdict.
     *
     * @param nSnr2     N·SNR² of the cell
     * @param C         the constant the prediction used (NaN when none)
     * @param source    where the prediction comes from, in words
     * @param predicted the theory's call: true benign, false harmful, null none
     */
    record Verdict(Aggregate.Cell cell, double nSnr2, Outcome observed, double C, String source, Boolean predicted) {
        double p() {
            return cell.num("p");
        }

        double testError() {
            return cell.mean(Metric.TEST_ERROR);
        }

        /** "agree", "disagree" or "—". */
        String agreement() {
            if (predicted == null || observed == Outcome.DIVERGED) return "—";
            return predicted == (observed == Outcome.BENIGN) ? "agree" : "disagree";
        }

        String prediction() {
            return predicted == null ? "none" : predicted ? "benign" : "harmful";
        }
    }

    /**
     * Every cell's verdict.
     *
     * @param theoryC C of the rule N·SNR² ≥ C given by the user (NaN: use the fitted one)
     */
    static List<Verdict> of(Results r, double margin, double theoryC) {
        Set<Aggregate.Cell> inGrid = Collections.newSetFromMap(new IdentityHashMap<>());
        Figures.grids(r).values().forEach(inGrid::addAll);
        String preset = r.config().path("preset").asText("");
        List<Verdict> out = new ArrayList<>();
        for (Aggregate.Cell c : r.cells()) {
            double nSnr2 = c.num("N") * c.num("snr") * c.num("snr");
            Outcome o = c.diverged() > 0 ? Outcome.DIVERGED
                    : c.mean(Metric.TEST_ERROR) <= c.num("p") + margin ? Outcome.BENIGN : Outcome.HARMFUL;
            Aggregate.Fit fit = r.fitOf(c);
            if (Double.isFinite(theoryC)) {
                out.add(new Verdict(c, nSnr2, o, theoryC, "the given C = " + Fmt.num(theoryC), nSnr2 >= theoryC));
            } else if (fit != null && inGrid.contains(c) && Double.isFinite(fit.C())) {
                out.add(new Verdict(c, nSnr2, o, fit.C(), "the fitted C = " + Fmt.num(fit.C()), nSnr2 >= fit.C()));
            } else if (preset.startsWith("jiang-dynamics-")) {
                boolean benign = preset.endsWith("benign");
                out.add(new Verdict(c, nSnr2, o, Double.NaN, "paper A labels this preset's setting " + (benign ? "benign" : "harmful"), benign));
            } else if (inGrid.contains(c)) {
                out.add(new Verdict(c, nSnr2, o, Double.NaN, "no C: no cell of its group has a mean test loss below the cutoff "
                        + Fmt.num(r.cutoff()) + " (give --theory-c)", null));
            } else {
                out.add(new Verdict(c, nSnr2, o, Double.NaN, "no C (give --theory-c, or sweep N × ‖μ‖ to fit one)", null));
            }
        }
        return out;
    }
}
