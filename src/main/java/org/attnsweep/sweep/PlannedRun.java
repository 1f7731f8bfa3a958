package org.attnsweep.sweep;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.attnsweep.model.RunConfig;

/**
 * A run of a sweep plan: its position in the plan and its config. The key is a hash of the full
 * config, so results are recognised by what produced them, not by where they sit in a plan.
 */
public record PlannedRun(int index, RunConfig config, String key) {

    public PlannedRun(int index, RunConfig config) {
        this(index, config, keyOf(config));
    }

    /**
     * One SHA-256 digest per thread: looking the algorithm up cost as much as hashing the text
     * when a million-run plan is keyed ({@code digest} resets it for the next use).
     */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    /** The first 16 hex digits of SHA-256 of the config's canonical text. */
    public static String keyOf(RunConfig c) {
        byte[] h = SHA256.get().digest(c.toString().getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(h, 0, 8);
    }
}
