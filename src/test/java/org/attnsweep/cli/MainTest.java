package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.attnsweep.Cli.Result;
import org.attnsweep.model.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Main builds only the model of the subcommand named first on the line (the whole model otherwise):
 * each subcommand must read the same alone as within the whole model, and the whole model must
 * list every subcommand under the name its table gives it.
 */
class MainTest {

    static Iterable<String> names() {
        return Main.SUBCOMMANDS.keySet();
    }

    /** The names built alone when first on the line: all but help, which shows the other commands. */
    static Iterable<String> alone() {
        return Main.SUBCOMMANDS.keySet().stream().filter(n -> !n.equals("help")).toList();
    }

    @ParameterizedTest
    @MethodSource("names")
    void eachTableEntryBuildsTheCommandOfItsName(String name) {
        assertEquals(name, Main.SUBCOMMANDS.get(name).get().getCommandName());
    }

    /** `attnsweep X --help` (X's model alone) prints what `attnsweep help X` (every model) prints. */
    @ParameterizedTest
    @MethodSource("alone")
    void aSubcommandAloneHasTheUsageItHasInTheWholeModel(String name) {
        Result alone = cli(name, "--help"), whole = cli("help", name);
        assertEquals(0, alone.code(), alone.err());
        assertEquals(0, whole.code(), whole.err());
        assertTrue(alone.out().startsWith("Usage: attnsweep " + name), alone.out());
        assertEquals(whole.out(), alone.out());
    }

    @ParameterizedTest
    @MethodSource("names")
    void theWholeModelListsEverySubcommand(String name) {
        Result help = cli("--help");
        assertEquals(0, help.code(), help.err());
        assertTrue(help.out().lines().anyMatch(l -> l.strip().startsWith(name + " ") || l.strip().equals(name)), help.out());
    }

    /** A subcommand built alone refuses an unknown option in one line naming the subcommand. */
    @ParameterizedTest
    @MethodSource("alone")
    void anErrorInsideASubcommandNamesIt(String name) {
        Result r = cli(name, "--no-such-option");
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("attnsweep: ") && r.err().strip().endsWith("(see: attnsweep " + name + " --help)"), r.err());
    }

    @org.junit.jupiter.api.Test
    void versionAloneAndWithAnUnknownNameAfterIt() {
        Result v = cli("--version");
        assertEquals(0, v.code(), v.err());
        assertTrue(v.out().startsWith("attnsweep "), v.out());
        Result unknown = cli("trian");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().startsWith("attnsweep: Unmatched argument at index 0: 'trian'"), unknown.err());
    }

    /** The warm-up started before parsing: only for a command that trains on vector or auto, read as typed, nothing where unsure. */
    @Test
    void theEarlyWarmUpReadsTheEngineAndPrecisionAsTyped() {
        assertEquals(new Main.EarlyWarmUp("auto", Precision.FLOAT32), Main.earlyWarmUp(new String[] {"train", "--preset", "jiang-heatmap"}));
        assertEquals(new Main.EarlyWarmUp("vector", Precision.FLOAT32), Main.earlyWarmUp(new String[] {"sweep", "--engine", "vector", "--N", "2"}));
        assertEquals(new Main.EarlyWarmUp("vector", Precision.FLOAT64),
                Main.earlyWarmUp(new String[] {"reproduce", "--engine=vector", "--precision", "f64"}));
        assertEquals(new Main.EarlyWarmUp("auto", Precision.FLOAT64), Main.earlyWarmUp(new String[] {"train", "--precision=float64"}));
        // the last of a repeated option wins, as picocli reads it
        assertEquals(new Main.EarlyWarmUp("vector", Precision.FLOAT32), Main.earlyWarmUp(new String[] {"train", "--engine", "cuda", "--engine", "vector"}));
        // engines with no warm-up, commands that do not train, help, version, a dry run
        for (String[] args : new String[][] {{"train", "--engine", "reference"}, {"sweep", "--engine=cuda"}, {"merge", "a", "b"},
                {"aggregate", "x"}, {"train", "--help"}, {"sweep", "-h"}, {"train", "-V"}, {"sweep", "--preset", "jiang-heatmap", "--dry-run"},
                {"sweep", "--check-options"}, {}, {"--version"}}) {
            assertNull(Main.earlyWarmUp(args), String.join(" ", args));
        }
        // what it cannot read: a value missing, an unknown precision, an unknown engine
        for (String[] args : new String[][] {{"train", "--engine"}, {"train", "--precision"}, {"train", "--precision", "f16"},
                {"train", "--engine", "tpu"}}) {
            assertNull(Main.earlyWarmUp(args), String.join(" ", args));
        }
    }
}
