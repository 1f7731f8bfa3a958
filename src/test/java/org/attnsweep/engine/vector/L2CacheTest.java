package org.attnsweep.engine.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * L2Cache reads the L2 per core from files laid out as Linux lays them out: sysfs's cache
 * directory first, then an AMD /proc/cpuinfo's {@code cache size} (an Intel one names the L3 there
 * and is not read), else the default; and GemmF32's panel is half of what it read.
 */
class L2CacheTest {
    @TempDir
    Path dir;

    /** index0 L1 data, index1 L1 instruction, index2 L2 of {@code l2}, index3 L3: as a Zen or a Xeon has them. */
    private Path sysfs(String l2) throws IOException {
        Path cache = dir.resolve("cache");
        index(cache, 0, "1", "Data", "48K");
        index(cache, 1, "1", "Instruction", "32K");
        index(cache, 2, "2", "Unified", l2);
        index(cache, 3, "3", "Unified", "32768K");
        return cache;
    }

    private static void index(Path cache, int i, String level, String type, String size) throws IOException {
        Path d = Files.createDirectories(cache.resolve("index" + i));
        Files.writeString(d.resolve("level"), level + "\n");
        Files.writeString(d.resolve("type"), type + "\n");
        Files.writeString(d.resolve("size"), size + "\n");
    }

    private Path cpuinfo(String vendor, String cacheSize) throws IOException {
        return Files.writeString(dir.resolve("cpuinfo-" + vendor),
                "processor\t: 0\nvendor_id\t: " + vendor + "\ncpu family\t: 26\nmodel name\t: AMD EPYC\ncache size\t: " + cacheSize
                        + "\nflags\t\t: fpu avx2 avx512f\n\nprocessor\t: 1\nvendor_id\t: " + vendor + "\ncache size\t: 4 KB\n");
    }

    @Test
    void sysfsLevelTwoWinsOverCpuinfo() throws IOException {
        L2Cache c = L2Cache.detect(sysfs("1024K"), cpuinfo("AuthenticAMD", "512 KB"));
        assertEquals(1 << 20, c.bytes);
        assertEquals("sysfs", c.source);
        assertEquals("L2 1024 KiB (sysfs)", c.describe());
        assertEquals(2 << 20, L2Cache.detect(sysfs("2048K"), dir.resolve("none")).bytes);
    }

    @Test
    void amdCpuinfoIsReadWhereSysfsHasNoCaches() throws IOException {
        L2Cache c = L2Cache.detect(dir.resolve("no-such-dir"), cpuinfo("AuthenticAMD", "1024 KB"));
        assertEquals(1 << 20, c.bytes);
        assertEquals("/proc/cpuinfo", c.source);
        assertEquals(512 << 10, L2Cache.detect(dir.resolve("no-such-dir"), cpuinfo("HygonGenuine", "512 KB")).bytes);
    }

    @Test
    void intelCpuinfoNamesTheL3AndIsNotRead() throws IOException {
        L2Cache c = L2Cache.detect(dir.resolve("no-such-dir"), cpuinfo("GenuineIntel", "61440 KB"));
        assertEquals(L2Cache.DEFAULT_BYTES, c.bytes);
        assertEquals("default", c.source);
    }

    @Test
    void nothingReadableGivesTheDefault() {
        L2Cache c = L2Cache.detect(dir.resolve("a"), dir.resolve("b"));
        assertEquals(L2Cache.DEFAULT_BYTES, c.bytes);
        assertEquals("default", c.source);
    }

    @Test
    void sizesOutsideTheRangeAreClamped() throws IOException {
        assertEquals(L2Cache.MAX_BYTES, L2Cache.detect(sysfs("16M"), dir.resolve("none")).bytes);
        assertEquals(L2Cache.MIN_BYTES, L2Cache.detect(dir.resolve("none"), cpuinfo("AuthenticAMD", "64 KB")).bytes);
    }

    @Test
    void sizesParseInTheirUnitsAndJunkIsNull() {
        assertEquals(1 << 20, L2Cache.parseSize("1024K"));
        assertEquals(1 << 20, L2Cache.parseSize("1024KB"));
        assertEquals(2 << 20, L2Cache.parseSize("2M"));
        assertEquals(4096, L2Cache.parseSize("4096"));
        assertNull(L2Cache.parseSize("K"));
        assertNull(L2Cache.parseSize("lots"));
        assertNull(L2Cache.parseSize("-5K"));
        assertNull(L2Cache.parseSize("9999999999K"));
        assertNull(L2Cache.parseSize("9000000000000000000K"));   // past a long once multiplied
    }

    @Test
    void unreadableLevelTwoSizeFallsThrough() throws IOException {
        Path cache = sysfs("1024K");
        Files.delete(cache.resolve("index2").resolve("size"));
        L2Cache c = L2Cache.detect(cache, cpuinfo("AuthenticAMD", "512 KB"));
        assertEquals(512 << 10, c.bytes);
        assertEquals("/proc/cpuinfo", c.source);
    }

    @Test
    void thePanelIsHalfOfThisMachinesL2() {
        assertEquals(L2Cache.MACHINE.bytes / 2, GemmF32.PANEL_BYTES);
        assertEquals(L2Cache.MACHINE.bytes / 2, GemmF64.PANEL_BYTES);
        assertTrue(VectorWidth.describe().contains("GEMM panels " + (GemmF32.PANEL_BYTES >> 10) + " KiB of " + L2Cache.MACHINE.describe()),
                VectorWidth.describe());
    }
}
