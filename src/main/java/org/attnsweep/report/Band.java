package org.attnsweep.report;

import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import org.attnsweep.model.Metric;

/**
 * The curves of one cell's runs as mean and standard deviation over repeats at every recorded step.
 * A run that stopped early (target loss reached) keeps its last recorded value afterwards — its
 * weights no longer change — so every mean is over the same runs. A run's non-finite values
 * (it diverged) are left out of the mean from the step they appear, and {@link #finite} says how
 * many runs each step's statistics rest on.
 *
 * @param t      recorded steps, ascending (length T)
 * @param mean   [Metric.COUNT][T] mean over runs
 * @param std    [Metric.COUNT][T] sample standard deviation over runs (0 with one run)
 * @param finite [Metric.COUNT][T] how many runs had a finite value there
 * @param runs   runs in the cell
 */
record Band(double[] t, double[][] mean, double[][] std, int[][] finite, int runs) {

    /** Aggregates curves (rows {@code [step, metrics…]} in step order, as {@link Results#curves} gives them). */
    static Band of(Collection<List<double[]>> curves) {
        TreeSet<Double> steps = new TreeSet<>();
        for (List<double[]> c : curves) for (double[] row : c) steps.add(row[0]);
        double[] t = steps.stream().mapToDouble(Double::doubleValue).toArray();
        int T = t.length, R = curves.size();
        // values[r][m][i]: run r's metric m at step t[i], carried forward past its last row
        double[][][] values = new double[R][Metric.COUNT][T];
        int r = 0;
        for (List<double[]> c : curves) {
            int row = 0;
            for (int i = 0; i < T; i++) {
                while (row + 1 < c.size() && c.get(row + 1)[0] <= t[i]) row++;
                boolean before = c.get(row)[0] > t[i]; // a run whose first row comes later has no value yet
                for (int m = 0; m < Metric.COUNT; m++) values[r][m][i] = before ? Double.NaN : c.get(row)[1 + m];
            }
            r++;
        }
        double[][] mean = new double[Metric.COUNT][T], std = new double[Metric.COUNT][T];
        int[][] finite = new int[Metric.COUNT][T];
        for (int m = 0; m < Metric.COUNT; m++) {
            for (int i = 0; i < T; i++) {
                double s = 0, ss = 0;
                int n = 0;
                for (double[][] v : values) {
                    double x = v[m][i];
                    if (!Double.isFinite(x)) continue;
                    s += x;
                    n++;
                }
                double mu = n > 0 ? s / n : Double.NaN;
                for (double[][] v : values) if (Double.isFinite(v[m][i])) ss += (v[m][i] - mu) * (v[m][i] - mu);
                mean[m][i] = mu;
                std[m][i] = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
                finite[m][i] = n;
            }
        }
        return new Band(t, mean, std, finite, R);
    }

    double[] mean(Metric m) {
        return mean[m.ordinal()];
    }

    double[] std(Metric m) {
        return std[m.ordinal()];
    }

    /** The last step with a value. */
    double lastStep() {
        return t[t.length - 1];
    }
}
