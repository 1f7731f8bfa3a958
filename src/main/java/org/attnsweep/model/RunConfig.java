package org.attnsweep.model;

import java.util.Arrays;

/**
 * Everything that defines one training run (docs/math.md §1–2): the data distribution, the model shape,
 * the initialisation, the optimiser and the stop rule. Two runs with equal configs produce equal
 * data and equal results. Names follow the glossary: N samples, M tokens, d input dimension,
 * m_k / m_v widths.
 *
 * @param d          input dimension of every token
 * @param M          tokens per sample (token 1 is the signal, 2..M noise)
 * @param mk         width m_k of W_Q and W_K
 * @param mv         width m_v of W_V and w_O
 * @param N          training samples
 * @param sigma      noise σ of token positions 2..M (length M−1)
 * @param mu         signal norm ‖μ‖
 * @param p          label-flip probability, in [0, 0.5)
 * @param labels     balanced or Rademacher true labels
 * @param orthogonalNoise project the noise off span(μ₊, μ₋)
 * @param signals    axis-aligned or random orthonormal signal pair
 * @param init       initialisation scheme
 * @param sigma0     theory init: σ₀ of W_Q and W_K
 * @param sigmaV     theory init: σ_V of W_V
 * @param sigmaO     theory init: σ_O of w_O
 * @param initDivisor torch init: the factor W_Q, W_K, W_V are divided by
 * @param trainWo    whether w_O is trained (paper B) or fixed (paper A)
 * @param lr         GD step η
 * @param steps      at most this many GD steps T
 * @param targetLoss stop a run at the first step whose training loss is below this; 0 = never
 * @param evalEvery  record metrics every this many steps (and at the stop step)
 * @param testN      test samples, drawn fresh from the same distribution
 * @param seed       root seed
 * @param repeat     repeat index; with the seed it keys every random stream of the run
 * @param attnSample training sample whose attention is reported, or −1 for the mean over samples
 * @param snrSigma   σ_p of the SNR, ‖μ‖/(σ_p √d); 0 means the σ of token 2 (docs/math.md §1)
 * @param images     image data (docs/math.md §7): the samples are two classes of real images cut into
 *                   patches, ‖μ‖ is the image's weight μ in x = img·μ/(1+μ) + |ξ|/(1+μ), the SNR
 *                   is μ itself, σ lists 1 (the σ of ξ) per token; null for the synthetic data of §1
 * @param testSigmaScale  shifted test set: every test noise σ_j times this (1 = unshifted)
 * @param testSignalAngle shifted test set: degrees each test signal is turned from its training
 *                        signal toward its own direction orthogonal to both (0 = unshifted)
 * @param testP           shifted test set: the test label-flip probability (unshifted: equal to p)
 * @param loss            the training loss ℓ (docs/math.md §8); the papers' is {@link Loss#LOGISTIC}
 * @param batchSize       B, the samples of one step: N is full-batch GD, B &lt; N mini-batch SGD over a
 *                        seeded per-epoch permutation (docs/math.md §8)
 * @param heads           attention heads H (docs/math.md §7), each with its own W_Q, W_K, W_V, w_O; 1 = §2's model
 */
public record RunConfig(
        int d, int M, int mk, int mv, int N,
        double[] sigma, double mu, double p,
        LabelMode labels, boolean orthogonalNoise, SignalBasis signals,
        InitScheme init, double sigma0, double sigmaV, double sigmaO, double initDivisor,
        boolean trainWo, double lr, int steps, double targetLoss, int evalEvery,
        int testN, long seed, int repeat, int attnSample, double snrSigma, ImageSource images,
        double testSigmaScale, double testSignalAngle, double testP, Loss loss, int batchSize, int heads) {

    public RunConfig {
        sigma = sigma.clone();
    }

    @Override
    public double[] sigma() {
        return sigma.clone();
    }

    /** σ of noise token position j (1-based position in the sample, 2 ≤ j ≤ M). */
    public double sigmaAt(int j) {
        return sigma[j - 2];
    }

    /**
     * σ as the key text writes it, {@code [4.0, 0.2, 0.2]} (Arrays.toString): the runs of a sweep
     * share one σ list, so the last text made is kept and reused while σ is the same, bit for bit
     * (Arrays.equals compares doubles so), instead of formatting M−1 doubles for every run's key.
     */
    public String sigmaText() {
        SigmaText last = lastSigma;
        if (!Arrays.equals(last.values, sigma)) {
            last = new SigmaText(sigma.clone(), Arrays.toString(sigma));
            lastSigma = last;
        }
        return last.text;
    }

    /** A σ list and its text; immutable, so a thread that reads the volatile holder sees both whole. */
    private record SigmaText(double[] values, String text) {
    }

    private static volatile SigmaText lastSigma = new SigmaText(new double[0], "[]");

    /** σ_p of docs/math.md §1: the σ of token 2, unless the run names another ({@code snrSigma}). */
    public double sigmaP() {
        return snrSigma > 0 ? snrSigma : sigma[0];
    }

    /** SNR = ‖μ‖ / (σ_p √d); for image data μ itself, the knob of paper A's real-data map. */
    public double snr() {
        return images != null ? mu : mu / (sigmaP() * Math.sqrt(d));
    }

    /** Whether the test tokens differ from the training distribution's (σ scaled or signals turned). */
    public boolean shiftedTestTokens() {
        return testSigmaScale != 1 || testSignalAngle != 0;
    }

    /**
     * Distinct training tokens P of generated data: the two signals, then every noise token; for
     * image data at most N·M (patches equal bit for bit are stored once).
     */
    public int tokenCount() {
        return images != null ? N * M : 2 + N * (M - 1);
    }

    /**
     * FLOPs of one GD step of the span formulation (docs/math.md §4), counted as its leading term only:
     * the two P×P×m_k products Q −= ηαG and K −= ηβG per head, 2·H·m_k·P² multiply-adds at 2 FLOPs each. The
     * O((m_k+m_v)·P·M) rest is left out. The one FLOP count of the project: the planner's time
     * estimate, the benchmarks' GFLOP/s and the report all use it.
     */
    public double stepFlops() {
        double P = tokenCount();
        return 4.0 * heads * mk * P * P;
    }

    /**
     * FLOPs of one test evaluation after step 0, counted as its leading term only, as {@link
     * #stepFlops}: the queries and keys of the testN·M test tokens from their P span coefficients
     * (q_s = W_Q(0)s + A_Q·(Tᵀs), likewise k), 2·m_k·P multiply-adds per token and head at 2 FLOPs each. At
     * step 0 the test tokens' W(0) projections are all there is, made once in the set-up and not
     * counted, as the training tokens' are not. A run evaluates {@link #evaluations} times.
     */
    public double evalFlops() {
        return 4.0 * heads * mk * tokenCount() * testN * M;
    }

    /**
     * Test evaluations after step 0 of a run that stopped after {@code stopStep} steps: one every
     * evalEvery steps, and one at the stop step if that is not among them (its metrics curve has
     * these rows and the one of step 0).
     */
    public int evaluations(int stopStep) {
        return stopStep / evalEvery + (stopStep % evalEvery == 0 ? 0 : 1);
    }

    /**
     * Refuses any value outside its accepted range with a message that names the option and the
     * range, so bad input stops before any work starts.
     */
    public RunConfig validate() {
        positive("--d", d);
        if (M < 2) throw bad("--M must be at least 2 (one signal and one noise token): got " + M);
        positive("--mk", mk);
        positive("--mv", mv);
        positive("--N", N);
        positive("--heads", heads);
        if (sigma.length != M - 1) {
            throw bad("--sigma must list M-1 = " + (M - 1) + " values (one per noise token): got "
                    + sigma.length + " " + Arrays.toString(sigma));
        }
        for (double s : sigma) {
            if (!(s > 0) || !Double.isFinite(s)) throw bad("--sigma values must be finite and > 0: got " + s);
        }
        finiteNonNegative("--mu", mu);
        if (images == null && !Double.isFinite(snr())) {
            // A σ_p so small (subnormal) that |μ|/(σ_p √d) overflows: the run would train, then its
            // summary row's snr "Inf" would not read back as a number in the aggregation.
            throw bad("SNR = |mu|/(sigma_p sqrt(d)) = " + mu + "/(" + sigmaP() + " sqrt(" + d + ")) is not finite: raise sigma_p ("
                    + (snrSigma > 0 ? "--snr-sigma" : "--sigma's first value") + ") or lower --mu");
        }
        if (!(p >= 0 && p < 0.5)) throw bad("--p must be in [0, 0.5): got " + p);
        if (signals == SignalBasis.AXIS && d < 2) throw bad("--d must be at least 2 for axis signals: got " + d);
        if (orthogonalNoise && d < 3) throw bad("--d must be at least 3 with --orthogonal-noise: got " + d);
        if (init == InitScheme.THEORY) {
            finitePositive("--sigma0", sigma0);
            finitePositive("--sigma-v", sigmaV);
            finitePositive("--sigma-o", sigmaO);
        } else {
            finitePositive("--init-divisor", initDivisor);
        }
        finitePositive("--lr", lr);
        if (steps < 0) throw bad("--steps must be >= 0: got " + steps);
        if (!(targetLoss >= 0) || !Double.isFinite(targetLoss)) {
            throw bad("--target-loss must be finite and >= 0 (0 = never stop early): got " + targetLoss);
        }
        positive("--eval-every", evalEvery);
        positive("--test-n", testN);
        if (repeat < 0) throw bad("repeat index must be >= 0: got " + repeat);
        if (!(snrSigma >= 0) || !Double.isFinite(snrSigma)) {
            throw bad("--snr-sigma must be finite and >= 0 (0 = the sigma of token 2): got " + snrSigma);
        }
        finitePositive("--test-sigma-scale", testSigmaScale);
        if (!(testSignalAngle >= 0 && testSignalAngle <= 180)) {
            throw bad("--test-signal-angle must be in [0, 180] degrees: got " + testSignalAngle);
        }
        if (!(testP >= 0 && testP < 0.5)) throw bad("--test-p must be in [0, 0.5): got " + testP);
        if (loss == null) throw bad("--loss must be one of " + java.util.Arrays.stream(Loss.values()).map(Loss::key).toList() + ": got none");
        if (batchSize < 1 || batchSize > N) throw bad("--batch-size must be in [1, N=" + N + "]: got " + batchSize);
        if (testSignalAngle > 0 && d < 4) {
            throw bad("--d must be at least 4 with --test-signal-angle > 0 (the test signals turn toward two more"
                    + " orthonormal directions): got " + d);
        }
        if (attnSample < -1 || attnSample >= N) {
            throw bad("--attn-sample must be -1 (mean) or in [0, N) = [0, " + N + "): got " + attnSample);
        }
        if (images != null) {
            images.validate();
            if (M != images.M() || d != images.d()) {
                throw bad("image runs have M = (" + ImageSource.SIDE + "/patch)^2 = " + images.M() + " and d = patch^2 = "
                        + images.d() + ": got M=" + M + ", d=" + d);
            }
        }
        return this;
    }

    private static void positive(String name, int v) {
        if (v <= 0) throw bad(name + " must be a positive integer: got " + v);
    }

    private static void finitePositive(String name, double v) {
        if (!(v > 0) || !Double.isFinite(v)) throw bad(name + " must be finite and > 0: got " + v);
    }

    private static void finiteNonNegative(String name, double v) {
        if (!(v >= 0) || !Double.isFinite(v)) throw bad(name + " must be finite and >= 0: got " + v);
    }

    private static IllegalArgumentException bad(String msg) {
        return new IllegalArgumentException(msg);
    }

    /** Whether a step uses fewer than all N samples (mini-batch SGD, docs/math.md §8). */
    public boolean miniBatch() {
        return batchSize < N;
    }

    /**
     * A copy with another N (the data of the first min(N) samples is unchanged: docs/math.md §1); a
     * full-batch run stays full-batch.
     */
    public RunConfig withN(int n) {
        return new RunConfig(d, M, mk, mv, n, sigma, mu, p, labels, orthogonalNoise, signals, init,
                sigma0, sigmaV, sigmaO, initDivisor, trainWo, lr, steps, targetLoss, evalEvery, testN,
                seed, repeat, attnSample, snrSigma, images, testSigmaScale, testSignalAngle, testP, loss,
                miniBatch() ? batchSize : n, heads);
    }

    /** A copy with another repeat index. */
    public RunConfig withRepeat(int r) {
        return new RunConfig(d, M, mk, mv, N, sigma, mu, p, labels, orthogonalNoise, signals, init,
                sigma0, sigmaV, sigmaO, initDivisor, trainWo, lr, steps, targetLoss, evalEvery, testN,
                seed, r, attnSample, snrSigma, images, testSigmaScale, testSignalAngle, testP, loss, batchSize, heads);
    }

    /**
     * Equal exactly when the key texts ({@link #toString}) are equal, compared field by field
     * without building them (a plan's checks compare and hash configs by the thousand): a double
     * by its bits, as Double.toString writes one text per value (±0 apart, every NaN alike), and
     * each optional part only where the text shows it (an image directory whose name holds the text
     * of the parts after it, ", classes=", aside). RunConfigTextTest checks both against the text.
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof RunConfig c)) return false;
        return d == c.d && M == c.M && mk == c.mk && mv == c.mv && N == c.N && Arrays.equals(sigma, c.sigma)
                && same(mu, c.mu) && same(p, c.p) && labels == c.labels && orthogonalNoise == c.orthogonalNoise
                && signals == c.signals && init == c.init && same(sigma0, c.sigma0) && same(sigmaV, c.sigmaV)
                && same(sigmaO, c.sigmaO) && same(initDivisor, c.initDivisor) && trainWo == c.trainWo && same(lr, c.lr)
                && steps == c.steps && same(targetLoss, c.targetLoss) && evalEvery == c.evalEvery && testN == c.testN
                && seed == c.seed && repeat == c.repeat && attnSample == c.attnSample
                && same(shownSnrSigma(), c.shownSnrSigma()) && java.util.Objects.equals(images, c.images)
                && same(testSigmaScale, c.testSigmaScale)
                && showsTestSignalAngle() == c.showsTestSignalAngle() && (!showsTestSignalAngle() || same(testSignalAngle, c.testSignalAngle))
                && showsTestP() == c.showsTestP() && (!showsTestP() || same(testP, c.testP)) && loss == c.loss && shownBatchSize() == c.shownBatchSize() && heads == c.heads;
    }

    /** Consistent with {@link #equals}: the same fields, optional parts as the text shows them. */
    @Override
    public int hashCode() {
        long h = 17;
        for (long v : new long[] {d, M, mk, mv, N, Arrays.hashCode(sigma), bits(mu), bits(p), java.util.Objects.hashCode(labels),
                orthogonalNoise ? 1 : 0, java.util.Objects.hashCode(signals), java.util.Objects.hashCode(init), bits(sigma0),
                bits(sigmaV), bits(sigmaO), bits(initDivisor), trainWo ? 1 : 0, bits(lr), steps, bits(targetLoss), evalEvery, testN,
                seed, repeat, attnSample, bits(shownSnrSigma()), java.util.Objects.hashCode(images), bits(testSigmaScale),
                showsTestSignalAngle() ? bits(testSignalAngle) : 1, showsTestP() ? bits(testP) : 1, java.util.Objects.hashCode(loss), shownBatchSize(), heads}) {
            h = 31 * h + v;
        }
        return Long.hashCode(h);
    }

    /** Equal as Double.toString writes them: equal bits, every NaN alike. */
    private static boolean same(double a, double b) {
        return Double.doubleToLongBits(a) == Double.doubleToLongBits(b);
    }

    private static long bits(double v) {
        return Double.doubleToLongBits(v);
    }

    // The optional parts as the key text shows them: the value where it is shown, else a constant no
    // shown value has (snrSigma is shown only when > 0, so never as NaN; the angle and testP may be
    // shown as NaN, so their absence is the flag beside them).

    private double shownSnrSigma() {
        return snrSigma > 0 ? snrSigma : Double.NaN;
    }

    private boolean showsTestSignalAngle() {
        return testSignalAngle != 0;
    }

    private boolean showsTestP() {
        return testP != p;
    }

    private int shownBatchSize() {
        return miniBatch() ? batchSize : 0;
    }

    /**
     * The text that keys a run (its hash names the run in a result store). Options added after
     * results were stored appear only when not at their default, so a run that does not use them
     * keeps the key it had before they existed. Stored keys depend on it character for character:
     * it is the text the original {@code String.format} built (doubles as {@link Double#toString},
     * which is what {@code StringBuilder.append(double)} writes), appended directly because the
     * formatter's parsing took most of the time of planning a large sweep (RunConfigTextTest holds
     * the old formula as its oracle).
     */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(400)
                .append("RunConfig[d=").append(d).append(", M=").append(M).append(", mk=").append(mk)
                .append(", mv=").append(mv).append(", N=").append(N).append(", sigma=").append(sigmaText());
        b.append(", mu=").append(mu).append(", p=").append(p).append(", labels=").append(labels)
                .append(", orthogonalNoise=").append(orthogonalNoise).append(", signals=").append(signals)
                .append(", init=").append(init).append(", sigma0=").append(sigma0).append(", sigmaV=").append(sigmaV)
                .append(", sigmaO=").append(sigmaO).append(", initDivisor=").append(initDivisor)
                .append(", trainWo=").append(trainWo).append(", lr=").append(lr).append(", steps=").append(steps)
                .append(", targetLoss=").append(targetLoss).append(", evalEvery=").append(evalEvery)
                .append(", testN=").append(testN).append(", seed=").append(seed).append(", repeat=").append(repeat)
                .append(", attnSample=").append(attnSample);
        if (snrSigma > 0) b.append(", snrSigma=").append(snrSigma);
        if (images != null) {
            b.append(", images=").append(images.dir()).append(", classes=").append(images.classes())
                    .append(", patch=").append(images.patch());
        }
        if (testSigmaScale != 1) b.append(", testSigmaScale=").append(testSigmaScale);
        if (testSignalAngle != 0) b.append(", testSignalAngle=").append(testSignalAngle);
        if (testP != p) b.append(", testP=").append(testP);
        if (loss != Loss.LOGISTIC) b.append(", loss=").append(loss.key());
        if (miniBatch()) b.append(", batchSize=").append(batchSize);
        if (heads != 1) b.append(", heads=").append(heads);
        return b.append(']').toString();
    }
}
