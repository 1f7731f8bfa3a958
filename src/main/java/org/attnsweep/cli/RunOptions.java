package org.attnsweep.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.attnsweep.model.RunSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The run options shared by {@code train} and {@code sweep}: one {@code --key} option for every
 * key of {@link RunSpec#KEYS}, added to a command programmatically so the list of options, their
 * help and the sweep-spec keys come from one place.
 */
final class RunOptions {
    private RunOptions() {
    }

    private static boolean isFlag(String key) {
        return key.equals("train-wo") || key.equals("orthogonal-noise");
    }

    /** Adds every run option to {@code spec} (the command's footer says how lists are written). */
    static void register(CommandSpec spec) {
        for (Map.Entry<String, String> e : RunSpec.KEYS.entrySet()) {
            OptionSpec.Builder b = OptionSpec.builder("--" + e.getKey()).type(String.class)
                    .paramLabel("<" + e.getKey() + ">").description(e.getValue());
            if (isFlag(e.getKey())) b.arity("0..1").fallbackValue("true");
            spec.addOption(b.build());
        }
    }

    /** What to do when the heap is too small, said the same way in every message. */
    static final String MORE_HEAP = "give the JVM more heap with ATTNSWEEP_JAVA_OPTS=-Xmx<size>";

    /** The most CPU threads --threads may ask for: far past any core count, short of what a JVM cannot start. */
    static final int MAX_THREADS = 1024;

    /** Refuses a --threads count out of [0, {@value #MAX_THREADS}] (0 = all cores). */
    static void checkThreads(int threads) {
        if (threads < 0 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("--threads must be in [0, " + MAX_THREADS + "] (0 = all cores): got " + threads);
        }
    }

    /** Refuses an output directory option that is empty (it would mean the current directory) or names a file. */
    static void checkOut(String option, java.nio.file.Path dir) {
        if (dir.toString().isBlank()) throw new IllegalArgumentException(option + " must name a directory: got ''");
        if (java.nio.file.Files.exists(dir) && !java.nio.file.Files.isDirectory(dir)) {
            throw new IllegalArgumentException(option + " " + dir + " is a file, not a directory");
        }
    }

    /**
     * A path as compared with others: absolute, normalised, and with symbolic links followed in
     * the part of it that exists (a directory still to be created may lie under a link).
     */
    static java.nio.file.Path resolved(java.nio.file.Path p) {
        java.nio.file.Path a = p.toAbsolutePath().normalize(), existing = a;
        while (existing != null && !java.nio.file.Files.exists(existing)) existing = existing.getParent();
        if (existing == null) return a;
        try {
            return existing.toRealPath().resolve(existing.relativize(a));
        } catch (java.io.IOException e) {
            return a;
        }
    }

    /** The run options the user gave, key → text, in {@link RunSpec#KEYS} order. */
    static Map<String, String> given(ParseResult parsed) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String key : RunSpec.KEYS.keySet()) {
            if (parsed.hasMatchedOption("--" + key)) out.put(key, parsed.matchedOption("--" + key).getValue());
        }
        return out;
    }
}
