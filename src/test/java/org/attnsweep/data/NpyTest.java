package org.attnsweep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Npy} against itself (bitwise round trips), against files numpy wrote
 * (src/test/resources/npy/make_fixtures.py, whose formulas the assertions repeat) and, where
 * python3 with numpy is installed, against numpy reading what Java wrote.
 */
class NpyTest {
    private static final long SEED = 20240917L;

    @TempDir
    Path dir;

    static Path fixture(String name) {
        try {
            return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Values that break careless codecs: signed zero, infinities, NaN with a payload, subnormals. */
    static double[] awkwardValues(int n) {
        double[] special = {-0.0, 0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
            Double.longBitsToDouble(0x7ff0000000000123L), Double.MIN_VALUE, Double.MAX_VALUE, 0.1, -1e-300};
        Random r = new Random(SEED);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = i < special.length ? special[i] : r.nextGaussian() * Math.exp(r.nextGaussian() * 20);
        return v;
    }

    static long[] bits(double[] v) {
        return Arrays.stream(v).mapToLong(Double::doubleToRawLongBits).toArray();
    }

    @Test
    void roundTripIsBitwise() throws IOException {
        int[][] shapes = {{}, {0}, {1}, {7}, {2, 3, 4}, {3, 0, 2}, {5, 1, 3, 2}, {3, 4099}};
        for (int[] shape : shapes) {
            double[] data = awkwardValues((int) Npy.count(shape));
            Path f = dir.resolve("a.npy");
            Npy.write(f, shape, data);
            NpyArray a = Npy.read(f);
            assertArrayEquals(shape, a.shape(), "shape " + Arrays.toString(shape) + " seed " + SEED);
            assertArrayEquals(bits(data), bits(a.data()), "values of shape " + Arrays.toString(shape) + " seed " + SEED);
            assertArrayEquals(shape, Npy.readShape(f));
        }
    }

    @Test
    void headerIsLaidOutAsNpSave() throws IOException {
        Path f = dir.resolve("h.npy");
        Npy.write(f, new int[] {2, 3}, new double[6]);
        byte[] b = Files.readAllBytes(f);
        // The bytes np.save(f, np.zeros((2, 3))) writes: 10-byte prefix, 118-byte header, 48 data bytes.
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
        String header = dict + " ".repeat(117 - dict.length()) + "\n";
        byte[] prefix = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 118, 0};
        assertArrayEquals(prefix, Arrays.copyOf(b, 10));
        assertEquals(header, new String(b, 10, 118, StandardCharsets.US_ASCII));
        assertEquals(128 + 48, b.length);
        for (int[] shape : new int[][] {{}, {5}, {123456789, 0}, {1, 2, 1, 3, 1, 1, 2, 1, 1, 1, 1, 1}}) {
            Npy.write(f, shape, new double[(int) Npy.count(shape)]);
            assertEquals(0, (Files.size(f) - 8L * Npy.count(shape)) % 64, "data of " + Arrays.toString(shape) + " starts on a 64-byte boundary");
        }
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("w.npy");
        Npy.write(f, new int[] {3}, new double[] {1, 2, 3});
        Npy.write(f, new int[] {2}, new double[] {4, 5});
        assertArrayEquals(new double[] {4, 5}, Npy.read(f).data());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.write(f, new int[] {2, 2}, new double[3]));
        assertEquals(f + ": shape (2, 2) does not hold the 3 values of data", e.getMessage());
        assertArrayEquals(new double[] {4, 5}, Npy.read(f).data(), "a refused write leaves the old file");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    @Test
    void readsFloat32WrittenByNumpy() throws IOException {
        NpyArray a = Npy.read(fixture("f4_2x3x4.npy"));
        assertArrayEquals(new int[] {2, 3, 4}, a.shape());
        for (int k = 0; k < 24; k++) assertEquals(k / 8.0, a.data()[k], "index " + k);
    }

    @Test
    void readsFloat64WrittenByNumpy() throws IOException {
        NpyArray a = Npy.read(fixture("f8_vec5.npy"));
        assertArrayEquals(new int[] {5}, a.shape());
        for (int k = 0; k < 5; k++) assertEquals(Double.doubleToRawLongBits((k - 2) / 3.0), Double.doubleToRawLongBits(a.data()[k]), "index " + k);
        NpyArray s = Npy.read(fixture("f8_scalar.npy"));
        assertArrayEquals(new int[0], s.shape());
        assertArrayEquals(new double[] {2.5}, s.data());
    }

    @Test
    void readsIntegerLabelsWrittenByNumpy() throws IOException {
        double[] labels = {1, -1, -1, 1, 1, -1};
        for (String name : List.of("i8_labels6.npy", "i4_labels6.npy", "i1_labels6.npy")) {
            NpyArray a = Npy.read(fixture(name));
            assertArrayEquals(new int[] {6}, a.shape(), name);
            assertArrayEquals(labels, a.data(), name);
        }
    }

    @Test
    void readsBigEndianAndHeaderVersions2And3() throws IOException {
        double[] quarters = {0, 0.25, 0.5, 0.75, 1, 1.25};
        for (String name : List.of("f8_big_2x3.npy", "f4_big_2x3.npy", "f8_v2_2x3.npy", "f8_v3_2x3.npy")) {
            NpyArray a = Npy.read(fixture(name));
            assertArrayEquals(new int[] {2, 3}, a.shape(), name);
            assertArrayEquals(quarters, a.data(), name);
        }
    }

    @Test
    void refusesFortranOrder() {
        Path f = fixture("f8_fortran_2x3.npy");
        assertMessage(f + ": Fortran-order array (fortran_order: True) is not supported; expected C order (save np.ascontiguousarray(a))", f);
    }

    @Test
    void refusesOtherDtypes() {
        Path f2 = fixture("f2_vec3.npy");
        assertMessage(f2 + ": unsupported dtype '<f2' (expected float32/float64 '<f4' '<f8' '>f4' '>f8'"
                + " or a signed integer '|i1' '<i2' '<i4' '<i8' '>i2' '>i4' '>i8')", f2);
        Path st = fixture("structured.npy");
        assertMessage(st + ": unsupported dtype: a structured array (descr is a list of fields); expected float32/float64"
                + " '<f4' '<f8' '>f4' '>f8' or a signed integer '|i1' '<i2' '<i4' '<i8' '>i2' '>i4' '>i8'", st);
    }

    @Test
    void refusesNonNpyFiles() throws IOException {
        Path text = Files.writeString(dir.resolve("train_x.npy"), "0.5,1.5\n");
        assertMessage(text + ": not an NPY file (bad magic)", text);
        Path empty = Files.write(dir.resolve("empty.npy"), new byte[0]);
        assertMessage(empty + ": not an NPY file (bad magic)", empty);
        Path zip = Files.write(dir.resolve("data.npz"), new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0});
        assertMessage(zip + ": not an NPY file (bad magic; it is a zip archive such as an .npz: save each array with np.save)", zip);
    }

    @Test
    void refusesTruncatedAndOverlongFiles() throws IOException {
        byte[] whole = Files.readAllBytes(fixture("f4_2x3x4.npy"));
        Path cut = Files.write(dir.resolve("cut.npy"), Arrays.copyOf(whole, whole.length - 16));
        assertMessage(cut + ": truncated: shape (2, 3, 4) of '<f4' is 96 data bytes after the 128-byte header, but the file has only 80", cut);
        Path inHeader = Files.write(dir.resolve("head.npy"), Arrays.copyOf(whole, 60));
        assertMessage(inHeader + ": truncated: the NPY header ends at byte 128 but the file has only 60 bytes", inHeader);
        Path inPrefix = Files.write(dir.resolve("prefix.npy"), Arrays.copyOf(whole, 9));
        assertMessage(inPrefix + ": truncated: the file ends inside the NPY header after 9 bytes", inPrefix);
        Path longer = Files.write(dir.resolve("long.npy"), Arrays.copyOf(whole, whole.length + 8));
        assertMessage(longer + ": shape (2, 3, 4) of '<f4' is 96 data bytes after the 128-byte header, but the file has 8 more bytes after them", longer);
    }

    @Test
    void refusesUnknownVersionsAndMalformedHeaders() throws IOException {
        byte[] b = Files.readAllBytes(fixture("f8_vec5.npy"));
        b[6] = 4;
        Path v4 = Files.write(dir.resolve("v4.npy"), b);
        assertMessage(v4 + ": unsupported NPY format version 4.0 (expected 1.0, 2.0 or 3.0)", v4);

        String good = "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }";
        Path noShape = withHeader("noshape.npy", good.replace("'shape': (5,), ", ""), 40);
        assertMessage(noShape + ": malformed NPY header (expected a dict with exactly the keys 'descr', 'fortran_order', 'shape'):"
                + " {'descr': '<f8', 'fortran_order': False, }", noShape);
        Path badShape = withHeader("badshape.npy", good.replace("(5,)", "(5, -1)"), 40);
        assertMessage(badShape + ": malformed NPY header ('shape' must be a tuple of integers in [0, 2147483647]):"
                + " {'descr': '<f8', 'fortran_order': False, 'shape': (5, -1), }", badShape);
        Path garbled = withHeader("garbled.npy", good.replace(": False", " False"), 40);
        assertMessage(garbled + ": malformed NPY header (expected ':' at column 33):"
                + " {'descr': '<f8', 'fortran_order' False, 'shape': (5,), }", garbled);
        // Python 2 wrote longs with an L suffix and double quotes are as valid as single ones.
        Path py2 = withHeader("py2.npy", "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (5L,)}", 40);
        assertArrayEquals(new int[] {5}, Npy.read(py2).shape());
    }

    /** A version 1.0 file with {@code dict} as its header (padded to 64) and {@code dataBytes} zeros. */
    private Path withHeader(String name, String dict, int dataBytes) throws IOException {
        int pad = 64 - (10 + dict.length() + 1) % 64;
        byte[] header = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[10 + header.length + dataBytes];
        byte[] prefix = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length, (byte) (header.length >> 8)};
        System.arraycopy(prefix, 0, b, 0, 10);
        System.arraycopy(header, 0, b, 10, header.length);
        return Files.write(dir.resolve(name), b);
    }

    private static void assertMessage(String expected, Path file) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.read(file));
        assertEquals(expected, e.getMessage());
        assertTrue(expected.indexOf('\n') < 0);
        IllegalArgumentException h = assertThrows(IllegalArgumentException.class, () -> Npy.readShape(file));
        assertEquals(expected, h.getMessage(), "readShape checks as much as read");
    }

    /**
     * Every dtype in both byte orders, in files of several read chunks and a partial one: the bulk
     * read gives each value as a per-item decode (written here one put at a time) widens it.
     */
    @Test
    void readsEveryDtypeAndByteOrderAcrossChunks() throws IOException {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        int n = 3 * (1 << 16) + 5;   // more than three 64 KiB chunks of one-byte items, so of every item size
        for (String type : List.of("f4", "f8", "i1", "i2", "i4", "i8")) {
            for (java.nio.ByteOrder order : List.of(java.nio.ByteOrder.LITTLE_ENDIAN, java.nio.ByteOrder.BIG_ENDIAN)) {
                int size = type.charAt(1) - '0';
                String descr = (size == 1 ? '|' : order == java.nio.ByteOrder.LITTLE_ENDIAN ? '<' : '>') + type;
                String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + n + ",), }";
                header += " ".repeat(63 - (10 + header.length()) % 64) + "\n";
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(10 + header.length() + n * size).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length())
                        .put(header.getBytes(StandardCharsets.US_ASCII)).order(order);
                double[] expected = new double[n];
                for (int i = 0; i < n; i++) {
                    long bits = r.nextLong();
                    expected[i] = switch (type) {
                        case "f4" -> { float v = r.nextFloat() * 2 - 1; b.putFloat(v); yield v; }
                        case "f8" -> { double v = r.nextGaussian(); b.putDouble(v); yield v; }
                        case "i1" -> { b.put((byte) bits); yield (byte) bits; }
                        case "i2" -> { b.putShort((short) bits); yield (short) bits; }
                        case "i4" -> { b.putInt((int) bits); yield (int) bits; }
                        default -> { b.putLong(bits); yield bits; }
                    };
                }
                Path f = Files.write(dir.resolve(descr.substring(1) + order + ".npy"), b.array());
                NpyArray a = Npy.read(f);
                assertArrayEquals(new int[] {n}, a.shape());
                assertArrayEquals(bits(expected), bits(a.data()), descr + ", seed " + seed);
            }
        }
    }

    @Test
    void numpyReadsWhatJavaWroteBitForBitAndWritesTheSameBytes() throws Exception {
        Assumptions.assumeTrue(numpyAvailable(), "python3 with numpy not found: skipping the numpy cross-check");
        double[] data = awkwardValues(24);
        Path f = dir.resolve("java.npy");
        Npy.write(f, new int[] {2, 3, 4}, data);
        // numpy prints the shape, dtype, C-contiguity, every value's raw bits, and whether its own
        // np.save of the loaded array produces the very bytes Java wrote.
        String out = python("import io, sys, numpy as np\n"
                + "a = np.load(sys.argv[1])\n"
                + "print(a.shape, a.dtype.str, a.flags.c_contiguous)\n"
                + "print(' '.join(str(v) for v in a.reshape(-1).view(np.int64)))\n"
                + "b = io.BytesIO(); np.save(b, a)\n"
                + "print(b.getvalue() == open(sys.argv[1], 'rb').read())\n", f.toString());
        String[] lines = out.strip().split("\n");
        assertEquals("(2, 3, 4) <f8 True", lines[0]);
        assertArrayEquals(bits(data), Arrays.stream(lines[1].split(" ")).mapToLong(Long::parseLong).toArray(), "seed " + SEED);
        assertEquals("True", lines[2], "np.save writes the same bytes");
    }

    private static Boolean numpy;

    static synchronized boolean numpyAvailable() {
        if (numpy == null) {
            try {
                python("import numpy");
                numpy = true;
            } catch (IOException | IllegalStateException e) {
                numpy = false;
            }
        }
        return numpy;
    }

    /** Runs a python3 script with arguments; its stdout, or IllegalStateException on failure. */
    static String python(String script, String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of("python3", "-c", script));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("python3 failed: " + script);
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            p.destroy();
        }
    }
}
