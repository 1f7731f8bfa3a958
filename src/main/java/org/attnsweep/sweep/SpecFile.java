package org.attnsweep.sweep;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sweep spec file (YAML): a flat mapping from run keys to values. A scalar sets the key for every
 * run; a list, or a string holding a list or range ({@code "2:20:2"}, {@code "0,0.1"}), makes it an
 * axis. {@code preset} names a sweep preset to start from. Example:
 * <pre>
 * preset: jiang-heatmap
 * N: "2:20:4"
 * mu: [5, 25, 50]
 * repeats: 2
 * steps: 300
 * </pre>
 */
public final class SpecFile {
    private SpecFile() {
    }

    /** The preset (may be null) and the key → text values of the file, in file order. */
    public record Parsed(String preset, Map<String, String> entries) {
    }

    /**
     * Reads a spec: one YAML document holding one mapping. A key given twice, a second document,
     * a key that is not a run key (or {@code preset}) and a value that is not a scalar or a list of
     * scalars are refused, naming the file (and the line where the parser knows it). Scalars are
     * kept as written (the parser's text, not a number it made of them), so a value is read and
     * refused exactly as the same text on the command line: {@code N: 1e400} names '1e400', not
     * the 'Infinity' a YAML number became, and {@code N: 0x10} is refused as --N 0x10 is (s21b audit).
     */
    /** The largest spec read: SnakeYAML's default limit on a document's code points. */
    static final long MAX_BYTES = 3L << 20;

    public static Parsed read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--spec " + file + (Files.exists(file) ? " is not a file" : " does not exist"));
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("--spec " + file + ": cannot read it: " + firstLine(e.getMessage()));
        }
        // Past the parser's limit a spec was refused only once it had been parsed that far: a
        // minute and 800 MiB for a 9 MB list on the 2-core VM (s22 audit). Code points never
        // outnumber bytes, so a file within the limit in bytes is within it in code points.
        if (size > MAX_BYTES) {
            throw new IllegalArgumentException("--spec " + file + " must be at most " + MAX_BYTES + " bytes (3 MiB, the YAML parser's limit): got "
                    + size);
        }
        String preset = null;
        Map<String, String> out = new LinkedHashMap<>();
        YAMLFactory factory = YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
        try (JsonParser parser = factory.createParser(file.toFile())) {
            if (parser.nextToken() != JsonToken.START_OBJECT) throw new IllegalArgumentException("--spec " + file + ": expected a mapping of keys to values");
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String key = parser.currentName();
                JsonToken v = parser.nextToken();
                if (key.equals("preset")) {
                    if (v != JsonToken.VALUE_STRING) throw new IllegalArgumentException("--spec " + file + ": preset must be a name: got " + shown(parser));
                    preset = parser.getText();
                    continue;
                }
                if (!org.attnsweep.model.RunSpec.KEYS.containsKey(key)) {
                    throw new IllegalArgumentException("--spec " + file + ": unknown key '" + key + "': expected preset or one of "
                            + org.attnsweep.model.RunSpec.KEYS.keySet());
                }
                if (v == JsonToken.START_ARRAY) {
                    List<String> items = new ArrayList<>();
                    while (parser.nextToken() != JsonToken.END_ARRAY) items.add(scalar(file, key, parser));
                    if (items.isEmpty()) throw new IllegalArgumentException("--spec " + file + ": " + key + " has an empty list");
                    out.put(key, String.join(key.equals("sigma") ? "|" : ",", items));
                } else {
                    out.put(key, scalar(file, key, parser));
                }
            }
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("--spec " + file + ": a second YAML document follows (line "
                        + parser.currentLocation().getLineNr() + "): a spec is one mapping");
            }
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new IllegalArgumentException("--spec " + file + ": " + firstLine(e.getOriginalMessage())
                    + (at == null ? "" : " (line " + at.getLineNr() + ")"));
        } catch (IOException e) {
            throw new IllegalArgumentException("--spec " + file + ": cannot read YAML: " + firstLine(e.getMessage()));
        }
        return new Parsed(preset, out);
    }

    /** The scalar at the parser, as written in the file. */
    private static String scalar(Path file, String key, JsonParser parser) throws IOException {
        JsonToken t = parser.currentToken();
        if (t != null && t.isScalarValue() && t != JsonToken.VALUE_NULL) return parser.getText();
        throw new IllegalArgumentException("--spec " + file + ": " + key + " must be a value, a list or a range: got " + shown(parser));
    }

    /** What stands at the parser where a name or a value was expected, in a word or as written. */
    private static String shown(JsonParser parser) {
        JsonToken t = parser.currentToken();
        if (t == JsonToken.START_OBJECT) return "a mapping";
        if (t == JsonToken.START_ARRAY) return "a list";
        if (t == JsonToken.VALUE_NULL) return "nothing (null)";
        try {
            return parser.getText();
        } catch (IOException e) {
            return String.valueOf(t);
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
