package org.attnsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * scripts/slurm/submit's own options, refused as the CLI refuses bad input: exit 2, one line naming
 * the value and the accepted range, before the sweep's options are checked (so no JVM starts) and
 * before --out is created. Without a cluster: these cases end before sbatch is looked for
 * (scripts/slurm/local-cluster-test submits to a real one). Audit s21 found each of them: a
 * number past bash's 64 bits printed bash's own error before submit's line, a 20-digit --gpus
 * became --gres=none, a % in --out made SLURM write the logs elsewhere, a --cpus-per-task past
 * sweep's --threads range failed every task on the nodes.
 */
class SlurmSubmitTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "--shards|99999999999999999999|submit: --shards must be at most 10000 (shard-NNNN names), got 99999999999999999999",
        "--gpus|99999999999999999999|submit: --gpus must be an integer in [0, 1024], got '99999999999999999999'",
        "--gpus|1025|submit: --gpus must be an integer in [0, 1024], got '1025'",
        "--cpus-per-task|5000|submit: --cpus-per-task must be an integer in [1, 1024] (each task's sweep --threads), got '5000'",
        "--max-parallel|123456|submit: --max-parallel must be an integer in [1, 99999], got '123456'",
        "--out|OUT%j|submit: --out must not contain '%' (sbatch reads it as a file name pattern): got 'OUT%j'"})
    void badOptionsAreRefusedInOneLine(String option, String value, String expected, @TempDir Path tmp)
            throws IOException, InterruptedException {
        Path out = tmp.resolve("out");
        String v = value.replace("OUT", out.toString());
        List<String> cmd = new ArrayList<>(List.of("bash", "scripts/slurm/submit", "--no-build", "--dry-run"));
        if (!option.equals("--out")) cmd.addAll(List.of("--out", out.toString()));
        cmd.addAll(List.of(option, v, "--", "--N", "2"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "submit did not finish in 60 s");
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(2, p.exitValue(), said);
        assertEquals(expected.replace("OUT", out.toString()), said, "one line naming the value");
        assertFalse(Files.exists(out) || Files.exists(Path.of(v)), "nothing created");
    }
}
