package org.attnsweep.model;

/**
 * Where an image run takes its samples (docs/math.md §7, images as tokens): two classes of an MNIST-format
 * directory of 28×28 images, each image cut into p×p patches that are its tokens.
 *
 * @param dir      a directory with train-images-idx3-ubyte, train-labels-idx1-ubyte,
 *                 t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each plain or {@code .gz}
 * @param classPos the class whose images get the true label +1
 * @param classNeg the class whose images get the true label −1
 * @param patch    the patch side p: M = (28/p)² tokens of d = p² pixels
 */
public record ImageSource(String dir, int classPos, int classNeg, int patch) {
    /** Side of every image (Fashion-MNIST, MNIST). */
    public static final int SIDE = 28;
    /** Side of the central square that gets no noise (docs/math.md §7). */
    public static final int CENTRE = 20;
    /** Class labels of the MNIST family. */
    public static final int CLASSES = 10;

    /** Tokens per image, (28/p)². */
    public int M() {
        return (SIDE / patch) * (SIDE / patch);
    }

    /** Pixels per token, p². */
    public int d() {
        return patch * patch;
    }

    /**
     * Refuses classes outside 0..9 or equal, and a patch side that does not cut the image into at
     * least two tokens of at least two pixels (M ≥ 2 and d ≥ 2).
     */
    public ImageSource validate() {
        if (classPos < 0 || classPos >= CLASSES || classNeg < 0 || classNeg >= CLASSES) {
            throw new IllegalArgumentException("--classes must be two classes in 0.." + (CLASSES - 1) + ": got " + this.classes());
        }
        if (classPos == classNeg) throw new IllegalArgumentException("--classes must be two distinct classes: got " + classes());
        if (patch < 2 || patch >= SIDE || SIDE % patch != 0) {
            throw new IllegalArgumentException("--patch must divide " + SIDE + " into at least 2x2 patches (2, 4, 7 or 14): got " + patch);
        }
        return this;
    }

    /** The classes as the option writes them, {@code 7,9}. */
    public String classes() {
        return classPos + "," + classNeg;
    }
}
