package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.attnsweep.Cli.Result;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * --mu and --snr set the same |mu|, so the one a user gives replaces a preset's axis of the other:
 * jiang-heatmap's |mu| axis reset the SNR at every point, and {@code --preset jiang-heatmap --snr 5}
 * planned the preset's 10,000 runs with the user's SNR silently dropped. Both given together are
 * refused (BadInputTest).
 */
class PresetOverrideTest {
    @ParameterizedTest(name = "{0} {1} {2}: {3} runs")
    @CsvSource({
            // 10 N x 10 repeats, no |mu| axis left (was 10,000: the user's SNR dropped)
            "jiang-heatmap, --snr, 5, 100",
            "jiang-heatmap, --mu, 5, 100",
            // 10 N x 4 p x 20 repeats
            "zhang-phase, --snr, 2, 800",
            // 9 angles x 5 repeats: --snr replaces the 2-value |mu| axis (was 90 runs at the preset's |mu|)
            "ood-angle, --snr, 5, 45"})
    void anOptionGivenReplacesThePresetsAxisOfTheOther(String preset, String option, String value, int runs, @TempDir Path tmp) {
        Result r = cli("sweep", "--preset", preset, option, value, "--check-options", "--out", tmp.resolve("never").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("options ok: " + runs + " runs (" + runs + " in shard 0/1); memory and device not checked", r.out().strip());
    }
}
