package org.attnsweep.engine.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/c2-asm, the decoder of C2's machine code where the JDK has no hsdis: run on a program
 * that makes {@link KernelsF32#axpy} hot ({@link #main}), its output must be that method's compiled
 * loop, with the fused multiply-adds its vector body compiles to, and a method that is never
 * compiled must give a line naming it and a failing exit. x86-64 with objdump only.
 */
class C2AsmTest {

    /** Calls KernelsF32.axpy until C2 has compiled it (a few hundred thousand calls of 64 floats). */
    public static void main(String[] args) {
        float[] x = new float[64], y = new float[64];
        for (int i = 0; i < x.length; i++) x[i] = i;
        for (int k = 0; k < 400_000; k++) KernelsF32.axpy(1e-6f, x, 0, y, 0, x.length);
        System.out.println(y[1]);
    }

    @Test
    void decodesTheCompiledLoopOfAHotMethod(@TempDir Path dir) throws Exception {
        assumeDecodable();
        Run r = run("org.attnsweep.engine.vector.KernelsF32::axpy", dir);
        assertEquals(0, r.exit, () -> "c2-asm failed:\n" + r.output);
        assertTrue(r.output.matches("(?s).*the last of \\d+ C2 versions.*"), () -> "no C2 version named:\n" + r.output);
        assertTrue(r.output.matches("(?s).*vfmadd\\d+ps.*"), () -> "no vector fma in axpy's compiled code:\n" + r.output);
        assertTrue(Files.size(dir.resolve("code.bin")) > 0, "code.bin is empty");
    }

    @Test
    void aMethodNeverCompiledIsNamedAndAFailure(@TempDir Path dir) throws Exception {
        assumeDecodable();
        Run r = run("org.attnsweep.engine.vector.KernelsF32::noSuchMethod", dir);
        assertEquals(1, r.exit, () -> "exit for a method never compiled:\n" + r.output);
        assertTrue(r.output.contains("c2-asm: no C2 version of org.attnsweep.engine.vector.KernelsF32::noSuchMethod"), () -> r.output);
    }

    @Test
    void badArgumentsAreAUsageLine() throws Exception {
        Process p = new ProcessBuilder("scripts/c2-asm", "KernelsF32.axpy").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.startsWith("usage: scripts/c2-asm CLASS::METHOD -- JAVA_ARGS..."), out);
    }

    private record Run(int exit, String output) {
    }

    /** scripts/c2-asm on {@code method} with this test's classpath running {@link #main}, its files in {@code dir}. */
    private static Run run(String method, Path dir) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("scripts/c2-asm", method, "--", "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), C2AsmTest.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("C2_ASM_OUT", dir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "c2-asm did not finish");
        return new Run(p.exitValue(), out);
    }

    private static void assumeDecodable() throws IOException, InterruptedException {
        Assumptions.assumeTrue("amd64".equals(System.getProperty("os.arch")), "c2-asm decodes x86-64 code only");
        Process p = new ProcessBuilder("sh", "-c", "command -v objdump").start();
        Assumptions.assumeTrue(p.waitFor() == 0, "objdump is not on PATH");
    }
}
