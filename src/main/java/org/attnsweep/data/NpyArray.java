package org.attnsweep.data;

/**
 * An array read from or written to a .npy file: its shape and its values in C order (the last
 * index varies fastest), widened to float64 whatever the file's dtype.
 *
 * @param shape the dimensions; {@code {}} for a 0-d scalar
 * @param data  the product of {@code shape} values, row-major
 */
public record NpyArray(int[] shape, double[] data) {

    public NpyArray {
        if (Npy.count(shape) != data.length) {
            throw new IllegalArgumentException("shape " + Npy.shapeText(shape) + " does not hold the " + data.length + " values of data");
        }
    }

    /** The shape and the number of values, not the values (a training set has millions). */
    @Override
    public String toString() {
        return "NpyArray[shape=" + Npy.shapeText(shape) + ", " + data.length + " values]";
    }
}
