package org.attnsweep.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.attnsweep.engine.cuda.CudaEngine;
import org.attnsweep.engine.cuda.GemmKind;
import org.attnsweep.model.Precision;
import org.junit.jupiter.api.Test;

/** The selection ladder: auto picks cuda when a GPU answers, else vector with one line saying why. */
class EnginesTest {

    private static String captured(ByteArrayOutputStream out) {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void autoFallsBackToVectorWithoutAGpuAndSaysWhy() {
        CudaEngine.Availability cuda = CudaEngine.probe();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Engine e = Engines.select("auto", Precision.FLOAT32, 1, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String log = captured(buf);
        System.out.print(log);
        if (cuda.available()) {
            assertEquals("cuda", e.name());
            assertTrue(log.contains("engine: auto chose cuda"), log);
            ((CudaEngine) e).close();
        } else {
            assertEquals("vector", e.name());
            List<String> lines = log.lines().toList();
            assertEquals(2, lines.size(), "one fallback line, then the engine line: " + log);
            assertEquals("engine: auto fell back to vector: cuda unavailable: " + cuda.reason(), lines.get(0));
            assertTrue(lines.get(1).startsWith("engine=vector"), log);
        }
    }

    @Test
    void explicitCudaWithoutAGpuFailsClearly() {
        CudaEngine.Availability cuda = CudaEngine.probe();
        if (cuda.available()) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            Engine e = Engines.select("cuda", Precision.FLOAT32, 1, new PrintStream(buf, true, StandardCharsets.UTF_8));
            assertTrue(captured(buf).startsWith("engine=cuda device="), captured(buf));
            assertTrue(captured(buf).contains(" gemm=" + GemmKind.fromEnv().label + " "), "the engine line names its GEMM: " + captured(buf));
            ((CudaEngine) e).close();
            return;
        }
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Engines.select("cuda", Precision.FLOAT32, 1, System.err));
        System.out.println("select(\"cuda\") without a GPU: " + ex.getMessage());
        assertEquals("--engine cuda: no CUDA device: " + cuda.reason(), ex.getMessage());
    }

    /**
     * In a fresh JVM (no kernel warmed by another test): vector's warm-up starts on a daemon thread of
     * its own, once per precision (auto gets the same thread), and has warmed exactly that precision's
     * kernels when the thread ends; reference and cuda start nothing.
     */
    @Test
    void warmUpAheadWarmsTheVectorKernelsOnItsOwnThreadOnce() throws Exception {
        List<String> cmd = List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), WarmUpAheadChild.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertEquals(List.of("fresh: f32 false, f64 false", "reference: null", "cuda: null", "thread: attnsweep-warm-up, daemon true",
                "again, same thread: true", "joined: f32 true, f64 false"), out.lines().filter(l -> !l.startsWith("WARNING")).toList(), out);
    }

    @Test
    void cudaIsFloat32Only() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Engines.select("cuda", Precision.FLOAT64, 1, System.err));
        assertTrue(ex.getMessage().contains("float32"), ex.getMessage());
    }

    @Test
    void unknownEngineNamesTheChoices() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Engines.select("tpu", Precision.FLOAT32, 1, System.err));
        assertEquals("--engine must be one of reference, vector, cuda, auto: got 'tpu'", ex.getMessage());
    }

    /**
     * A sweep on cuda (or auto) with an ATTNSWEEP_CUDA_GEMM it does not know stops with one line
     * before any work (no output directory); the vector engine does not read it.
     */
    @Test
    void anUnknownCudaGemmIsRefusedBeforeAnyWork(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        for (String engine : List.of("cuda", "auto", "vector")) {
            java.nio.file.Path out = tmp.resolve(engine);
            List<String> cmd = List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    "org.attnsweep.cli.Main", "sweep", "--engine", engine, "--d", "8", "--M", "2", "--mk", "4", "--mv", "4", "--N", "2",
                    "--steps", "5", "--test-n", "2", "--out", out.toString());
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put(GemmKind.ENV, "fp16");
            pb.environment().remove("ATTNSWEEP_DEBUG");
            java.nio.file.Path err = tmp.resolve(engine + ".err");
            int code = pb.redirectError(err.toFile()).start().waitFor();
            List<String> lines = java.nio.file.Files.readAllLines(err).stream().filter(l -> !l.startsWith("WARNING: Using incubator")).toList();
            if (engine.equals("vector")) {
                assertEquals(0, code, String.join("\n", lines));
                continue;
            }
            assertEquals(2, code, String.join("\n", lines));
            assertEquals(List.of("attnsweep: ATTNSWEEP_CUDA_GEMM=fp16: the cuda engine's GEMM is fp32 (the default) or tf32x3"), lines);
            assertTrue(!java.nio.file.Files.exists(out), "nothing written for " + engine);
        }
    }

    @Test
    void availabilityHasOneLinePerEngine() {
        List<String> lines = Engines.availability();
        lines.forEach(System.out::println);
        assertEquals(3, lines.size());
        assertTrue(lines.get(0).startsWith("reference: available"));
        assertTrue(lines.get(1).matches("vector: available \\(\\d+-bit species, tile 6x[24]@\\d+, GEMM panels \\d+ KiB of L2 \\d+ KiB \\((sysfs|/proc/cpuinfo|default)\\)\\)"), lines.get(1));
        CudaEngine.Availability cuda = CudaEngine.probe();
        assertEquals(cuda.available() ? "cuda: available (" + cuda.reason() + ")" : "cuda: unavailable: " + cuda.reason(), lines.get(2));
        assertTrue(lines.get(2).lines().count() == 1, "one line: " + lines.get(2));
    }
}
