package org.attnsweep;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.attnsweep.sweep.DirLock;

/**
 * A child JVM holding a lock as a live writer does, until its stdin closes: {@code dir DIR} holds
 * DIR's lock as a running sweep does; {@code file FILE} holds a temporary file's lock as
 * writeAtomically does while it writes.
 */
public final class LockHolder {
    private LockHolder() {
    }

    public static void main(String[] args) throws Exception {
        Path p = Path.of(args[1]);
        if (args[0].equals("dir")) {
            try (DirLock l = DirLock.acquire(p, "sweep", "--out")) {
                holdUntilStdinCloses();
            }
        } else {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.lock();
                holdUntilStdinCloses();
            }
        }
    }

    private static void holdUntilStdinCloses() throws IOException {
        System.out.println("locked");
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the test closes stdin
        }
    }

    /** Starts a holder ({@code mode} "dir" or "file") and returns once it holds the lock. */
    public static Process start(String mode, Path p) throws IOException {
        Process h = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), LockHolder.class.getName(), mode, p.toString()).redirectErrorStream(true).start();
        String line = new BufferedReader(new InputStreamReader(h.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (!"locked".equals(line)) throw new IllegalStateException("the lock holder did not start: " + line);
        return h;
    }

    /** Ends a holder, which releases its lock. */
    public static void stop(Process h) throws IOException, InterruptedException {
        h.getOutputStream().close();
        if (!h.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException("the lock holder did not end");
    }
}
