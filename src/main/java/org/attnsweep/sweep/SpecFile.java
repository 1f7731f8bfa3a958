package org.attnsweep.sweep;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
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
     * scalars are refused, naming the file (and the line where the parser knows it).
     */
    public static Parsed read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--spec " + file + (Files.exists(file) ? " is not a file" : " does not exist"));
        }
        JsonNode root;
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        try (JsonParser parser = yaml.createParser(file.toFile())) {
            root = yaml.readTree(parser);
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
        if (root == null || !root.isObject()) throw new IllegalArgumentException("--spec " + file + ": expected a mapping of keys to values");
        String preset = null;
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            JsonNode v = e.getValue();
            if (key.equals("preset")) {
                if (!v.isTextual()) throw new IllegalArgumentException("--spec " + file + ": preset must be a name: got " + v);
                preset = v.asText();
                continue;
            }
            if (!org.attnsweep.model.RunSpec.KEYS.containsKey(key)) {
                throw new IllegalArgumentException("--spec " + file + ": unknown key '" + key + "': expected preset or one of "
                        + org.attnsweep.model.RunSpec.KEYS.keySet());
            }
            if (v.isArray()) {
                if (v.isEmpty()) throw new IllegalArgumentException("--spec " + file + ": " + key + " has an empty list");
                List<String> items = new ArrayList<>();
                for (JsonNode item : v) items.add(scalar(file, key, item));
                out.put(key, String.join(key.equals("sigma") ? "|" : ",", items));
            } else {
                out.put(key, scalar(file, key, v));
            }
        }
        return new Parsed(preset, out);
    }

    private static String scalar(Path file, String key, JsonNode v) {
        if (v.isNumber() || v.isTextual() || v.isBoolean()) return v.asText();
        throw new IllegalArgumentException("--spec " + file + ": " + key + " must be a value, a list or a range: got " + v);
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
