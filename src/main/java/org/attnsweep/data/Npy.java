package org.attnsweep.data;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * numpy's own .npy format (numpy.lib.format), header versions 1.0, 2.0 and 3.0.
 *
 * <p>A file is the magic string {@code \x93NUMPY}, a major and a minor version byte, the header
 * length (little-endian uint16 in version 1.0, uint32 in 2.0 and 3.0), then the header: a Python
 * dict literal such as {@code {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }}
 * (Latin-1; UTF-8 in 3.0), padded with spaces and ended by a newline so that the data starts on a
 * 64-byte boundary; then the values, back to back.
 *
 * <p>Reading accepts float32 and float64 ({@code <f4 <f8 >f4 >f8}) and signed integers
 * ({@code |i1 <i2 <i4 <i8} or big-endian, for label files) in C order, and widens every value to
 * float64. Anything else is refused with an {@link IllegalArgumentException} whose one-line
 * message starts with the file: a non-NPY file, a truncated file or one with bytes after its data,
 * Fortran order, another dtype. Writing produces float64 little-endian C-order files with a
 * version 1.0 header, byte for byte as {@code np.save} lays them out, and replaces the target
 * atomically.
 */
public final class Npy {
    private Npy() {
    }

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Magic, two version bytes and the uint16 header length of version 1.0. */
    private static final int PREFIX_V1 = MAGIC.length + 2 + 2;
    /** The data of every file numpy writes starts at a multiple of this. */
    private static final int ALIGN = 64;
    /** np.save leaves room in the header for shape[0] to grow to this many digits (in place). */
    private static final int GROWTH_DIGITS = 21;
    /** numpy's NPY_MAXDIMS; with at most 64 dimensions a header always fits version 1.0. */
    private static final int MAX_DIMS = 64;
    /** A header of a plain array is under 2,000 bytes; larger is a corrupt length field. */
    private static final int MAX_HEADER = 65535;
    /** The most elements a Java array holds. */
    private static final long MAX_VALUES = Integer.MAX_VALUE - 8;
    /** Bytes moved per read or write call; a multiple of every item size. */
    private static final int CHUNK = 1 << 16;
    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");
    private static final String ACCEPTED =
            "float32/float64 '<f4' '<f8' '>f4' '>f8' or a signed integer '|i1' '<i2' '<i4' '<i8' '>i2' '>i4' '>i8'";

    /** The item types read; the byte order is kept apart. */
    private enum Type {
        F4(4), F8(8), I1(1), I2(2), I4(4), I8(8);

        final int size;

        Type(int size) {
            this.size = size;
        }

        /**
         * Values at..at+n of {@code out} from the n items in b (its order set, from position 0),
         * widened to float64: one bulk get through a typed view, then a plain widening loop (the
         * file's 10⁵–10⁶ items would otherwise each pass this switch, in the interpreter at start).
         */
        void get(ByteBuffer b, double[] out, int at, int n) {
            switch (this) {
                case F8 -> b.asDoubleBuffer().get(out, at, n);
                case F4 -> {
                    float[] v = new float[n];
                    b.asFloatBuffer().get(v);
                    for (int k = 0; k < n; k++) out[at + k] = v[k];
                }
                case I1 -> {
                    byte[] v = new byte[n];
                    b.get(v);
                    for (int k = 0; k < n; k++) out[at + k] = v[k];
                }
                case I2 -> {
                    short[] v = new short[n];
                    b.asShortBuffer().get(v);
                    for (int k = 0; k < n; k++) out[at + k] = v[k];
                }
                case I4 -> {
                    int[] v = new int[n];
                    b.asIntBuffer().get(v);
                    for (int k = 0; k < n; k++) out[at + k] = v[k];
                }
                case I8 -> {
                    long[] v = new long[n];
                    b.asLongBuffer().get(v);
                    for (int k = 0; k < n; k++) out[at + k] = v[k];
                }
            }
        }

        /** The type of a numpy descr such as {@code <f8}, or null when it is not one we read. */
        static Type of(String descr) {
            if (descr.length() != 3) return null;
            Type t = switch (descr.substring(1)) {
                case "f4" -> F4;
                case "f8" -> F8;
                case "i1" -> I1;
                case "i2" -> I2;
                case "i4" -> I4;
                case "i8" -> I8;
                default -> null;
            };
            char order = descr.charAt(0);
            // '|' (no byte order) is what numpy writes for one-byte types; it reads '<' and '>' there too.
            boolean orderOk = order == '<' || order == '>' || (order == '|' && t != null && t.size == 1);
            return orderOk ? t : null;
        }
    }

    /** A validated header: how to decode the values and where they start. */
    private record Header(Type type, ByteOrder order, int[] shape, int count, long dataOffset) {
    }

    /**
     * Reads a whole file.
     *
     * @throws IllegalArgumentException when the file is not an NPY file we read (see the class doc)
     * @throws IOException              when it cannot be read at all (missing, unreadable)
     */
    public static NpyArray read(Path file) throws IOException {
        try (FileChannel ch = open(file)) {
            Header h = header(file, ch);
            // The size was checked against the file; now against the heap, before allocating.
            Runtime rt = Runtime.getRuntime();
            long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
            if ((long) h.count * Double.BYTES > free) {
                throw fail(file, "shape " + shapeText(h.shape) + " is " + ((long) h.count * Double.BYTES >> 20)
                        + " MiB as float64, but the heap has only " + (free >> 20) + " MiB free (raise -Xmx)");
            }
            double[] data = new double[h.count];
            ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(h.order);
            long pos = h.dataOffset;
            for (int i = 0; i < data.length; ) {
                int n = Math.min(CHUNK / h.type.size, data.length - i);
                buf.clear().limit(n * h.type.size);
                readFully(file, ch, buf, pos);
                pos += buf.limit();
                buf.flip();
                h.type.get(buf, data, i, n);
                i += n;
            }
            return new NpyArray(h.shape, data);
        }
    }

    /**
     * The shape of a file from its header alone, after the same checks as {@link #read} (dtype,
     * order, file length), so a caller can size a run before loading its data.
     */
    public static int[] readShape(Path file) throws IOException {
        try (FileChannel ch = open(file)) {
            return header(file, ch).shape;
        }
    }

    /** Opens a regular file for reading; a directory or a missing file is refused naming it. */
    private static FileChannel open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw fail(file, Files.isDirectory(file) ? "is a directory, not an NPY file" : "no such file");
        }
        return FileChannel.open(file, StandardOpenOption.READ);
    }

    /**
     * Writes {@code data} (C order) as a float64 {@code <f8} array of {@code shape} with a version
     * 1.0 header laid out as {@code np.save} does. The bytes go to a temporary file in the same
     * directory, reach the disk, and are then renamed over {@code file}: a reader, or a crash, sees
     * the old file or the new one, never part of one.
     *
     * @throws IllegalArgumentException when {@code shape} has more than 64 dimensions, a negative
     *                                  one, or does not hold {@code data.length} values
     */
    public static void write(Path file, int[] shape, double[] data) throws IOException {
        write(file, shape, data.length, "<f8", (buf, i, n) -> buf.asDoubleBuffer().put(data, i, n));
    }

    /**
     * Writes {@code data} (C order) as an int64 {@code <i8} array of {@code shape}, as {@link #write}
     * writes float64: np.save's header, atomically.
     */
    public static void writeInt64(Path file, int[] shape, long[] data) throws IOException {
        write(file, shape, data.length, "<i8", (buf, i, n) -> buf.asLongBuffer().put(data, i, n));
    }

    /** Puts values i..i+n of the array being written into a little-endian buffer. */
    private interface Chunk {
        void put(ByteBuffer buf, int i, int n);
    }

    /** The one writer: 8-byte items of numpy type {@code descr}, their bytes from {@code chunk}. */
    private static void write(Path file, int[] shape, int length, String descr, Chunk chunk) throws IOException {
        if (shape.length > MAX_DIMS) throw fail(file, "cannot write " + shape.length + " dimensions (numpy allows at most " + MAX_DIMS + ")");
        long count = count(shape);
        if (count != length) throw fail(file, "shape " + shapeText(shape) + " does not hold the " + length + " values of data");
        Path tmp = file.resolveSibling("." + file.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(ch, ByteBuffer.wrap(headerFor(shape, descr)));
                ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < length; ) {
                    int n = Math.min(CHUNK / Long.BYTES, length - i);
                    buf.clear();
                    chunk.put(buf, i, n);
                    buf.limit(n * Long.BYTES);
                    writeFully(ch, buf);
                    i += n;
                }
                // On disk before the rename makes it visible, so a crash cannot leave a torn file.
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } finally {
            if (!moved) Files.deleteIfExists(tmp);
        }
    }

    /** A shape as Python writes a tuple: {@code ()}, {@code (3,)}, {@code (2, 3)}. */
    static String shapeText(int[] shape) {
        if (shape.length == 1) return "(" + shape[0] + ",)";
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) s.append(i > 0 ? ", " : "").append(shape[i]);
        return s.append(')').toString();
    }

    /**
     * The number of values a shape holds (1 for a 0-d scalar), or {@code Long.MAX_VALUE} when the
     * product overflows a long; refuses negative dimensions.
     */
    static long count(int[] shape) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("shape " + shapeText(shape) + " has a negative dimension");
            n = Math.multiplyHigh(n, s) == 0 && n * s >= 0 ? n * s : Long.MAX_VALUE;
        }
        return n;
    }

    /** np.save's header for a C-order array of type descr: magic, version 1.0, length, padded dict. */
    private static byte[] headerFor(int[] shape, String descr) {
        StringBuilder h = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': False, 'shape': ")
                .append(shapeText(shape)).append(", }");
        if (shape.length > 0) h.repeat(' ', GROWTH_DIGITS - Integer.toString(shape[0]).length());
        // Spaces up to the next multiple of 64 counting the final newline; numpy pads a whole 64
        // when the text already ends on the boundary, and so do we, to stay byte-identical.
        h.repeat(' ', ALIGN - (PREFIX_V1 + h.length() + 1) % ALIGN).append('\n');
        return ByteBuffer.allocate(PREFIX_V1 + h.length()).order(ByteOrder.LITTLE_ENDIAN)
                .put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) h.length())
                .put(h.toString().getBytes(StandardCharsets.US_ASCII))
                .array();
    }

    /** Reads and checks the header, and checks that the file holds exactly the data it announces. */
    private static Header header(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        // Enough for the longest prefix: magic, version and the uint32 length of versions 2.0 and 3.0.
        ByteBuffer pre = ByteBuffer.allocate((int) Math.min(size, PREFIX_V1 + 2)).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, ch, pre, 0);
        byte[] start = Arrays.copyOf(pre.array(), Math.min(pre.capacity(), MAGIC.length));
        if (!Arrays.equals(start, MAGIC)) {
            boolean zip = start.length >= 2 && start[0] == 'P' && start[1] == 'K';
            throw fail(file, "not an NPY file (bad magic" + (zip ? "; it is a zip archive such as an .npz: save each array with np.save)" : ")"));
        }
        String shortHeader = "truncated: the file ends inside the NPY header after " + size + " bytes";
        if (size < MAGIC.length + 2) throw fail(file, shortHeader);
        int major = pre.get(6) & 0xff, minor = pre.get(7) & 0xff;
        if (major < 1 || major > 3 || minor != 0) {
            throw fail(file, "unsupported NPY format version " + major + "." + minor + " (expected 1.0, 2.0 or 3.0)");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        if (size < MAGIC.length + 2 + lengthBytes) throw fail(file, shortHeader);
        long headerLength = major == 1 ? pre.getShort(8) & 0xffffL : pre.getInt(8) & 0xffffffffL;
        long dataOffset = MAGIC.length + 2 + lengthBytes + headerLength;
        if (headerLength > MAX_HEADER) throw fail(file, "NPY header length " + headerLength + " is corrupt (a plain array needs well under " + MAX_HEADER + ")");
        if (dataOffset > size) {
            throw fail(file, "truncated: the NPY header ends at byte " + dataOffset + " but the file has only " + size + " bytes");
        }

        ByteBuffer raw = ByteBuffer.allocate((int) headerLength);
        readFully(file, ch, raw, dataOffset - headerLength);
        String text = new String(raw.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Object parsed = new Literal(file, text).top();
        if (!(parsed instanceof Map<?, ?> dict) || !dict.keySet().equals(KEYS)) {
            throw malformed(file, text, "expected a dict with exactly the keys 'descr', 'fortran_order', 'shape'");
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw fail(file, "unsupported dtype: a structured array (descr is a list of fields); expected " + ACCEPTED);
        }
        Type type = Type.of(descr);
        if (type == null) throw fail(file, "unsupported dtype '" + descr + "' (expected " + ACCEPTED + ")");
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) throw malformed(file, text, "'fortran_order' must be True or False");
        if (fortran) {
            throw fail(file, "Fortran-order array (fortran_order: True) is not supported; expected C order (save np.ascontiguousarray(a))");
        }
        int[] shape = shape(file, text, dict.get("shape"));
        long count = count(shape);
        if (count > MAX_VALUES) throw fail(file, "shape " + shapeText(shape) + " holds more values than a Java array's " + MAX_VALUES);

        long end = dataOffset + count * type.size;
        String what = "shape " + shapeText(shape) + " of '" + descr + "' is " + count * type.size + " data bytes after the "
                + dataOffset + "-byte header";
        if (size < end) throw fail(file, "truncated: " + what + ", but the file has only " + (size - dataOffset));
        if (size > end) throw fail(file, what + ", but the file has " + (size - end) + " more bytes after them");
        ByteOrder order = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        return new Header(type, order, shape, (int) count, dataOffset);
    }

    /** The 'shape' value: a tuple of non-negative ints, each small enough for an int. */
    private static int[] shape(Path file, String text, Object value) {
        if (value instanceof List<?> dims) {
            int[] shape = new int[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                if (!(dims.get(i) instanceof Long v) || v < 0 || v > Integer.MAX_VALUE) {
                    throw malformed(file, text, "'shape' must be a tuple of integers in [0, " + Integer.MAX_VALUE + "]");
                }
                shape[i] = v.intValue();
            }
            return shape;
        }
        throw malformed(file, text, "'shape' must be a tuple of integers");
    }

    private static void readFully(Path file, FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            // The length was checked against the file size: a short read means it shrank meanwhile.
            if (n < 0) throw new EOFException(file + ": the file ended at byte " + pos + " while being read");
            pos += n;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

    private static IllegalArgumentException fail(Path file, String what) {
        return new IllegalArgumentException(file + ": " + what);
    }

    private static IllegalArgumentException malformed(Path file, String text, String what) {
        return fail(file, "malformed NPY header (" + what + "): " + text.strip().replaceAll("\\s+", " "));
    }

    /**
     * A parser for the Python literals an NPY header holds: dicts, tuples and lists (both as
     * {@code List}), strings, {@code True}/{@code False} and integers (as {@code Long}, with
     * Python 2's {@code L} suffix accepted).
     */
    private static final class Literal {
        private final Path file;
        private final String s;
        private int i;

        Literal(Path file, String s) {
            this.file = file;
            this.s = s;
        }

        /** The one value the text holds, with nothing but whitespace after it. */
        Object top() {
            Object v = value();
            skipSpace();
            if (i < s.length()) throw error("text after the dict");
            return v;
        }

        private Object value() {
            skipSpace();
            if (i >= s.length()) throw error("unexpected end");
            char c = s.charAt(i);
            return switch (c) {
                case '{' -> dict();
                case '(' -> sequence(')');
                case '[' -> sequence(']');
                case '\'', '"' -> string(c);
                default -> word();
            };
        }

        private Map<String, Object> dict() {
            i++;
            Map<String, Object> map = new LinkedHashMap<>();
            while (!closes('}')) {
                if (!(value() instanceof String key)) throw error("a dict key that is not a string");
                skipSpace();
                if (i >= s.length() || s.charAt(i) != ':') throw error("expected ':'");
                i++;
                if (map.put(key, value()) != null) throw error("key '" + key + "' twice");
                comma('}');
            }
            return map;
        }

        private List<Object> sequence(char close) {
            i++;
            List<Object> items = new ArrayList<>();
            while (!closes(close)) {
                items.add(value());
                comma(close);
            }
            return items;
        }

        private String string(char quote) {
            int end = s.indexOf(quote, i + 1);
            if (end < 0) throw error("unterminated string");
            String v = s.substring(i + 1, end);
            i = end + 1;
            return v;
        }

        private Object word() {
            int from = i;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '-' || s.charAt(i) == '+')) i++;
            String w = s.substring(from, i);
            if (w.equals("True")) return Boolean.TRUE;
            if (w.equals("False")) return Boolean.FALSE;
            String digits = w.endsWith("L") ? w.substring(0, w.length() - 1) : w;
            if (digits.matches("[-+]?[0-9]+")) {
                try {
                    return Long.parseLong(digits);
                } catch (NumberFormatException e) {
                    throw error("integer " + w + " out of range");
                }
            }
            i = from;
            throw error("unexpected '" + (w.isEmpty() ? String.valueOf(s.charAt(i)) : w) + "'");
        }

        /** Consumes the closing bracket if it comes next. */
        private boolean closes(char close) {
            skipSpace();
            if (i < s.length() && s.charAt(i) == close) {
                i++;
                return true;
            }
            return false;
        }

        /** After an item: a comma, or the closing bracket (left for {@link #closes}). */
        private void comma(char close) {
            skipSpace();
            if (i < s.length() && s.charAt(i) == ',') {
                i++;
            } else if (i >= s.length() || s.charAt(i) != close) {
                throw error("expected ',' or '" + close + "'");
            }
        }

        private void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private IllegalArgumentException error(String what) {
            return malformed(file, s, what + " at column " + i);
        }
    }
}
