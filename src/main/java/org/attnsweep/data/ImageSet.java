package org.attnsweep.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attnsweep.model.ImageSource;

/**
 * An MNIST-format image directory read once: the training and test images with their class labels,
 * and the images of each class. Every run of a command that names the directory shares one
 * instance (a small cache keyed by the real path), so the files are read and checked once per
 * command however many runs use them.
 *
 * <p>The directory holds {@code train-images-idx3-ubyte} [n, 28, 28], {@code
 * train-labels-idx1-ubyte} [n], {@code t10k-images-idx3-ubyte} [n_test, 28, 28] and {@code
 * t10k-labels-idx1-ubyte} [n_test], each plain or gzipped with {@code .gz} appended (the layout of
 * the MNIST and Fashion-MNIST downloads and of Debian's {@code dataset-fashion-mnist}, which
 * installs them in {@value #DEBIAN_FASHION_MNIST}); labels are classes 0..9.
 */
public final class ImageSet {
    /** Where Debian's dataset-fashion-mnist package puts Fashion-MNIST. */
    public static final String DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist";
    private static final String TRAIN_IMAGES = "train-images-idx3-ubyte", TRAIN_LABELS = "train-labels-idx1-ubyte";
    private static final String TEST_IMAGES = "t10k-images-idx3-ubyte", TEST_LABELS = "t10k-labels-idx1-ubyte";
    private static final String NEEDS = "an image dir needs " + TRAIN_IMAGES + ", " + TRAIN_LABELS + ", " + TEST_IMAGES + ", "
            + TEST_LABELS + ", each plain or .gz (Debian's dataset-fashion-mnist installs them in " + DEBIAN_FASHION_MNIST + ")";
    private static final int CACHE = 2;
    private static final Map<Path, ImageSet> LOADED = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Path, ImageSet> eldest) {
            return size() > CACHE;
        }
    };

    /**
     * One split: its images back to back (28·28 unsigned bytes each, row-major) and, per class,
     * the indices of its images in file order.
     *
     * @param file    the images file, for messages
     * @param pixels  n·784 unsigned bytes
     * @param byClass class → image indices
     */
    public record Split(Path file, byte[] pixels, int[][] byClass) {
        /** Images of class k. */
        public int count(int k) {
            return byClass[k].length;
        }
    }

    private final Split train, test;
    private final String fingerprint;

    private ImageSet(Split train, Split test, String fingerprint) {
        this.train = train;
        this.test = test;
        this.fingerprint = fingerprint;
    }

    public Split train() {
        return train;
    }

    public Split test() {
        return test;
    }

    /** 16 hex digits of SHA-256 over the four files' decoded contents: equal for equal images and labels. */
    public String fingerprint() {
        return fingerprint;
    }

    /**
     * The image set of {@code dir}, read and checked on first use and shared afterwards.
     *
     * @throws IllegalArgumentException when the directory or a file is missing, a file is not IDX or
     *                                  is truncated, the images are not 28×28, or labels and images
     *                                  disagree in count or a label is not a class 0..9
     */
    public static ImageSet load(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--images " + dir + ": no such directory (" + NEEDS + ")");
        Path key;
        try {
            key = dir.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("--images " + dir + ": " + e.getMessage(), e);
        }
        synchronized (LOADED) {
            ImageSet s = LOADED.get(key);
            if (s == null) {
                s = read(key);
                LOADED.put(key, s);
            }
            return s;
        }
    }

    private static ImageSet read(Path dir) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            Split train = split(dir, TRAIN_IMAGES, TRAIN_LABELS, md);
            Split test = split(dir, TEST_IMAGES, TEST_LABELS, md);
            return new ImageSet(train, test, HexFormat.of().formatHex(md.digest(), 0, 8));
        } catch (IOException e) {
            throw new UncheckedIOException("--images " + dir + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Split split(Path dir, String imagesName, String labelsName, MessageDigest md) throws IOException {
        Path imagesFile = file(dir, imagesName), labelsFile = file(dir, labelsName);
        Idx.Array images = Idx.read(imagesFile);
        int side = ImageSource.SIDE;
        int[] s = images.shape();
        if (s.length != 3 || s[1] != side || s[2] != side) {
            throw new IllegalArgumentException(imagesFile + ": shape " + Npy.shapeText(s) + " but expected (n, " + side + ", " + side
                    + ") images");
        }
        Idx.Array labels = Idx.read(labelsFile);
        if (labels.shape().length != 1 || labels.shape()[0] != s[0]) {
            throw new IllegalArgumentException(labelsFile + ": shape " + Npy.shapeText(labels.shape()) + " but expected (n,) = ("
                    + s[0] + ",) to match " + imagesFile.getFileName() + " " + Npy.shapeText(s));
        }
        List<List<Integer>> byClass = new ArrayList<>();
        for (int k = 0; k < ImageSource.CLASSES; k++) byClass.add(new ArrayList<>());
        for (int i = 0; i < s[0]; i++) {
            int k = labels.at(i);
            if (k >= ImageSource.CLASSES) {
                throw new IllegalArgumentException(labelsFile + ": label at index " + i + " is " + k + " but classes are 0.."
                        + (ImageSource.CLASSES - 1));
            }
            byClass.get(k).add(i);
        }
        md.update(images.data());
        md.update(labels.data());
        int[][] idx = byClass.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
        return new Split(imagesFile, images.data(), idx);
    }

    /** {@code dir/name}, else {@code dir/name.gz}; refuses a missing one or one that is not a regular file. */
    private static Path file(Path dir, String name) {
        Path plain = dir.resolve(name), gz = dir.resolve(name + ".gz");
        if (Files.isRegularFile(plain)) return plain;
        if (Files.isRegularFile(gz)) return gz;
        Path there = Files.exists(plain) ? plain : gz;
        throw new IllegalArgumentException(there + (Files.exists(there) ? ": not a regular file (" : ": no such file (") + NEEDS + ")");
    }
}
