package org.attnsweep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image runs (docs/math.md §7) on the fixture: shapes, the μ mixing, patches, common random numbers, checks. */
class ImageDataTest {

    static RunConfig config(Path dir, String... kv) {
        RunSpec s = new RunSpec();
        s.set("images", dir.toString());
        s.set("N", "8");
        s.set("test-n", "6");
        s.set("mu", "1");
        for (int i = 0; i < kv.length; i += 2) s.set(kv[i], kv[i + 1]);
        return s.build(0);
    }

    /** The fixture image a sample shows: the one whose noise-free pixels match its central patches. */
    @Test
    void tokensArePatchesOfTheMixedImage(@TempDir Path tmp) throws IOException {
        Path dir = ImageFixture.write(tmp, true);
        double mu = 1.5, a = mu / (1 + mu), b = 1 / (1 + mu);
        RunConfig c = config(dir, "mu", Double.toString(mu));
        assertEquals(16, c.M());
        assertEquals(49, c.d());
        assertEquals(mu, c.snr());
        RunData r = DataFactory.generate(c);
        assertNull(r.family(), "image data has no synthetic family");
        TokenSet t = r.train();
        ImageSet.Split split = ImageSet.load(dir).train();
        for (int n = 0; n < c.N(); n++) {
            // Rebuild the 28x28 picture from the 16 patches.
            double[] img = new double[784];
            for (int l = 0; l < 16; l++) {
                for (int i = 0; i < 49; i++) img[(l / 4 * 7 + i / 7) * 28 + l % 4 * 7 + i % 7] = t.at(t.token(n, l), i);
            }
            int cls = t.yClean()[n] > 0 ? 7 : 9;
            // Find the source image: the one of the sample's class whose centre matches exactly.
            int found = -1;
            for (int k : split.byClass()[cls]) {
                boolean same = true;
                for (int px = 0; px < 784 && same; px++) {
                    int row = px / 28, col = px % 28;
                    boolean centre = row >= 4 && row < 24 && col >= 4 && col < 24;
                    if (centre) same = img[px] == a * ((split.pixels()[k * 784 + px] & 0xff) / 255.0);
                }
                if (same) found = k;
            }
            assertTrue(found >= 0, "sample " + n + " shows no image of class " + cls);
            for (int px = 0; px < 784; px++) {
                int row = px / 28, col = px % 28;
                boolean centre = row >= 4 && row < 24 && col >= 4 && col < 24;
                double clean = a * ((split.pixels()[found * 784 + px] & 0xff) / 255.0);
                if (!centre) {
                    // |ξ|/(1+μ) on top, ξ ~ N(0,1): positive, and below 6σ.
                    assertTrue(img[px] > clean && img[px] < clean + 6 * b, "pixel " + px + " of sample " + n + ": " + img[px]);
                }
                assertTrue(img[px] >= 0 && img[px] <= a + 6 * b);
            }
        }
        // Balanced true labels, and the probes are the class-mean tokens.
        assertEquals(0, Arrays.stream(t.yClean()).sum());
        assertEquals(49, r.muPos().length);
        assertNotEquals(Arrays.stream(r.muPos()).sum(), Arrays.stream(r.muNeg()).sum());
    }

    /** Runs that differ in N share their first samples; runs that differ in μ share images and ξ. */
    @Test
    void commonRandomNumbersAcrossNAndMu(@TempDir Path tmp) throws IOException {
        Path dir = ImageFixture.write(tmp, false);
        TokenSet small = DataFactory.generate(config(dir, "N", "6")).train();
        TokenSet large = DataFactory.generate(config(dir, "N", "20")).train();
        double[] s = small.dense(), l = large.dense();
        assertArrayEquals(s, Arrays.copyOf(l, s.length));
        assertArrayEquals(small.yClean(), Arrays.copyOf(large.yClean(), 6));

        // x(μ)·(1+μ) = img·μ + |ξ|: at two μ, the border noise |ξ| and the image are the same.
        double m1 = 0.5, m2 = 2;
        double[] x1 = DataFactory.generate(config(dir, "mu", "0.5")).train().dense();
        double[] x2 = DataFactory.generate(config(dir, "mu", "2")).train().dense();
        // Solve for img and |ξ| from the two mixtures and check both are the same in every pixel of
        // sample 0: img = ((1+m1)x1 − (1+m2)x2)/(m1 − m2) is in [0, 1], |ξ| = (1+m1)x1 − img·m1 >= 0.
        for (int i = 0; i < 16 * 49; i++) {
            double img = ((1 + m1) * x1[i] - (1 + m2) * x2[i]) / (m1 - m2);
            double xi = (1 + m1) * x1[i] - img * m1;
            assertTrue(img > -1e-12 && img < 1 + 1e-12, "img " + img + " at " + i);
            assertTrue(xi > -1e-12, "|xi| " + xi + " at " + i);
        }
        // Another repeat draws other images or noise; the test set comes from the test file.
        RunSpec other = new RunSpec();
        other.set("images", dir.toString());
        other.set("N", "6");
        other.set("test-n", "6");
        other.set("mu", "1");
        assertNotEquals(Arrays.toString(s), Arrays.toString(DataFactory.generate(other.build(1)).train().dense()));
        assertEquals(6, DataFactory.generate(config(dir)).test().N());
    }

    @Test
    void labelFlipsAndPatchSizes(@TempDir Path tmp) throws IOException {
        Path dir = ImageFixture.write(tmp, true);
        TokenSet t = DataFactory.generate(config(dir, "N", "40", "p", "0.3")).train();
        long flipped = java.util.stream.IntStream.range(0, 40).filter(i -> t.y()[i] != t.yClean()[i]).count();
        assertTrue(flipped > 2 && flipped < 25, "flipped " + flipped + " of 40 at p = 0.3");
        RunConfig c14 = config(dir, "patch", "14");
        assertEquals(4, c14.M());
        assertEquals(196, c14.d());
        assertEquals(4, DataFactory.generate(c14).train().M());
        RunConfig c4 = config(dir, "patch", "4", "classes", "9,3", "N", "2");
        assertEquals(49, c4.M());
        assertEquals(16, c4.d());
        assertEquals(List.of(9, 3), List.of(c4.images().classPos(), c4.images().classNeg()));
    }

    @Test
    void badOptionsAndTooFewImagesAreRefused(@TempDir Path tmp) throws IOException {
        Path dir = ImageFixture.write(tmp, false);
        assertEquals("--classes must be two distinct classes: got 7,7", bad(() -> config(dir, "classes", "7,7")));
        assertEquals("--classes must be two classes in 0..9: got 7,10", bad(() -> config(dir, "classes", "7,10")));
        assertEquals("--classes must be two classes a,b (+1 then -1): got '7'", bad(() -> config(dir, "classes", "7")));
        assertEquals("--patch must divide 28 into at least 2x2 patches (2, 4, 7 or 14): got 5", bad(() -> config(dir, "patch", "5")));
        assertEquals("--patch must divide 28 into at least 2x2 patches (2, 4, 7 or 14): got 28", bad(() -> config(dir, "patch", "28")));
        RunSpec s = new RunSpec();
        s.set("classes", "1,2");
        assertEquals("--classes is for image runs: give --images DIR too", bad(() -> s.build(0)));

        // 26 training images of class 7 and 9 each (24 + the fixture's odd ones): N = 60 needs 30 of each.
        String msg = bad(() -> ImageData.check(List.of(config(dir, "N", "60"))));
        assertEquals("--N 60 needs 30 train images of class 7 but " + dir.resolve("train-images-idx3-ubyte") + " has "
                + ImageFixture.TRAIN_PER_CLASS, msg);
        msg = bad(() -> ImageData.check(List.of(config(dir, "N", "4", "test-n", "20", "classes", "3,9"))));
        assertEquals("--test-n 20 needs 10 test images of class 3 but " + dir.resolve("t10k-images-idx3-ubyte") + " has 2", msg);
        assertTrue(ImageData.check(List.of(config(dir))).startsWith("images:"));
        assertEquals("", ImageData.check(List.of(new RunSpec().build(0))));
    }

    @Test
    void brokenImageDirectoriesAreRefusedNamingTheFile(@TempDir Path tmp) throws IOException {
        Path none = tmp.resolve("none");
        assertTrue(bad(() -> ImageSet.load(none)).startsWith("--images " + none + ": no such directory (an image dir needs"));
        Path dir = ImageFixture.write(tmp.resolve("a"), false);
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte"));
        assertTrue(bad(() -> ImageSet.load(dir)).startsWith(dir.toRealPath().resolve("t10k-labels-idx1-ubyte.gz") + ": no such file"));
        Files.createDirectory(dir.resolve("t10k-labels-idx1-ubyte"));
        assertTrue(bad(() -> ImageSet.load(dir)).startsWith(dir.toRealPath().resolve("t10k-labels-idx1-ubyte") + ": not a regular file"));

        Path wrong = ImageFixture.write(tmp.resolve("b"), false);
        ImageFixture.writeIdx(wrong.resolve("train-images-idx3-ubyte"), new int[] {2, 32, 32}, new byte[2 * 1024], false);
        assertEquals(wrong.toRealPath().resolve("train-images-idx3-ubyte") + ": shape (2, 32, 32) but expected (n, 28, 28) images",
                bad(() -> ImageSet.load(wrong)));
        Path labels = ImageFixture.write(tmp.resolve("c"), false);
        ImageFixture.writeIdx(labels.resolve("train-labels-idx1-ubyte"), new int[] {3}, new byte[] {1, 12, 3}, false);
        assertTrue(bad(() -> ImageSet.load(labels)).endsWith("train-labels-idx1-ubyte: shape (3,) but expected (n,) = (50,) "
                + "to match train-images-idx3-ubyte (50, 28, 28)"));
        byte[] tooHigh = new byte[50];
        tooHigh[7] = 12;
        ImageFixture.writeIdx(labels.resolve("train-labels-idx1-ubyte"), new int[] {50}, tooHigh, false);
        assertTrue(bad(() -> ImageSet.load(labels)).endsWith("train-labels-idx1-ubyte: label at index 7 is 12 but classes are 0..9"));
    }

    private static String bad(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(IllegalArgumentException.class, e).getMessage();
    }

    /** A run on Debian's Fashion-MNIST (scripts/test installs it as root); skipped, saying why, where absent. */
    @Test
    void drawsRunsFromDebiansFashionMnist() {
        Path dir = Path.of(ImageSet.DEBIAN_FASHION_MNIST);
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(dir),
                "Debian's dataset-fashion-mnist is not installed (" + dir + "): apt-get install dataset-fashion-mnist");
        RunConfig c = config(dir, "N", "10", "test-n", "20", "mu", "2");
        assertTrue(ImageData.check(List.of(c)).startsWith("images:"));
        RunData r = DataFactory.generate(c);
        assertEquals(10, r.train().N());
        assertEquals(20, r.test().N());
        double max = Arrays.stream(r.train().tokens()).max().orElseThrow(), min = Arrays.stream(r.train().tokens()).min().orElseThrow();
        // Sneakers and ankle boots reach full white somewhere: img·μ/(1+μ) = 2/3 plus border noise.
        assertTrue(min >= 0 && max >= 2.0 / 3 - 1e-12, "pixels in [" + min + ", " + max + "]");
        // 10 images of 16 patches: blank background patches repeat, so P < N·M but well above 2.
        assertTrue(r.train().P() > 20 && r.train().P() <= 160, "P = " + r.train().P());
    }
}
