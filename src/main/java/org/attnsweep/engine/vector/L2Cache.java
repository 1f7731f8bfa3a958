package org.attnsweep.engine.vector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The size of one core's L2 cache, which sizes the GEMM's packed panels of B ({@link GemmF32#PANEL_BYTES}:
 * half of it). Read once per JVM, from the first of:
 * <ol>
 *   <li>Linux's sysfs, {@code /sys/devices/system/cpu/cpu0/cache/index*}: the cache whose {@code level}
 *       is 2 (its {@code size}, e.g. {@code 1024K});</li>
 *   <li>{@code /proc/cpuinfo} on an AMD or Hygon processor, whose {@code cache size} line is the L2 of
 *       one core (on Intel it is the shared L3, so it is not read there); some virtual machines
 *       (Firecracker's) have no cache directory in sysfs but this line;</li>
 *   <li>otherwise {@link #DEFAULT_BYTES}: AMD Zen 3's L2, which the panels were first sized for.</li>
 * </ol>
 * A size outside [{@link #MIN_BYTES}, {@link #MAX_BYTES}] is clamped to it, so that a misread line
 * never makes a panel of a few lines or a per-thread buffer of megabytes. The size changes the order
 * the GEMM visits its tiles in, never a result (GemmTilesTest).
 */
final class L2Cache {
    /** The L2 assumed where none can be read: 512 KiB. */
    static final int DEFAULT_BYTES = 512 << 10;
    /** The least L2 taken: 256 KiB. */
    static final int MIN_BYTES = 256 << 10;
    /** The most L2 taken: 2 MiB (Intel's server cores since Sapphire Rapids). */
    static final int MAX_BYTES = 2 << 20;

    /** This machine's L2 per core, clamped, and where it was read. */
    static final L2Cache MACHINE = detect(Path.of("/sys/devices/system/cpu/cpu0/cache"), Path.of("/proc/cpuinfo"));

    /** Bytes of one core's L2. */
    final int bytes;
    /** Where {@link #bytes} came from, for the {@code info} command: {@code sysfs}, {@code /proc/cpuinfo} or {@code default}. */
    final String source;

    L2Cache(int bytes, String source) {
        this.bytes = Math.clamp(bytes, MIN_BYTES, MAX_BYTES);
        this.source = source;
    }

    /** From sysfs's cache directory {@code sysfs}, else {@code cpuinfo}, else the default (a file that cannot be read counts as absent). */
    static L2Cache detect(Path sysfs, Path cpuinfo) {
        Integer fromSysfs = fromSysfs(sysfs);
        if (fromSysfs != null) return new L2Cache(fromSysfs, "sysfs");
        Integer fromCpuinfo = fromCpuinfo(cpuinfo);
        if (fromCpuinfo != null) return new L2Cache(fromCpuinfo, "/proc/cpuinfo");
        return new L2Cache(DEFAULT_BYTES, "default");
    }

    /** The size of the level-2 cache among {@code dir}'s index* entries, or null. */
    static Integer fromSysfs(Path dir) {
        for (int i = 0; i < 8; i++) {
            Path index = dir.resolve("index" + i);
            String level = read(index.resolve("level"));
            if (level == null || !level.strip().equals("2")) continue;
            String type = read(index.resolve("type"));
            if (type != null && type.strip().equals("Instruction")) continue;
            String size = read(index.resolve("size"));
            return size == null ? null : parseSize(size.strip());
        }
        return null;
    }

    /** The first {@code cache size} of an AMD or Hygon {@code /proc/cpuinfo}, or null (another vendor, no such line, unreadable). */
    static Integer fromCpuinfo(Path cpuinfo) {
        List<String> lines;
        try {
            lines = Files.readAllLines(cpuinfo);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        boolean amd = false;
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String key = line.substring(0, colon).strip(), value = line.substring(colon + 1).strip();
            if (key.equals("vendor_id")) amd = value.equals("AuthenticAMD") || value.equals("HygonGenuine");
            if (key.equals("cache size")) return amd ? parseSize(value.replace(" ", "")) : null;
        }
        return null;
    }

    /** {@code 1024K}, {@code 1024KB}, {@code 2M} or a number of bytes; null if it is none of these. */
    static Integer parseSize(String s) {
        String t = s.toUpperCase(Locale.ROOT);
        if (t.endsWith("B") && t.length() > 1 && !Character.isDigit(t.charAt(t.length() - 2))) t = t.substring(0, t.length() - 1);
        long unit = 1;
        if (t.endsWith("K")) unit = 1 << 10;
        else if (t.endsWith("M")) unit = 1 << 20;
        if (unit > 1) t = t.substring(0, t.length() - 1);
        try {
            long n = Math.multiplyExact(Long.parseLong(t), unit);
            return n > 0 && n <= Integer.MAX_VALUE ? (int) n : null;
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** e.g. {@code L2 1024 KiB (/proc/cpuinfo)}. */
    String describe() {
        return "L2 " + (bytes >> 10) + " KiB (" + source + ")";
    }
}
