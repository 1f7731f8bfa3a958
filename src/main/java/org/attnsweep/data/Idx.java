package org.attnsweep.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The IDX format of MNIST and Fashion-MNIST ({@code train-images-idx3-ubyte} and friends), plain or
 * gzipped (recognised by the gzip magic {@code 1f 8b}, whatever the file is called).
 *
 * <p>A file is a 4-byte magic — two zero bytes, a type code, the number of dimensions — then each
 * dimension as a big-endian int32, then the values in C order. Only type code {@code 0x08}
 * (unsigned byte, the type of every MNIST-family file) is read. A file that is not IDX, has another
 * type, a truncated header or data, or bytes after its data is refused with an
 * {@link IllegalArgumentException} whose one-line message starts with the file and says what is
 * wrong, e.g. {@code t10k-images-idx3-ubyte.gz: truncated: shape (10000, 28, 28) is 7840000 data
 * bytes after the 16-byte header, but the file ends after 512}.
 */
public final class Idx {
    private Idx() {
    }

    /** Type code of unsigned bytes; the others (0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64) are refused. */
    static final int UBYTE = 0x08;
    /** The most elements a Java array holds. */
    private static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    /**
     * An IDX array of unsigned bytes.
     *
     * @param shape the dimensions, outermost first
     * @param data  the values in C order, each an unsigned byte (read with {@code & 0xff})
     */
    public record Array(int[] shape, byte[] data) {
        /** Unsigned value at flat index i. */
        public int at(int i) {
            return data[i] & 0xff;
        }
    }

    /**
     * Reads a whole IDX file of unsigned bytes.
     *
     * @throws IllegalArgumentException when the file is not an IDX file we read (see the class doc),
     *                                  or its data would not fit the heap
     * @throws IOException              when it cannot be read at all
     */
    public static Array read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw fail(file, Files.isDirectory(file) ? "is a directory, not an IDX file" : "no such file");
        }
        boolean gz = isGzip(file);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            if (!gz) return parse(file, in, Files.size(file));
            Gzip z = new Gzip(in);
            Array a = parse(file, z, -1);
            if (!z.endsWithTrailer(lastBytes(file))) {
                throw fail(file, "corrupt gzip stream: bytes follow its end (the file's last 4 bytes are not the size of the data)");
            }
            return a;
        } catch (ZipException e) {
            throw fail(file, "corrupt gzip stream: " + e.getMessage());
        } catch (EOFException e) {
            // GZIPInputStream throws this when the compressed stream itself is cut short.
            throw fail(file, "truncated: the gzip stream ends early" + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
        }
    }

    /** The array of an IDX stream; {@code fileSize} is the plain file's size, or −1 for a gzip stream. */
    private static Array parse(Path file, InputStream in, long fileSize) throws IOException {
        boolean gz = fileSize < 0;
        byte[] magic = new byte[4];
        int got = in.readNBytes(magic, 0, 4);
        if (got < 4) throw fail(file, "truncated: the file ends inside the 4-byte IDX magic after " + got + " bytes");
        if (magic[0] != 0 || magic[1] != 0) {
            throw fail(file, "not an IDX file (magic " + hex(magic) + "; IDX starts 00 00 <type> <dims>)");
        }
        int type = magic[2] & 0xff, dims = magic[3] & 0xff;
        if (type != UBYTE) {
            throw fail(file, "IDX type code 0x" + String.format("%02x", type) + " is not read (only 0x08, unsigned bytes)");
        }
        if (dims == 0) throw fail(file, "IDX header declares 0 dimensions");
        int headerBytes = 4 + 4 * dims;
        byte[] sizes = new byte[4 * dims];
        got = in.readNBytes(sizes, 0, sizes.length);
        if (got < sizes.length) {
            throw fail(file, "truncated: the IDX header of " + dims + " dimensions is " + headerBytes
                    + " bytes, but the file ends after " + (4 + got));
        }
        int[] shape = new int[dims];
        // Exact: up to 255 dimensions of up to 2^31 - 1 each overflow a long, and the message names the true size.
        BigInteger total = BigInteger.ONE;
        for (int k = 0; k < dims; k++) {
            long v = ((sizes[4 * k] & 0xffL) << 24) | ((sizes[4 * k + 1] & 0xff) << 16) | ((sizes[4 * k + 2] & 0xff) << 8)
                    | (sizes[4 * k + 3] & 0xff);
            if (v > Integer.MAX_VALUE) throw fail(file, "dimension " + k + " is " + v + " (corrupt size)");
            shape[k] = (int) v;
            total = total.multiply(BigInteger.valueOf(v));
        }
        long count = total.bitLength() < Long.SIZE - 1 ? total.longValue() : Long.MAX_VALUE;
        String what = "shape " + Npy.shapeText(shape) + " is " + total + " data bytes after the " + headerBytes + "-byte header";
        if (count > MAX_VALUES) throw fail(file, what + ", more than a Java array holds");
        // A plain file must hold exactly its data; a gzipped one is checked while it inflates.
        if (!gz && fileSize != headerBytes + count) {
            throw fail(file, (fileSize < headerBytes + count ? "truncated: " + what + ", but the file has only "
                    + (fileSize - headerBytes) : what + ", but the file has " + (fileSize - headerBytes - count) + " more bytes"));
        }
        long free = Runtime.getRuntime().maxMemory() - (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
        if (count > free) {
            throw fail(file, what + ", but the heap has only " + (free >> 20) + " MiB free (raise -Xmx)");
        }
        byte[] data = new byte[(int) count];
        got = in.readNBytes(data, 0, data.length);
        if (got < count) throw fail(file, "truncated: " + what + ", but the file ends after " + got);
        if (in.read() >= 0) throw fail(file, what + ", but the file has more bytes after them");
        return new Array(shape, data);
    }

    /**
     * A gzip stream that tells, read to its end, whether the file ends with its last member's
     * trailer (RFC 1952: its last 4 bytes are that member's data size mod 2^32, little-endian;
     * the CRC-32 before them GZIPInputStream has checked, and its own copy is reset by then).
     * GZIPInputStream itself ends quietly at bytes after a member that do not start another one.
     */
    private static final class Gzip extends GZIPInputStream {
        Gzip(InputStream in) throws IOException {
            super(in, 1 << 16);
        }

        /** Whether {@code last8}, the file's last 8 bytes, end with the size of the member read last (inf counts that member's bytes). */
        boolean endsWithTrailer(byte[] last8) {
            return le32(last8, 4) == (inf.getBytesWritten() & 0xffffffffL);
        }

        private static long le32(byte[] b, int at) {
            return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
        }
    }

    /** The last 8 bytes of a file (one that holds a whole gzip member, so at least 18). */
    private static byte[] lastBytes(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            long at = ch.size() - 8;
            while (b.hasRemaining() && ch.read(b, at + b.position()) > 0) {
                // read until the 8 bytes are in
            }
            return b.array();
        }
    }

    private static boolean isGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(s.isEmpty() ? "" : " ").append(String.format("%02x", x & 0xff));
        return s.toString();
    }

    private static IllegalArgumentException fail(Path file, String what) {
        return new IllegalArgumentException(file + ": " + what);
    }
}
