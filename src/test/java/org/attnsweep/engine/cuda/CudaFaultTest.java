package org.attnsweep.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.attnsweep.engine.EngineCase;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kernel fault loses no finished run: a sweep of two shapes (two batches) on the emulated driver
 * with CUDA_EMU_FAULT_AT making a launch of the second batch fail as a faulting kernel does. The
 * sweep must fail with one line naming the CUDA error, and resuming it must find the first batch's
 * runs stored. The fault is set through the environment, so the sweep runs in a child JVM.
 */
class CudaFaultTest {
    // Fixed w_O: five launches a step, so the first batch (4 runs, 60 steps) takes about 350 launches
    // with its set-up and metrics, the second as many again: launch 480 falls in the second.
    private static final String FAULT_AT = "480";

    @Test
    void aFaultInTheSecondBatchKeepsTheFirstBatchesRuns(@TempDir Path dir) throws Exception {
        CudaEngine.Availability a = EngineCase.assumeCuda();
        Assumptions.assumeTrue(a.reason().startsWith("CPU emulation"), "the fault is injected through the emulated driver: " + a.reason());
        Path out = dir.resolve("sweep");
        Result failed = sweep(out, FAULT_AT);
        assertEquals(1, failed.code, "a faulting kernel must fail the sweep:\n" + failed.err);
        List<String> lines = failed.err.lines().filter(l -> l.startsWith("attnsweep: ")).toList();
        assertEquals(1, lines.size(), "one error line expected:\n" + failed.err);
        assertTrue(lines.get(0).contains("CUDA_ERROR_LAUNCH_FAILED"), "the error line must name the CUDA error: " + lines.get(0));
        // The line names the failed batch's runs, what was stored and where the trace went; no trace on stderr.
        assertTrue(lines.get(0).startsWith("attnsweep: batch 2 of 2 failed, runs 4, 5, 6, 7 unfinished (run 4's key ")
                && lines.get(0).endsWith("; the 4 of 8 runs finished are stored in " + out + " (the same command resumes); the trace is in "
                + out.resolve("failure.txt")), lines.get(0));
        assertTrue(failed.err.lines().noneMatch(l -> l.startsWith("\tat ")), "no stack trace on stderr:\n" + failed.err);
        assertTrue(Files.readString(out.resolve("failure.txt")).contains("\tat org.attnsweep."), "failure.txt holds the trace");

        Result resumed = sweep(out, "0");
        assertEquals(0, resumed.code, "the resumed sweep must finish:\n" + resumed.err);
        Matcher m = Pattern.compile("resuming: (\\d+) of (\\d+) runs already done").matcher(resumed.err);
        assertTrue(m.find(), "the resumed sweep must find stored runs:\n" + resumed.err);
        assertEquals(4, Integer.parseInt(m.group(1)), "the first batch's runs must be stored:\n" + resumed.err);
        assertEquals(8, Integer.parseInt(m.group(2)));
    }

    private record Result(int code, String err) {
    }

    /** `attnsweep sweep` over d ∈ {8, 10} (one batch each, 4 runs) in a child JVM, faulting at launch {@code faultAt} (0: never). */
    private static Result sweep(Path out, String faultAt) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "org.attnsweep.cli.Main", "sweep", "--engine", "cuda",
                "--d", "8,10", "--M", "2", "--mk", "4", "--mv", "4", "--train-wo", "false", "--N", "2,4", "--steps", "60", "--eval-every", "100",
                "--target-loss", "0", "--test-n", "2", "--repeats", "2", "--out", out.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("CUDA_EMU_FAULT_AT", faultAt);
        pb.environment().remove("ATTNSWEEP_DEBUG");   // its "no stack trace" check asks for the default, traceless line
        pb.environment().remove("ATTNSWEEP_CUDA_SYNC");   // FAULT_AT and the line are those of the default, asynchronous launches
        Path err = Files.createTempFile("cuda-fault", ".err");
        try {
            pb.redirectError(err.toFile());
            int code = pb.start().waitFor();
            return new Result(code, Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
