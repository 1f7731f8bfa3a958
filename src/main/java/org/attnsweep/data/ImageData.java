package org.attnsweep.data;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attnsweep.model.ImageSource;
import org.attnsweep.model.RunConfig;

/**
 * The data of an image run (docs/math.md §7, paper A's real-data experiment): two classes of 28×28 images
 * as the ±1 labels, pixels scaled to [0, 1], each image mixed with noise by the signal strength μ
 * (the config's ‖μ‖) as
 *
 * <pre>  x = img·μ/(1+μ) + |ξ|/(1+μ)   with ξ ~ N(0, 1) per pixel outside the central 20×20, 0 inside</pre>
 *
 * and cut into p×p patches, row-major over the patch grid, each patch's pixels row-major: M =
 * (28/p)² tokens of d = p² (p = 7: M = 16, d = 49).
 *
 * <p>Draws follow docs/math.md §1's rules. True labels are the synthetic data's (balanced pairs or
 * Rademacher, stream split-labels) and flips likewise (split-flips). Sample s of label ±1 takes the
 * next image of its class in a seeded permutation of that class's images (stream split-images,
 * sub-stream per class), and its ξ comes from stream split-noise, sub-stream s. Sample s therefore
 * depends only on the draws of samples 0..s and never on N or μ: runs that differ only in N share
 * their first min(N) samples, runs that differ only in μ share images and ξ. Training images come
 * from the training file, the --test-n test images from the test file.
 *
 * <p>The probes μ₊, μ₋ of the v_signal and qk_ss metrics are the mean token of the run's training
 * samples of true label +1 (−1), over samples and positions.
 */
public final class ImageData {
    private ImageData() {
    }

    /** The run's training and test sets, probes and W(0) (shared with its {@link Family}). */
    static RunData generate(RunConfig c) {
        ImageSet set = ImageSet.load(Path.of(c.images().dir()));
        TokenSet train = samples(c, set.train(), c.N(), "train");
        TokenSet test = samples(c, set.test(), c.testN(), "test");
        return new RunData(c, train, test, meanToken(train, +1), meanToken(train, -1), Family.of(c).init());
    }

    /**
     * Checks, before any work, that every image run can draw its data: the directory reads (see
     * {@link ImageSet#load}) and holds enough images of each class for the run's N and test N.
     *
     * @return the fingerprint of the image directories used (sorted by path), or "" when no run
     *         uses images
     * @throws IllegalArgumentException naming the file and the numbers when a run needs more images
     *                                  of a class than the file holds
     */
    public static String check(List<RunConfig> runs) {
        Map<String, String> prints = new java.util.TreeMap<>();
        Map<String, Boolean> checked = new LinkedHashMap<>();
        for (RunConfig c : runs) {
            ImageSource src = c.images();
            if (src == null) continue;
            ImageSet set = ImageSet.load(Path.of(src.dir()));
            prints.put(src.dir(), set.fingerprint());
            // Runs that differ in anything but these draw the same labels.
            String key = src + "/" + c.seed() + "/" + c.repeat() + "/" + c.labels() + "/" + c.N() + "/" + c.testN();
            if (checked.putIfAbsent(key, true) != null) continue;
            enough(c, set.train(), c.N(), "train", "--N " + c.N());
            enough(c, set.test(), c.testN(), "test", "--test-n " + c.testN());
        }
        StringBuilder fp = new StringBuilder();
        prints.forEach((dir, f) -> fp.append(fp.isEmpty() ? "images:" : ",").append(f));
        return fp.toString();
    }

    private static void enough(RunConfig c, ImageSet.Split split, int n, String name, String option) {
        int[] y = DataFactory.trueLabels(c, n, name);
        int pos = 0;
        for (int v : y) if (v > 0) pos++;
        int[] need = {pos, n - pos}, cls = {c.images().classPos(), c.images().classNeg()};
        for (int k = 0; k < 2; k++) {
            if (need[k] > split.count(cls[k])) {
                throw new IllegalArgumentException(option + " needs " + need[k] + " " + name + " images of class " + cls[k] + " but "
                        + split.file() + " has " + split.count(cls[k]));
            }
        }
    }

    /** n samples of a split; their images drawn as the class doc says. */
    static TokenSet samples(RunConfig c, ImageSet.Split split, int n, String name) {
        ImageSource src = c.images();
        int side = ImageSource.SIDE, p = src.patch(), perRow = side / p, M = src.M(), d = src.d();
        int margin = (side - ImageSource.CENTRE) / 2;
        int[] yClean = DataFactory.trueLabels(c, n, name);
        int[] y = DataFactory.flips(c, yClean, name, name.equals("test") ? c.testP() : c.p());
        int[] image = pick(c, split, yClean, name);
        double mu = c.mu(), a = mu / (1 + mu), b = 1 / (1 + mu);
        Stream noise = Stream.of(c.seed(), c.repeat(), name + "-noise");
        double[] x = new double[n * M * d];
        for (int s = 0; s < n; s++) {
            Stream xi = noise.sub(s);
            int from = image[s] * side * side;
            for (int r = 0; r < side; r++) {
                boolean borderRow = r < margin || r >= side - margin;
                for (int col = 0; col < side; col++) {
                    int px = r * side + col;
                    double v = a * ((split.pixels()[from + px] & 0xff) / 255.0);
                    if (borderRow || col < margin || col >= side - margin) v += b * Math.abs(xi.normal(px));
                    int token = (r / p) * perRow + col / p;
                    x[(s * M + token) * d + (r % p) * p + col % p] = v;
                }
            }
        }
        return TokenSet.fromDense(n, M, d, x, y, yClean);
    }

    /**
     * The image index of each sample: per class, a Fisher–Yates shuffle of the class's images run
     * only as far as the samples need, so the k-th image of a class depends on draws 0..k alone.
     * Upward, where BatchOrder.permutation runs downward: neither can take the other's direction
     * without changing its draws (see there).
     */
    private static int[] pick(RunConfig c, ImageSet.Split split, int[] yClean, String name) {
        Stream order = Stream.of(c.seed(), c.repeat(), name + "-images");
        int[][] pool = {split.byClass()[c.images().classPos()].clone(), split.byClass()[c.images().classNeg()].clone()};
        int[] taken = new int[2];
        Stream[] draw = {order.sub(0), order.sub(1)};
        int[] out = new int[yClean.length];
        for (int s = 0; s < out.length; s++) {
            int k = yClean[s] > 0 ? 0 : 1, i = taken[k]++;
            int[] q = pool[k];
            if (i >= q.length) {
                throw new IllegalArgumentException(name + " sample " + s + " needs image " + (i + 1) + " of a class with " + q.length);
            }
            int j = i + (int) (draw[k].uniform(i) * (q.length - i));
            int t = q[i];
            q[i] = q[j];
            q[j] = t;
            out[s] = q[i];
        }
        return out;
    }

    /** The mean token of the samples of true label {@code label} (d values). */
    private static double[] meanToken(TokenSet set, int label) {
        int d = set.d(), M = set.M(), count = 0;
        double[] m = new double[d];
        for (int n = 0; n < set.N(); n++) {
            if (set.yClean()[n] != label) continue;
            count++;
            for (int l = 0; l < M; l++) {
                int j = set.token(n, l);
                for (int i = 0; i < d; i++) m[i] += set.at(j, i);
            }
        }
        for (int i = 0; i < d; i++) m[i] /= Math.max(1, count) * (double) M;
        return m;
    }
}
