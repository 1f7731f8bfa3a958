package org.attnsweep.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The kernel build (native/build-kernels.sh): with nvcc on PATH, every kernels/*.cu is in the jar
 * as PTX and as a cubin for each of sm_80 and sm_90, the loader picks the cubin for a device's
 * compute capability, ptxas reports no spills and no stack frame, and the README states the driver
 * the build checks the PTX ISA against; without nvcc there is nothing to check. Runs on every
 * machine, GPU or not.
 */
class KernelBuildTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir"));
    private static final Pattern FRAME = Pattern.compile("(\\d+) bytes stack frame, (\\d+) bytes spill stores, (\\d+) bytes spill loads");
    private static final Pattern ENTRY = Pattern.compile("Compiling entry function '(\\w+)' for '(sm_\\d+)'");

    private static void requireNvcc() {
        boolean found = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, "nvcc")));
        if (!found) System.out.println("KernelBuildTest skipped: nvcc is not on PATH, so the jar is built without PTX");
        Assumptions.assumeTrue(found, "nvcc is not on PATH: the jar is built without PTX");
    }

    private static Set<String> kernelFiles() throws IOException {
        try (Stream<Path> s = Files.list(ROOT.resolve("kernels"))) {
            Set<String> names = new TreeSet<>();
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cu")).forEach(n -> names.add(n.substring(0, n.length() - 3)));
            return names;
        }
    }

    @Test
    void launcherKnowsEveryKernelFile() throws IOException {
        assertEquals(kernelFiles(), new TreeSet<>(Kernels.FILES), "kernels/*.cu and Kernels.FILES must list the same kernels");
    }

    @Test
    void everyKernelIsOnTheClasspathAsPtxAndCubins() throws IOException {
        requireNvcc();
        for (String k : kernelFiles()) {
            assertNotNull(KernelBuildTest.class.getResource(Kernels.resource(k)), "no PTX resource for kernels/" + k + ".cu");
            for (int arch : Kernels.CUBIN_ARCHS) {
                String res = Kernels.cubinResource(k, arch);
                try (var in = KernelBuildTest.class.getResourceAsStream(res)) {
                    assertNotNull(in, "no cubin resource " + res);
                    byte[] head = in.readNBytes(4);
                    assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, head, res + " is not an ELF cubin");
                }
            }
        }
        assertTrue(CudaEngine.probe().reason().indexOf("PTX") < 0, "probe must find the PTX: " + CudaEngine.probe().reason());
    }

    @Test
    void loaderPicksTheCubinOfTheDevicesMajorElseThePtx() {
        requireNvcc();
        assertEquals("/kernels/gemm.sm_90.cubin", Kernels.image("gemm", 9, 0));
        assertEquals("/kernels/gemm.sm_80.cubin", Kernels.image("gemm", 8, 0));
        assertEquals("/kernels/gemm.sm_80.cubin", Kernels.image("gemm", 8, 9), "an sm_80 cubin runs on every 8.x device");
        assertEquals("/kernels/gemm.ptx", Kernels.image("gemm", 10, 0), "a newer major JIT-compiles the PTX");
        assertEquals("/kernels/gemm.ptx", Kernels.image("gemm", 0, 0));
    }

    /** The PTX ISA nvcc emitted is within what the oldest claimed driver loads, and the README says which driver that is. */
    @Test
    void ptxIsaMatchesTheClaimedOldestDriver() throws IOException {
        requireNvcc();
        String script = Files.readString(ROOT.resolve("native/build-kernels.sh"));
        Matcher claim = Pattern.compile("(?m)^OLDEST_DRIVER=(\\d+\\.\\d+)$").matcher(script);
        assertTrue(claim.find(), "native/build-kernels.sh must state OLDEST_DRIVER");
        String driver = claim.group(1);
        Matcher isa = Pattern.compile("\\[" + Pattern.quote(driver) + "\\]=(\\d+)\\.(\\d+)").matcher(script);
        assertTrue(isa.find(), "no ISA for CUDA " + driver + " in native/build-kernels.sh");
        int max = Integer.parseInt(isa.group(1)) * 10 + Integer.parseInt(isa.group(2));
        for (String k : kernelFiles()) {
            String ptx = Files.readString(ROOT.resolve("target/classes/kernels/" + k + ".ptx"));
            Matcher v = Pattern.compile("(?m)^\\.version (\\d+)\\.(\\d+)").matcher(ptx);
            assertTrue(v.find(), k + ".ptx has no .version");
            int got = Integer.parseInt(v.group(1)) * 10 + Integer.parseInt(v.group(2));
            assertTrue(got <= max, k + ".ptx has PTX ISA " + v.group(1) + "." + v.group(2) + ", newer than CUDA " + driver + " loads");
        }
        assertTrue(Files.readString(ROOT.resolve("README.md")).contains("CUDA " + driver + " driver"),
                "README.md must name the oldest supported driver, CUDA " + driver);
    }

    @Test
    void ptxasReportsNoSpillsOrStack() throws IOException {
        requireNvcc();
        Path log = ROOT.resolve("target/kernels/ptxas.log");
        assertTrue(Files.exists(log), "no ptxas report at " + log);
        List<String> lines = Files.readAllLines(log);
        // build-kernels.sh heads each file's report with "== NAME.ptx ARCH": entries are counted per file.
        Set<String> filesWithEntries = new TreeSet<>();
        int frames = 0;
        String file = "?", entry = "?";
        for (String line : lines) {
            if (line.startsWith("== ")) file = line.substring(3, line.indexOf(".ptx"));
            Matcher e = ENTRY.matcher(line);
            if (e.find()) {
                entry = e.group(1) + "@" + e.group(2);
                filesWithEntries.add(file);
            }
            Matcher m = FRAME.matcher(line);
            if (m.find()) {
                frames++;
                assertEquals("0 0 0", m.group(1) + " " + m.group(2) + " " + m.group(3),
                        entry + ": stack frame / spill stores / spill loads must be zero: " + line.strip());
            }
        }
        assertTrue(frames > 0, "ptxas report has no function properties: " + log);
        assertEquals(kernelFiles(), filesWithEntries, "every kernels/*.cu, and only those, has entry points in the ptxas report " + log);
    }
}
