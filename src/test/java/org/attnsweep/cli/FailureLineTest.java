package org.attnsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.attnsweep.sweep.FailureTrace;
import org.attnsweep.sweep.OutputDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * An exception outside a batch (a defect in aggregation after training, in the figures, the
 * report) ends the command as a batch's fault does (BatchFailureTest): one line naming the
 * command, where it failed and the cause, exit 1; the trace in failure.txt of the results
 * directory, named in the line, or, with no results directory, printed only with
 * ATTNSWEEP_DEBUG=1, which the line says. The failure is injected by a command that fails as
 * sweep's aggregation would: inside its results directory, after opening it, or before any.
 */
class FailureLineTest {
    @Test
    void aFailureInAResultsDirectoryIsOneLineAndItsTraceIsInFailureTxt(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        Ran r = run(false, "--out", out.toString(), "--open");
        assertEquals(1, r.code, r.err);
        assertEquals(1, r.err.lines().count(), "one line, no trace:\n" + r.err);
        assertTrue(r.err.startsWith("attnsweep: faulty failed in cli.FailureLineTest$Faulty.aggregate (FailureLineTest.java:"), r.err);
        assertTrue(r.err.strip().endsWith("): java.lang.ArithmeticException: injected in aggregation; the trace is in "
                + out.resolve(FailureTrace.NAME)), r.err);
        String trace = Files.readString(out.resolve(FailureTrace.NAME));
        assertTrue(trace.startsWith("attnsweep ") && trace.contains("java.lang.ArithmeticException: injected in aggregation")
                && trace.contains("\tat org.attnsweep.cli.FailureLineTest$Faulty.aggregate"), trace);
    }

    @Test
    void aReadingCommandsFailureHasItsOwnFileAndLeavesTheSweepsTrace(@TempDir Path tmp) throws Exception {
        // A sweep's batch fault left failure.txt; a reader (aggregate, plot, report) failing then must
        // not replace it (the resume still needs it), and a sweep completing must not retire the reader's.
        Path out = tmp.resolve("out");
        Ran first = run(false, "--out", out.toString(), "--open");
        assertEquals(1, first.code, first.err);
        String sweeps = Files.readString(out.resolve(FailureTrace.NAME));
        Ran r = run(false, "--out", out.toString(), "--open", "--reader");
        assertEquals(1, r.code, r.err);
        assertTrue(r.err.strip().endsWith("; the trace is in " + out.resolve(FailureTrace.of("faulty"))), r.err);
        assertTrue(Files.readString(out.resolve(FailureTrace.of("faulty"))).contains("injected in aggregation"));
        assertEquals(sweeps, Files.readString(out.resolve(FailureTrace.NAME)), "the sweep's trace kept");
        FailureTrace.retire(out, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        assertTrue(Files.exists(out.resolve(FailureTrace.of("faulty"))), "a complete plan does not recover a reader's failure");
    }

    @Test
    void aReadingCommandThatSucceedsRemovesOnlyItsOwnEarlierTrace(@TempDir Path tmp) throws Exception {
        // aggregate, plot and report failed once (defects fixed since, say): each trace outlived the
        // next success and read as current. Now each command's success retires its own file and says
        // so; the sweep's failure.txt (a batch fault, recovered only by the sweep's resume) stays.
        Path out = tmp.resolve("out");
        org.attnsweep.Cli.Result s = org.attnsweep.Cli.cli("sweep", "--d", "4", "--M", "2", "--mk", "4", "--mv", "4", "--N", "2,4",
                "--steps", "3", "--test-n", "2", "--engine", "vector", "--out", out.toString());
        assertEquals(0, s.code(), s.err());
        String old = "attnsweep 0 at 2026-01-01T00:00:00Z\njava.lang.ArithmeticException: injected\n";
        Files.writeString(out.resolve(FailureTrace.NAME), old);
        for (String[] c : List.of(new String[] {"aggregate", out.toString()}, new String[] {"plot", out.toString(), "--format", "svg"},
                new String[] {"report", out.toString()})) {
            Path trace = out.resolve(FailureTrace.of(c[0]));
            Files.writeString(trace, old);
            org.attnsweep.Cli.Result r = org.attnsweep.Cli.cli(c);
            assertEquals(0, r.code(), r.err());
            assertFalse(Files.exists(trace), trace + " outlives the failure it recorded");
            assertTrue(r.err().contains("attnsweep: removed " + trace + " (attnsweep 0 at 2026-01-01T00:00:00Z): " + c[0]
                    + " has now succeeded, so the failure it recorded is recovered"), r.err());
            assertEquals(old, Files.readString(out.resolve(FailureTrace.NAME)), c[0] + " removed the sweep's trace");
        }
    }

    @Test
    void aMergeThatStoresEveryRunRemovesItsEarlierTrace(@TempDir Path tmp) throws Exception {
        // A merge that failed (its trace in --out's failure.txt) and ran again to the end: the trace
        // outlived it. A partial merge (--allow-partial) leaves it: the plan is not complete.
        String[] run = {"sweep", "--d", "4", "--M", "2", "--mk", "4", "--mv", "4", "--N", "2,4", "--steps", "3", "--test-n", "2",
            "--engine", "vector"};
        Path s0 = tmp.resolve("s0"), s1 = tmp.resolve("s1"), out = tmp.resolve("merged");
        for (Path s : List.of(s0, s1)) {
            List<String> a = new java.util.ArrayList<>(List.of(run));
            a.addAll(List.of("--shard", (s == s0 ? "0" : "1") + "/2", "--out", s.toString()));
            org.attnsweep.Cli.Result r = org.attnsweep.Cli.cli(a.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
        }
        String old = "attnsweep 0 at 2026-01-01T00:00:00Z\njava.lang.ArithmeticException: injected\n";
        org.attnsweep.Cli.Result partial = org.attnsweep.Cli.cli("merge", "--allow-partial", "--out", out.toString(), s0.toString());
        assertEquals(0, partial.code(), partial.err());
        Files.writeString(out.resolve(FailureTrace.NAME), old);
        assertEquals(0, org.attnsweep.Cli.cli("merge", "--allow-partial", "--out", out.toString(), s0.toString()).code());
        assertTrue(Files.exists(out.resolve(FailureTrace.NAME)), "a partial merge recovers nothing");
        org.attnsweep.Cli.Result all = org.attnsweep.Cli.cli("merge", "--out", out.toString(), s0.toString(), s1.toString());
        assertEquals(0, all.code(), all.err());
        assertFalse(Files.exists(out.resolve(FailureTrace.NAME)), "failure.txt outlives the merge that completed");
        assertTrue(all.err().contains("attnsweep: removed " + out.resolve(FailureTrace.NAME) + " (attnsweep 0 at 2026-01-01T00:00:00Z): every "
                + "run of the plan is now stored, so the failure it recorded is recovered"), all.err());
    }

    @Test
    void withoutAResultsDirectoryTheLineSaysHowToSeeTheTrace(@TempDir Path tmp) {
        // --out does not exist yet, and a directory of someone else's is no results directory: neither gets a file.
        Path other = tmp.resolve("other");
        for (Path out : List.of(tmp.resolve("missing"), other)) {
            if (out == other) write(other.resolve("notes.txt"));
            Ran r = run(false, "--out", out.toString());
            assertEquals(1, r.code, r.err);
            assertEquals(1, r.err.lines().count(), "one line, no trace:\n" + r.err);
            assertTrue(r.err.strip().endsWith("): java.lang.ArithmeticException: injected in aggregation; no results directory holds its"
                    + " trace: ATTNSWEEP_DEBUG=1 prints it"), r.err);
            assertFalse(Files.exists(out.resolve(FailureTrace.NAME)), out + " is no results directory");
        }
    }

    @Test
    void debugPrintsTheTraceAfterTheLine(@TempDir Path tmp) {
        Ran r = run(true, "--out", tmp.resolve("missing").toString());
        assertEquals(1, r.code, r.err);
        List<String> lines = r.err.lines().toList();
        assertTrue(lines.get(0).endsWith("): java.lang.ArithmeticException: injected in aggregation; the trace follows"), r.err);
        assertEquals("java.lang.ArithmeticException: injected in aggregation", lines.get(1), r.err);
        assertTrue(lines.get(2).startsWith("\tat org.attnsweep.cli.FailureLineTest$Faulty.aggregate"), r.err);
    }

    /** Fails as a sweep's aggregation would, after opening its results directory with --open. */
    @CommandLine.Command(name = "faulty")
    static final class Faulty implements Callable<Integer>, Main.Results {
        @CommandLine.Option(names = "--out") Path out;
        @CommandLine.Option(names = "--open") boolean open;
        @CommandLine.Option(names = "--reader", description = "fail as a command that only reads results does") boolean reader;

        @Override
        public Path results() {
            return out;
        }

        @Override
        public String trace() {
            return reader ? FailureTrace.of("faulty") : FailureTrace.NAME;
        }

        @Override
        public Integer call() {
            if (!open) return aggregate();
            try (OutputDir dir = OutputDir.open(out, "faulty")) {
                return aggregate();
            }
        }

        private static int aggregate() {
            throw new ArithmeticException("injected in aggregation");
        }
    }

    private record Ran(int code, String err) {
    }

    private static Ran run(boolean debug, String... args) {
        StringWriter err = new StringWriter();
        int code = Main.execute(new CommandLine(new Faulty()), args, new PrintWriter(new StringWriter()), new PrintWriter(err, true), debug);
        return new Ran(code, err.toString());
    }

    private static void write(Path file) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, "not results");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
