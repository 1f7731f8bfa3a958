package org.attnsweep.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * RunConfig's key text, which names every stored run by its hash, is exactly the text the original
 * {@code String.format} built: on a table covering every field and every optional part, and on
 * seeded random configs. The old formula is kept here, unchanged, as the oracle: the loss and the
 * batch size are at their defaults (logistic, B = N), which add nothing to the key.
 */
class RunConfigTextTest {
    private static final long SEED = Long.getLong("attnsweep.seed", System.nanoTime());
    private static final int RANDOM_CONFIGS = 20_000;

    /** The key text as it was built before the StringBuilder version (commit c17db87), verbatim. */
    private static String oracle(RunConfig c) {
        double[] sigma = c.sigma();
        ImageSource images = c.images();
        double p = c.p();
        return String.format(Locale.ROOT,
                "RunConfig[d=%d, M=%d, mk=%d, mv=%d, N=%d, sigma=%s, mu=%s, p=%s, labels=%s, orthogonalNoise=%s, "
                        + "signals=%s, init=%s, sigma0=%s, sigmaV=%s, sigmaO=%s, initDivisor=%s, trainWo=%s, lr=%s, "
                        + "steps=%d, targetLoss=%s, evalEvery=%d, testN=%d, seed=%d, repeat=%d, attnSample=%d%s%s%s%s%s%s]",
                c.d(), c.M(), c.mk(), c.mv(), c.N(), Arrays.toString(sigma), c.mu(), p, c.labels(), c.orthogonalNoise(),
                c.signals(), c.init(), c.sigma0(), c.sigmaV(), c.sigmaO(), c.initDivisor(), c.trainWo(), c.lr(), c.steps(),
                c.targetLoss(), c.evalEvery(), c.testN(), c.seed(), c.repeat(), c.attnSample(),
                c.snrSigma() > 0 ? ", snrSigma=" + c.snrSigma() : "",
                images == null ? "" : ", images=" + images.dir() + ", classes=" + images.classes() + ", patch=" + images.patch(),
                c.testSigmaScale() != 1 ? ", testSigmaScale=" + c.testSigmaScale() : "",
                c.testSignalAngle() != 0 ? ", testSignalAngle=" + c.testSignalAngle() : "",
                c.testP() != p ? ", testP=" + c.testP() : "",
                c.heads() != 1 ? ", heads=" + c.heads() : "");
    }

    /** A config from the default spec with the given keys set (as the CLI sets them), repeat 0. */
    private static RunConfig spec(String... kv) {
        RunSpec s = new RunSpec();
        for (int i = 0; i < kv.length; i += 2) s.set(kv[i], kv[i + 1]);
        return s.build(0);
    }

    /** A config with every field given; lets the table reach values the CLI refuses (NaN, ∞, −0). */
    private static RunConfig all(double[] sigma, double mu, double p, double snrSigma, ImageSource images,
                                 double scale, double angle, double testP) {
        return new RunConfig(7, sigma.length + 1, 3, 5, 11, sigma, mu, p, LabelMode.values()[1], true,
                SignalBasis.values()[SignalBasis.values().length - 1], InitScheme.values()[InitScheme.values().length - 1],
                1e-3, 2.5e-7, 0.1, 16, true, 0.05, 1000, 1e-4, 10, 200, -42L, 3, -1, snrSigma, images, scale, angle, testP,
                Loss.LOGISTIC, 11, 1);
    }

    @Test
    void tableCoversEveryFieldAndOption() {
        double nan = Double.NaN, inf = Double.POSITIVE_INFINITY;
        ImageSource img = new ImageSource("/data/fashion-mnist", 7, 9, 4);
        List<RunConfig> table = new ArrayList<>(List.of(
                spec(),
                spec("sigma", "4,2,0.2,0.2", "M", "5"),
                spec("sigma", "1e-300,1e300,123456789.125", "M", "4"),
                spec("snr-sigma", "0.5"),
                spec("snr-sigma", "0"),
                spec("test-sigma-scale", "2"),
                spec("test-signal-angle", "45", "d", "8"),
                spec("test-p", "0.2"),
                spec("test-p", "0.1", "p", "0.1"),
                spec("heads", "3"),
                spec("mu", "-0", "p", "-0", "target-loss", "-0", "test-p", "-0"),
                spec("labels", "rademacher", "orthogonal-noise", "true", "signals", "random", "init", "torch",
                        "init-divisor", "3.5", "train-wo", "true", "lr", "0.3", "steps", "0", "eval-every", "7",
                        "test-n", "13", "seed", "9223372036854775807", "attn-sample", "2", "N", "5"),
                all(new double[] {1, 0.2}, 3, 0.1, 0, null, 1, 0, 0.1),
                all(new double[] {1, 0.2}, 3, 0.1, 0.7, img, 1.5, 90, 0.3),
                all(new double[] {}, 0, 0, 0, null, 1, 0, 0),
                all(new double[] {0.1 + 0.2, 1.0 / 3}, 1e7, 1e-3, 1e-7, img, 1e-5, 180, 0.49999999999999994),
                all(new double[] {-0.0, 0.0}, -0.0, -0.0, -0.0, null, -0.0, -0.0, 0.0),
                all(new double[] {nan, inf, -inf}, nan, 0.1, nan, null, nan, nan, nan),
                all(new double[] {inf}, inf, nan, inf, img, inf, inf, nan),
                all(new double[] {Double.MIN_VALUE, Double.MAX_VALUE}, -inf, -0.0, -inf, null, -inf, -inf, -inf)));
        for (RunConfig c : table) assertEquals(oracle(c), c.toString());
        // −0 given on the command line is read as 0, so it keys the same run as 0.
        assertEquals(spec("mu", "0", "p", "0", "test-p", "0").toString(), spec("mu", "-0", "p", "-0", "test-p", "-0").toString());
        // Each optional part shows only off its default; a field's change always changes the text.
        assertNotEquals(spec().toString(), spec("test-p", "0.2").toString());
        assertEquals(spec().hashCode(), spec().hashCode());
        assertEquals(spec(), spec());
        assertNotEquals(spec(), spec("seed", "2"));
    }

    @Test
    void randomConfigsMatchTheOracle() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int k = 0; k < RANDOM_CONFIGS; k++) {
            double[] sigma = new double[rnd.nextInt(0, 6)];
            for (int j = 0; j < sigma.length; j++) sigma[j] = real(rnd);
            double p = rnd.nextInt(4) == 0 ? 0 : real(rnd);
            int N = rnd.nextInt();
            RunConfig c = new RunConfig(rnd.nextInt(), rnd.nextInt(), rnd.nextInt(), rnd.nextInt(), N,
                    sigma, real(rnd), p, pick(rnd, LabelMode.values()), rnd.nextBoolean(), pick(rnd, SignalBasis.values()),
                    pick(rnd, InitScheme.values()), real(rnd), real(rnd), real(rnd), real(rnd), rnd.nextBoolean(),
                    real(rnd), rnd.nextInt(), real(rnd), rnd.nextInt(), rnd.nextInt(), rnd.nextLong(), rnd.nextInt(),
                    rnd.nextInt(-2, 100), rnd.nextBoolean() ? 0 : real(rnd),
                    rnd.nextBoolean() ? null : new ImageSource("dir " + rnd.nextInt(), rnd.nextInt(10), rnd.nextInt(10), rnd.nextInt(1, 29)),
                    rnd.nextBoolean() ? 1 : real(rnd), rnd.nextBoolean() ? 0 : real(rnd), rnd.nextBoolean() ? p : real(rnd),
                    Loss.LOGISTIC, N, rnd.nextBoolean() ? 1 : rnd.nextInt());
            assertEquals(oracle(c), c.toString(), "config " + k + " of seed " + SEED + " (rerun with -Dattnsweep.seed=" + SEED + ")");
        }
    }

    /**
     * equals and hashCode compare fields without the text, and must agree with it: equal exactly
     * when the texts are, equal hashes then. Pairs of random configs that differ in one field (or
     * in none) by a value from {@link #real}'s regimes or a regime's neighbour (±0, NaN, 1, p):
     * optional parts at and off their defaults, values the text shows as one (−0 and 0 for the
     * angle, which shows neither) and values it tells apart.
     */
    @Test
    void equalsAndHashCodeAgreeWithTheText() {
        SplittableRandom rnd = new SplittableRandom(SEED + 1);
        int equalPairs = 0;
        for (int k = 0; k < RANDOM_CONFIGS; k++) {
            String seedNote = "pair " + k + " of seed " + SEED + " (rerun with -Dattnsweep.seed=" + SEED + ")";
            Object[] a = fields(rnd), b = a.clone();
            int field = rnd.nextInt(a.length + 1);
            if (field < a.length) b[field] = change(rnd, a, field);
            RunConfig x = make(a), y = make(b);
            boolean sameText = x.toString().equals(y.toString());
            if (sameText) equalPairs++;
            assertEquals(sameText, x.equals(y), seedNote + ", field " + field + ": " + x + " against " + y);
            assertEquals(sameText, y.equals(x), seedNote);
            if (sameText) assertEquals(x.hashCode(), y.hashCode(), seedNote + ": equal configs, unequal hashes");
        }
        // Neither side can pass by always saying one thing: both outcomes occur often.
        assertTrue(equalPairs > RANDOM_CONFIGS / 20 && equalPairs < RANDOM_CONFIGS - RANDOM_CONFIGS / 20,
                equalPairs + " equal pairs of " + RANDOM_CONFIGS + " (seed " + SEED + ")");
    }

    /** The constructor's 33 arguments, random. */
    private static Object[] fields(SplittableRandom rnd) {
        double[] sigma = new double[rnd.nextInt(0, 4)];
        for (int j = 0; j < sigma.length; j++) sigma[j] = real(rnd);
        double p = real(rnd);
        int N = rnd.nextInt(1, 9);
        return new Object[] {rnd.nextInt(1, 9), rnd.nextInt(1, 9), rnd.nextInt(1, 9), rnd.nextInt(1, 9), N, sigma, real(rnd), p,
                pick(rnd, LabelMode.values()), rnd.nextBoolean(), pick(rnd, SignalBasis.values()), pick(rnd, InitScheme.values()),
                real(rnd), real(rnd), real(rnd), real(rnd), rnd.nextBoolean(), real(rnd), rnd.nextInt(1, 9), real(rnd),
                rnd.nextInt(1, 9), rnd.nextInt(1, 9), (long) rnd.nextInt(1, 9), rnd.nextInt(0, 9), rnd.nextInt(-1, 9),
                rnd.nextBoolean() ? 0.0 : real(rnd), rnd.nextBoolean() ? null : image(rnd), rnd.nextBoolean() ? 1.0 : real(rnd),
                rnd.nextBoolean() ? 0.0 : real(rnd), rnd.nextBoolean() ? p : real(rnd), pick(rnd, Loss.values()),
                rnd.nextBoolean() ? N : rnd.nextInt(1, 9), rnd.nextBoolean() ? 1 : rnd.nextInt(1, 9)};
    }

    /** Another value for field i: for a double, often one the text may show alike (±0, NaN, 1, p). */
    private static Object change(SplittableRandom rnd, Object[] a, int i) {
        Object v = a[i];
        if (v instanceof Double x) {
            return switch (rnd.nextInt(5)) {
                case 0 -> x == 0 ? -x : Double.longBitsToDouble(Double.doubleToRawLongBits(x) ^ 1);
                case 1 -> Double.longBitsToDouble(0x7ff8000000000001L);  // a NaN of other bits
                case 2 -> 1.0;
                case 3 -> a[7];                                           // p: testP's default
                default -> real(rnd);
            };
        }
        if (v instanceof double[] s) {
            double[] t = rnd.nextBoolean() ? java.util.Arrays.copyOf(s, s.length + 1) : s.clone();
            if (t.length > 0) t[rnd.nextInt(t.length)] = rnd.nextBoolean() ? -t[0] : real(rnd);
            return t;
        }
        if (v instanceof Boolean x) return !x;
        if (v instanceof Long x) return x + rnd.nextInt(-1, 2);
        if (v instanceof Integer x) return i == 31 ? (rnd.nextBoolean() ? a[4] : x + 1) : x + rnd.nextInt(-1, 2);
        if (v instanceof Enum<?> e) return pick(rnd, e.getDeclaringClass().getEnumConstants());
        return rnd.nextBoolean() ? null : image(rnd);  // the image source, null or not
    }

    private static ImageSource image(SplittableRandom rnd) {
        return new ImageSource("dir" + rnd.nextInt(2), rnd.nextInt(2), rnd.nextInt(2), rnd.nextInt(2, 4));
    }

    private static RunConfig make(Object[] f) {
        return new RunConfig((int) f[0], (int) f[1], (int) f[2], (int) f[3], (int) f[4], (double[]) f[5], (double) f[6],
                (double) f[7], (LabelMode) f[8], (boolean) f[9], (SignalBasis) f[10], (InitScheme) f[11], (double) f[12],
                (double) f[13], (double) f[14], (double) f[15], (boolean) f[16], (double) f[17], (int) f[18], (double) f[19],
                (int) f[20], (int) f[21], (long) f[22], (int) f[23], (int) f[24], (double) f[25], (ImageSource) f[26],
                (double) f[27], (double) f[28], (double) f[29], (Loss) f[30], (int) f[31], (int) f[32]);
    }

    /** A double from every regime Double.toString writes differently: plain, exponent, tiny, huge, signed zero, NaN, ±∞. */
    private static double real(SplittableRandom rnd) {
        return switch (rnd.nextInt(8)) {
            case 0 -> rnd.nextDouble();
            case 1 -> rnd.nextInt(-1000, 1000) / 8.0;
            case 2 -> Math.scalb(rnd.nextDouble(-1, 1), rnd.nextInt(-1074, 1024));
            case 3 -> Double.longBitsToDouble(rnd.nextLong());
            case 4 -> rnd.nextBoolean() ? 0.0 : -0.0;
            case 5 -> rnd.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
            case 6 -> Double.NaN;
            default -> rnd.nextDouble(1e-4, 1e7);
        };
    }

    private static <T> T pick(SplittableRandom rnd, T[] values) {
        return values[rnd.nextInt(values.length)];
    }
}
