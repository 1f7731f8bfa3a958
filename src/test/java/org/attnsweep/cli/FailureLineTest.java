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

        @Override
        public Path results() {
            return out;
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
