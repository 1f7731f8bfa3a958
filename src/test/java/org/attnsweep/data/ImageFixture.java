package org.attnsweep.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * A small MNIST-format image directory written by the tests themselves (nothing downloaded):
 * {@value #TRAIN_PER_CLASS} training and {@value #TEST_PER_CLASS} test images of classes 7 and 9
 * and two of class 3, 28×28, so the IDX reader, the image data and the image CLI run everywhere.
 * Class 7 is a horizontal bar through the centre, class 9 a vertical one, class 3 a filled square;
 * image i of a class is shifted by i mod 3 pixels so the images differ.
 */
public final class ImageFixture {
    private ImageFixture() {
    }

    public static final int TRAIN_PER_CLASS = 24, TEST_PER_CLASS = 8;
    static final int SIDE = 28;

    /** Writes the four files into {@code dir} (created), gzipped or plain; returns {@code dir}. */
    public static Path write(Path dir, boolean gzip) throws IOException {
        Files.createDirectories(dir);
        split(dir, "train", TRAIN_PER_CLASS, gzip);
        split(dir, "t10k", TEST_PER_CLASS, gzip);
        return dir;
    }

    private static void split(Path dir, String prefix, int perClass, boolean gzip) throws IOException {
        int n = 2 * perClass + 2;
        byte[] pixels = new byte[n * SIDE * SIDE], labels = new byte[n];
        for (int i = 0; i < n; i++) {
            int cls = i < 2 ? 3 : i % 2 == 0 ? 7 : 9;
            labels[i] = (byte) cls;
            int shift = i % 3;
            for (int r = 0; r < SIDE; r++) {
                for (int c = 0; c < SIDE; c++) {
                    boolean on = switch (cls) {
                        case 7 -> r >= 12 + shift && r < 16 + shift && c >= 4 && c < 24;
                        case 9 -> c >= 12 + shift && c < 16 + shift && r >= 4 && r < 24;
                        default -> r >= 8 && r < 20 && c >= 8 && c < 20;
                    };
                    pixels[i * SIDE * SIDE + r * SIDE + c] = (byte) (on ? 200 + 10 * shift : 0);
                }
            }
        }
        String gz = gzip ? ".gz" : "";
        writeIdx(dir.resolve(prefix + "-images-idx3-ubyte" + gz), new int[] {n, SIDE, SIDE}, pixels, gzip);
        writeIdx(dir.resolve(prefix + "-labels-idx1-ubyte" + gz), new int[] {n}, labels, gzip);
    }

    /** An IDX file of unsigned bytes: 00 00 08 dims, big-endian sizes, the data. */
    public static void writeIdx(Path file, int[] shape, byte[] data, boolean gzip) throws IOException {
        try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
            out.write(idxBytes(shape, data));
        }
    }

    /** The bytes of an IDX file of unsigned bytes. */
    public static byte[] idxBytes(int[] shape, byte[] data) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0);
        b.write(0);
        b.write(Idx.UBYTE);
        b.write(shape.length);
        for (int s : shape) {
            b.write(s >>> 24);
            b.write(s >>> 16);
            b.write(s >>> 8);
            b.write(s);
        }
        b.writeBytes(data);
        return b.toByteArray();
    }
}
