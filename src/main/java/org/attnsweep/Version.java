package org.attnsweep;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The tool's version, as written into every output directory. */
public final class Version {
    private Version() {
    }

    public static String get() {
        try (InputStream in = Version.class.getResourceAsStream("/attnsweep-version.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
