package org.attnsweep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The IDX reader on the committed-by-code fixture, on Debian's Fashion-MNIST where installed, and on broken files. */
class IdxTest {

    @Test
    void readsPlainAndGzippedAlike(@TempDir Path tmp) throws IOException {
        Path plain = ImageFixture.write(tmp.resolve("plain"), false), gz = ImageFixture.write(tmp.resolve("gz"), true);
        int n = 2 * ImageFixture.TRAIN_PER_CLASS + 2;
        Idx.Array a = Idx.read(plain.resolve("train-images-idx3-ubyte"));
        Idx.Array b = Idx.read(gz.resolve("train-images-idx3-ubyte.gz"));
        assertArrayEquals(new int[] {n, 28, 28}, a.shape());
        assertArrayEquals(a.shape(), b.shape());
        assertArrayEquals(a.data(), b.data());
        // Image 2 (class 7, shift 2): its bar covers rows 14..17, columns 4..23, at 220 (above 127: unsigned).
        assertEquals(220, a.at(2 * 784 + 14 * 28 + 4));
        assertEquals(0, a.at(2 * 784 + 13 * 28 + 4));
        Idx.Array labels = Idx.read(gz.resolve("train-labels-idx1-ubyte.gz"));
        assertArrayEquals(new int[] {n}, labels.shape());
        assertEquals(3, labels.at(0));
        assertEquals(7, labels.at(2));
        assertEquals(9, labels.at(3));
    }

    /** A file named .gz that is plain, and a plain name that is gzipped: the magic decides. */
    @Test
    void gzipIsRecognisedByItsMagicNotItsName(@TempDir Path tmp) throws IOException {
        byte[] bytes = ImageFixture.idxBytes(new int[] {2, 3}, new byte[] {1, 2, 3, 4, 5, (byte) 255});
        Path plainNamedGz = tmp.resolve("a.gz"), gzNamedPlain = tmp.resolve("b");
        Files.write(plainNamedGz, bytes);
        Files.write(gzNamedPlain, gzip(bytes));
        for (Path f : new Path[] {plainNamedGz, gzNamedPlain}) {
            Idx.Array a = Idx.read(f);
            assertArrayEquals(new int[] {2, 3}, a.shape());
            assertEquals(255, a.at(5));
        }
    }

    @Test
    void brokenFilesAreRefusedNamingFileAndFault(@TempDir Path tmp) throws IOException {
        byte[] good = ImageFixture.idxBytes(new int[] {2, 28, 28}, new byte[2 * 784]);
        expect(tmp, "short", Arrays.copyOf(good, 3), "truncated: the file ends inside the 4-byte IDX magic after 3 bytes");
        expect(tmp, "header", Arrays.copyOf(good, 10), "truncated: the IDX header of 3 dimensions is 16 bytes, but the file ends after 10");
        expect(tmp, "data", Arrays.copyOf(good, 16 + 700),
                "truncated: shape (2, 28, 28) is 1568 data bytes after the 16-byte header, but the file has only 700");
        expect(tmp, "extra", Arrays.copyOf(good, good.length + 5),
                "shape (2, 28, 28) is 1568 data bytes after the 16-byte header, but the file has 5 more bytes");
        expect(tmp, "npy", new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'}, "not an IDX file (magic 93 4e 55 4d");
        byte[] floats = good.clone();
        floats[2] = 0x0D;
        expect(tmp, "floats", floats, "IDX type code 0x0d is not read (only 0x08, unsigned bytes)");
        // A corrupt size past an array: the message gives the true byte count (it once showed a capped 4294967298).
        byte[] huge = {0, 0, 8, 3, 0x77, 0x35, (byte) 0x94, 0, 0, 0, 0, 28, 0, 0, 0, 28};
        expect(tmp, "huge", huge, "shape (2000000000, 28, 28) is 1568000000000 data bytes after the 16-byte header, more than a Java array holds");
        byte[] overLong = {0, 0, 8, 3, 0x7f, -1, -1, -1, 0x7f, -1, -1, -1, 0x7f, -1, -1, -1};
        expect(tmp, "overlong", overLong, "shape (2147483647, 2147483647, 2147483647) is 9903520300447984150353281023 data bytes");
        byte[] zeroDims = {0, 0, 8, 0};
        expect(tmp, "zero", zeroDims, "IDX header declares 0 dimensions");
        // Gzipped: data cut short after decompression, and the compressed stream itself cut short.
        expect(tmp, "gzdata", gzip(Arrays.copyOf(good, 16 + 700)),
                "truncated: shape (2, 28, 28) is 1568 data bytes after the 16-byte header, but the file ends after 700");
        byte[] gz = gzip(good);
        expect(tmp, "gzcut", Arrays.copyOf(gz, gz.length / 2), "truncated: the gzip stream ends early");
        // Bytes after the gzip stream (GZIPInputStream stops there quietly); two members are one stream.
        byte[] appended = Arrays.copyOf(gz, gz.length + 9);
        System.arraycopy("appended!".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, appended, gz.length, 9);
        expect(tmp, "gztail", appended, "corrupt gzip stream: bytes follow its end");
        byte[] one = gzip(Arrays.copyOf(good, 100)), two = gzip(Arrays.copyOfRange(good, 100, good.length));
        byte[] members = Arrays.copyOf(one, one.length + two.length);
        System.arraycopy(two, 0, members, one.length, two.length);
        Files.write(tmp.resolve("members"), members);
        assertArrayEquals(Arrays.copyOfRange(good, 16, good.length), Idx.read(tmp.resolve("members")).data());
        byte[] corrupt = gz.clone();
        corrupt[2] = 7; // compression method 7: only 8 (deflate) exists
        expect(tmp, "gzbad", corrupt, "corrupt gzip stream: Unsupported compression method");

        Path dir = Files.createDirectory(tmp.resolve("dir"));
        assertEquals(dir + ": is a directory, not an IDX file", assertThrows(IllegalArgumentException.class, () -> Idx.read(dir)).getMessage());
        Path none = tmp.resolve("none");
        assertEquals(none + ": no such file", assertThrows(IllegalArgumentException.class, () -> Idx.read(none)).getMessage());
    }

    /** Debian's dataset-fashion-mnist (scripts/test installs it as root); skipped, saying why, where absent. */
    @Test
    void readsDebiansFashionMnist() throws IOException {
        Path dir = Path.of(ImageSet.DEBIAN_FASHION_MNIST);
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("t10k-images-idx3-ubyte.gz")),
                "Debian's dataset-fashion-mnist is not installed (" + dir + "): apt-get install dataset-fashion-mnist");
        Idx.Array images = Idx.read(dir.resolve("t10k-images-idx3-ubyte.gz"));
        assertArrayEquals(new int[] {10000, 28, 28}, images.shape());
        ImageSet set = ImageSet.load(dir);
        assertEquals(60000, set.train().pixels().length / 784);
        for (int k = 0; k < 10; k++) {
            assertEquals(6000, set.train().count(k), "class " + k);
            assertEquals(1000, set.test().count(k), "class " + k);
        }
    }

    private static void expect(Path tmp, String name, byte[] bytes, String message) throws IOException {
        Path f = tmp.resolve(name);
        Files.write(f, bytes);
        String got = assertThrows(IllegalArgumentException.class, () -> Idx.read(f)).getMessage();
        assertTrue(got.startsWith(f + ": " + message), got);
    }

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }
}
