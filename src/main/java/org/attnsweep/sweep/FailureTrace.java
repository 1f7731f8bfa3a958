package org.attnsweep.sweep;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.attnsweep.Version;

/**
 * {@value #NAME}: the full trace of the failure that ended a command, in its results directory,
 * where the failure's one line points (a batch's fault, {@link Sweeper.BatchFailure}, or anything
 * else that went wrong, cli's Main). Its first line says which version failed and when. Once a
 * later command stores every run of the directory's plan, the failure it recorded is recovered,
 * and {@link #retire} removes the file: a trace beside complete results would read as current.
 *
 * <p>A command that only reads the results (aggregate, plot, report) writes its own file,
 * {@link #of}: its failure says nothing about the stored runs, so a later sweep that completes
 * them must not retire it, and it must not replace the trace of a batch's fault that the same
 * command resumed later still needs. The same command succeeding later retires it.
 */
public final class FailureTrace {
    /** The file's name in a results directory. */
    public static final String NAME = "failure.txt";

    private FailureTrace() {
    }

    /** The trace file of {@code command}, which only reads results directories: failure-COMMAND.txt. */
    public static String of(String command) {
        return "failure-" + command + ".txt";
    }

    /** {@link #writeFile} into {@code dir}/{@value #NAME}. */
    public static String write(Path dir, Throwable t) {
        return writeFile(dir.resolve(NAME), t);
    }

    /**
     * Writes {@code t}'s trace to {@code file}, replacing an earlier one; returns the words for the
     * failure's line: where the trace is, or why it could not be written.
     */
    public static String writeFile(Path file, Throwable t) {
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        try {
            OutputDir.writeAtomically(file, "attnsweep " + Version.get() + " at " + java.time.Instant.now() + "\n" + trace);
            return "the trace is in " + file;
        } catch (UncheckedIOException e) {
            return "its trace could not be written (" + e.getMessage() + ")";
        }
    }

    /**
     * Removes {@code dir}/{@value #NAME}, if any, and says so on {@code err} with the line that dates
     * it: called once every run of the plan in {@code dir} is stored, so the failure it recorded
     * has been recovered. A file that cannot be removed is named in a warning, not a failure: the
     * results are complete either way.
     */
    public static void retire(Path dir, PrintStream err) {
        retireFile(dir.resolve(NAME), "every run of the plan is now stored", err::println);
    }

    /**
     * Removes {@code file}, if any, saying so on {@code err} with the line that dates it and {@code
     * why} the failure it recorded is recovered (a warning where it cannot be removed).
     */
    public static void retireFile(Path file, String why, java.util.function.Consumer<String> err) {
        if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        String when;
        try (java.io.BufferedReader r = Files.newBufferedReader(file)) {
            when = String.valueOf(r.readLine());
        } catch (IOException | UncheckedIOException e) {
            when = "unreadable";
        }
        try {
            Files.delete(file);
            err.accept("attnsweep: removed " + file + " (" + when + "): " + why + ", so the failure it recorded is recovered");
        } catch (IOException e) {
            err.accept("attnsweep: warning: " + why + ", but " + file + " (" + when + ", a recovered failure) could not be removed: "
                    + OutputDir.describe(e));
        }
    }
}
