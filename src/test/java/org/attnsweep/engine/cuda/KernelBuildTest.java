package org.attnsweep.engine.cuda;

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
 * as PTX and ptxas reports no spills and no stack frame; without nvcc there is nothing to check.
 * Runs on every machine, GPU or not.
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
    void everyKernelIsOnTheClasspathAsPtx() throws IOException {
        requireNvcc();
        for (String k : kernelFiles()) {
            assertNotNull(KernelBuildTest.class.getResource(Kernels.resource(k)), "no PTX resource for kernels/" + k + ".cu");
        }
        assertTrue(CudaEngine.probe().reason().indexOf("PTX") < 0, "probe must find the PTX: " + CudaEngine.probe().reason());
    }

    @Test
    void ptxasReportsNoSpillsOrStack() throws IOException {
        requireNvcc();
        Path log = ROOT.resolve("target/kernels/ptxas.log");
        assertTrue(Files.exists(log), "no ptxas report at " + log);
        List<String> lines = Files.readAllLines(log);
        Set<String> entries = new TreeSet<>();
        int frames = 0;
        String entry = "?";
        for (String line : lines) {
            Matcher e = ENTRY.matcher(line);
            if (e.find()) {
                entry = e.group(1) + "@" + e.group(2);
                entries.add(e.group(1));
            }
            Matcher m = FRAME.matcher(line);
            if (m.find()) {
                frames++;
                assertEquals("0 0 0", m.group(1) + " " + m.group(2) + " " + m.group(3),
                        entry + ": stack frame / spill stores / spill loads must be zero: " + line.strip());
            }
        }
        assertTrue(frames > 0, "ptxas report has no function properties: " + log);
        for (String k : kernelFiles()) {
            assertTrue(entries.stream().anyMatch(n -> n.startsWith(k.equals("gemm") ? "gemm_" : k)),
                    "ptxas report has no entry for kernels/" + k + ".cu: " + entries);
        }
    }
}
