package org.attnsweep.sweep;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A result directory held by one writer: created if needed, proven writable and locked
 * ({@link DirLock}) before any work, released by {@link #close}. Every file a command writes here
 * goes through {@link #writeAtomically}, so a reader never sees half a file and a symbolic link
 * planted at a target is replaced, never written through. The result files themselves are the
 * {@link ResultStore}'s, and it is their only writer.
 */
public final class OutputDir implements AutoCloseable {
    private final Path dir;
    private final DirLock lock;

    private OutputDir(Path dir, DirLock lock) {
        this.dir = dir;
        this.lock = lock;
    }

    /**
     * Creates the directory if needed, proves it writable and takes its lock for {@code command}.
     *
     * @throws IllegalArgumentException when it cannot be written, or another process holds it
     */
    public static OutputDir open(Path dir, String command) {
        return open("--out", dir, command);
    }

    /** As {@link #open(Path, String)}, for a directory given as {@code option} (aggregate's DIR: its refusal named --out, which it has not). */
    public static OutputDir open(String option, Path dir, String command) {
        writable(option, dir);
        OutputDir out = new OutputDir(dir, DirLock.acquire(dir, command, option));
        removeStaleTemporaries(dir);
        return out;
    }

    /**
     * Removes the temporary files of {@link #writeAtomically} in {@code dir} that no writer holds:
     * those a writer halted mid-write left (SIGTERM and Ctrl-C halt the JVM without its finally
     * blocks, and a kill -9 or a power cut too). A writer locks its temporary file from creation to
     * rename, and the OS drops that lock when the writer dies, however it dies; a file whose lock
     * cannot be taken is being written, and stays. Called by the holder of a directory's lock when
     * it takes it, by report on its directory and by plot on figures/, which are written without
     * that lock: a sweep stopped in its final rewrite left a copy of metrics.csv beside it, as large,
     * for good (s21b audit), and a report or plot stopped while writing left theirs (s22 audit).
     */
    public static void removeStaleTemporaries(Path dir) {
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> TEMPORARY.matcher(f.getFileName().toString()).matches()).toList()) removeIfHalted(f);
        } catch (IOException e) {
            // Only disk space is at stake: a file that cannot be listed or removed now is removed by a later command.
        }
    }

    /** Removes a temporary file whose writer holds no lock on it (it halted), taking that lock itself meanwhile. */
    private static void removeIfHalted(Path f) {
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) return;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            if (ch.tryLock() != null) Files.deleteIfExists(f); // the lock goes with the channel
        } catch (java.nio.channels.OverlappingFileLockException e) {
            // written by this very process
        } catch (IOException e) {
            // as above: left for a later command
        }
    }

    /** {@link #writeAtomically}'s temporary names: "." + target + "." + hex + ".tmp". */
    private static final java.util.regex.Pattern TEMPORARY = java.util.regex.Pattern.compile("\\..+\\.[0-9a-f]{1,16}\\.tmp");

    /** Creates {@code dir}, given as {@code option}, if needed and proves it writable (an output that is not a result store). */
    public static void writable(String option, Path dir) {
        if (dir.toString().isEmpty()) throw new IllegalArgumentException(option + " must name a directory: got ''");
        try {
            Files.createDirectories(dir);
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException(option + " " + dir + " cannot be created: " + reason(e));
        }
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(option + " " + dir + " is not a directory");
        try {
            Path probe = Files.createTempFile(dir, ".probe", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException(option + " " + dir + " is not writable: " + reason(e));
        }
    }

    public Path path() {
        return dir;
    }

    /** What went wrong, in words: the file system's own reason and the path it names, never an exception's class name. */
    private static String reason(Exception e) {
        if (e instanceof FileAlreadyExistsException f) return f.getFile() + " exists and is not a directory";
        if (e instanceof AccessDeniedException f) return "permission denied at " + f.getFile();
        if (e instanceof NoSuchFileException f) return f.getFile() + " cannot be made there (no such file or directory)";
        if (e instanceof FileSystemException f) return f.getFile() + ": " + (f.getReason() == null ? "the file system refused it" : f.getReason());
        return e.getMessage() == null ? "refused (" + e.getClass().getSimpleName() + ")" : e.getMessage();
    }

    /**
     * config.json: whatever map the command assembled (configs, engine, version...), pretty-printed
     * as Jackson's INDENT_OUTPUT writes it, by {@link JsonWriter}: Jackson's first ObjectMapper is
     * most of a one-run command's set-up (benchmarks/RESULTS.md, issue 10, s21).
     */
    public void writeConfig(Map<String, Object> config) {
        writeAtomically(dir.resolve("config.json"), JsonWriter.pretty(config) + "\n");
    }

    /** Shortest round-tripping decimal; NaN and infinities as pandas and R read them. */
    public static String num(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "Inf" : "-Inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v).toLowerCase(Locale.ROOT);
    }

    /** The inverse of {@link #num}: reads NaN, Inf and -Inf too. */
    public static double parseNum(String s) {
        return switch (s) {
            case "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(s);
        };
    }

    /** Writes {@code text} to {@code target} through {@link #writeAtomically(Path, Writer)}. */
    public static void writeAtomically(Path target, String text) {
        writeAtomically(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes {@code bytes} to {@code target} through {@link #writeAtomically(Path, Writer)}. */
    public static void writeAtomically(Path target, byte[] bytes) {
        writeAtomically(target, out -> out.write(bytes));
    }

    /** What writes a file's bytes. */
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /**
     * Writes a file whole: into a new temporary file beside {@code target} (created with the
     * umask's permissions, not 0600; locked by this writer until renamed), forced to disk, renamed over {@code target} (a symbolic link
     * there is replaced, never followed), and the directory forced so the rename survives a crash.
     * On failure (a full disk) {@code target} is left as it was and the temporary file is removed.
     */
    public static void writeAtomically(Path target, Writer body) {
        Path parent = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            try {
                Temporary t = Temporary.create(parent, target.getFileName().toString());
                tmp = t.path();
                try (FileChannel ch = t.channel()) {
                    java.io.BufferedOutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16);
                    body.write(out);
                    out.flush();
                    ch.force(true);
                    // Renamed while still locked: unlocked under its temporary name, it could be taken for a halted writer's.
                    try {
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                forceDirectory(parent);
            } finally {
                if (tmp != null) Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + describe(e), e);
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + describe(e.getCause()), e.getCause());
        }
    }

    /** A new temporary file of {@link #writeAtomically}, open for writing and locked by this writer. */
    private record Temporary(Path path, FileChannel channel) {
        /**
         * Locked from creation to rename, so {@link #removeStaleTemporaries} tells it from a halted
         * writer's. Created and locked in two steps, it may be removed in between: it is then made
         * again under another name.
         */
        static Temporary create(Path parent, String target) throws IOException {
            for (int attempt = 0; attempt < 8; attempt++) {
                Path tmp = parent.resolve("." + target + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
                FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
                try {
                    c.lock();
                } catch (IOException noLocks) {
                    // A file system without locks (some network and FUSE mounts): written unlocked, as
                    // before, and its cleaner, which cannot lock it either, leaves it alone.
                    return new Temporary(tmp, c);
                }
                if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) return new Temporary(tmp, c);
                c.close();
            }
            throw new IOException("its temporary files were removed as they were created, 8 times");
        }
    }

    /** Forces a directory's entries (a rename into it) to disk; a no-op where the OS cannot. */
    static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot open a directory for reading; the rename itself still happened.
        }
    }

    /** An I/O exception in a few words: its message, or its type when it has none. */
    static String describe(IOException e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) m = f.getReason();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    @Override
    public void close() {
        lock.close();
    }
}
