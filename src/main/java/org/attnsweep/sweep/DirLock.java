package org.attnsweep.sweep;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The exclusive lock of a result directory: an OS lock ({@link FileChannel#tryLock}) on
 * {@value #NAME} inside it, which records its holder (pid, host, start time, command). The OS
 * drops the lock when its process dies, however it dies, so a lock left by a killed process is
 * simply taken over; the file stays (deleting it would let two writers lock two different files)
 * and its record is rewritten by each new holder.
 */
public final class DirLock implements AutoCloseable {
    /** The lock file's name inside the directory. */
    public static final String NAME = "attnsweep.lock";

    private final FileChannel channel; // both null: a read-only directory without a lock file (forReading)
    private final FileLock lock;

    private DirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code dir}, given as {@code option} ("--out", aggregate's "DIR", merge's
     * "SHARD_DIR"), for {@code command}.
     *
     * @throws IllegalArgumentException naming the holder, when another writer holds it (and
     *         suggesting another --out only where the directory was one: aggregate's and merge's
     *         shards' refusals did, though neither has one to change; s21b audit)
     */
    public static DirLock acquire(Path dir, String command, String option) {
        Path file = dir.resolve(NAME);
        FileChannel ch = null;
        try {
            if (Files.isSymbolicLink(file)) throw new IllegalArgumentException(file + " is a symbolic link: refusing to follow it");
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            FileLock l = lockOrRefuse(ch, false, dir, option.equals("--out") ? ", or choose another --out" : "");
            String me = "pid " + ProcessHandle.current().pid() + " on " + host() + ", since "
                    + Instant.now().truncatedTo(ChronoUnit.SECONDS) + ", " + command;
            // Written over the last holder's record, then cut to length: never an empty file to a reader.
            byte[] rec = (me + "\n").getBytes(StandardCharsets.UTF_8);
            ch.write(ByteBuffer.wrap(rec), 0);
            ch.truncate(rec.length);
            ch.force(false);
            return new DirLock(ch, l);
        } catch (IOException e) {
            throw failed(ch, e, "cannot lock " + dir);
        }
    }

    /**
     * Holds {@code dir} for a command that only reads it (merge, reading a shard): the lock as
     * {@link #acquire} takes it where the directory can be written; where it cannot (a read-only
     * mount, an archive's read-only files) a shared lock on the lock file opened for reading, which
     * a writer's exclusive lock still excludes, or none where there is no lock file (no writer ever
     * held it, and none could create it there). Merge of a read-only shard failed to lock it
     * (s22 audit).
     */
    public static DirLock forReading(Path dir, String command, String option) {
        Path file = dir.resolve(NAME);
        boolean exists = Files.exists(file, LinkOption.NOFOLLOW_LINKS);
        if (Files.isWritable(exists ? file : dir)) return acquire(dir, command, option);
        if (Files.isSymbolicLink(file)) throw new IllegalArgumentException(file + " is a symbolic link: refusing to follow it");
        if (!exists) return new DirLock(null, null);
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            return new DirLock(ch, lockOrRefuse(ch, true, dir, ""));
        } catch (IOException e) {
            throw failed(ch, e, "cannot lock " + dir + " for reading");
        }
    }

    /**
     * The lock on {@code ch}'s file, exclusive or shared; when another writer holds it, the channel
     * closed and the refusal naming the holder, with {@code advice} after "wait for it to finish".
     */
    private static FileLock lockOrRefuse(FileChannel ch, boolean shared, Path dir, String advice) throws IOException {
        FileLock l;
        try {
            l = shared ? ch.tryLock(0, Long.MAX_VALUE, true) : ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null; // held by this very process (another command of the same JVM)
        }
        if (l != null) return l;
        String holder = holder(ch);
        ch.close();
        throw new IllegalArgumentException(dir + " is in use by another writer (" + holder + "): wait for it to finish" + advice);
    }

    /** The failure {@code e} as "WHAT: reason", {@code ch} (when open) closed first. */
    private static UncheckedIOException failed(FileChannel ch, IOException e, String what) {
        try {
            if (ch != null) ch.close();
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
        return new UncheckedIOException(what + ": " + OutputDir.describe(e), e);
    }

    /**
     * The record of the process that holds {@code dir}'s lock now (a sweep still running), or null
     * when none does. Asked by a reader that takes no lock (plot, report): only a shared lock is
     * tried, on the lock file opened for reading, and released at once. Never from a process that
     * may hold the lock itself: closing any channel to the file releases the process's own lock.
     */
    public static String heldBy(Path dir) {
        Path file = dir.resolve(NAME);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return null;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            FileLock l = ch.tryLock(0, Long.MAX_VALUE, true);
            if (l != null) {
                l.release();
                return null;
            }
            return holder(ch);
        } catch (OverlappingFileLockException e) {
            return "this process";
        } catch (IOException e) {
            return null; // a lock file that cannot be read now: no holder can be named, and the reader reads as before
        }
    }

    /**
     * The holder's record, as its lock file says (one line). A holder that has just created the
     * file records itself a moment after it locks it, so an empty file is read again for a while.
     */
    private static String holder(FileChannel ch) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            ByteBuffer b = ByteBuffer.allocate(512);
            ch.read(b, 0);
            String s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
            if (!s.isEmpty()) return s.lines().findFirst().orElse(s);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return "holder not recorded";
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }

    @Override
    public void close() {
        try {
            if (lock != null) lock.release();
            if (channel != null) channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
