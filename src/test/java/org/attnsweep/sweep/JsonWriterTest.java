package org.attnsweep.sweep;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.attnsweep.Cli.Result;
import org.attnsweep.Version;
import org.attnsweep.model.LabelMode;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JsonWriter} writes config.json exactly as Jackson's INDENT_OUTPUT did (the text users and
 * older tools have seen; resume, merge and report read it with Jackson), and what it writes reads
 * back to the same values, doubles bit for bit.
 */
class JsonWriterTest {
    private static final ObjectMapper JACKSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private static String jackson(Object v) throws Exception {
        return JACKSON.writeValueAsString(v);
    }

    /** config.json's map as Sweeper.execute assembles it, for the first runs of a preset's plan. */
    private static Map<String, Object> config(String preset, int runs) {
        Plan plan = Plan.of(SweepPresets.grids(preset, new RunSpec()));
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("tool", "attnsweep");
        cfg.put("version", Version.get());
        cfg.put("command", "sweep");
        cfg.put("preset", preset);
        cfg.put("preset_notes", SweepPresets.notes(preset));
        cfg.put("data_from", null);
        cfg.put("plan_fingerprint", "0123456789abcdef");
        cfg.put("plan_runs", plan.size());
        cfg.put("shard", "0/1");
        cfg.put("engine", "engine=vector species=512-bit threads=2 precision=float32 formulation=auto (ran: direct 1 batch)");
        cfg.put("runs", plan.runs().subList(0, Math.min(runs, plan.size())).stream()
                .map(r -> Map.of("run", r.index(), "key", r.key(), "config", r.config())).toList());
        cfg.put("runs_trained", 3);
        cfg.put("wall_seconds", 2.475226047);
        cfg.put("runs_per_second", 3 / 2.475226047);
        return cfg;
    }

    @Test
    void everyPresetsConfigIsJacksonsText() throws Exception {
        assertTrue(SweepPresets.names().contains("fashion-heatmap"), "a preset with images (ImageSource, not null) is among them");
        for (String preset : SweepPresets.names()) {
            Map<String, Object> cfg = config(preset, 5);
            String ours = JsonWriter.pretty(cfg);
            assertEquals(jackson(cfg), ours, preset);
            // And it reads back to the same tree Jackson's own text reads to.
            assertEquals(JACKSON.readTree(jackson(cfg)), JACKSON.readTree(ours), preset);
        }
    }

    /** The file a real `train` writes (twice: before and after training) is Jackson's text of its own parse. */
    @Test
    void trainsConfigJsonIsJacksonsText(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        Result r = cli("train", "--d", "8", "--mk", "4", "--mv", "4", "--N", "4", "--test-n", "4", "--steps", "3", "--eval-every", "1",
                "--mu", "1.5", "--repeats", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        String text = Files.readString(out.resolve("config.json"));
        JsonNode tree = JACKSON.readTree(text);
        assertEquals(jackson(tree) + "\n", text);
        assertEquals(2, tree.get("runs").size());
        assertEquals(1.5, tree.get("runs").get(0).get("config").get("mu").doubleValue());
        assertTrue(tree.get("wall_seconds").isDouble(), text);
    }

    @Test
    void stringsAreEscapedAsJacksonEscapesThem() throws Exception {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x80; c++) all.append(c);
        all.append("é ü 漢字 \u2028\u2029 \uD83D\uDE00 \u007F\u0080\u009F");
        List<String> cases = new ArrayList<>(List.of("", "plain", "a \"quoted\" \\ back/slash", all.toString()));
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < 200; i++) {
            char[] s = new char[rnd.nextInt(12)];
            // Mostly the escaped range and ASCII, some BMP characters (surrogates excluded: unpaired ones are not text).
            for (int j = 0; j < s.length; j++) {
                int k = rnd.nextInt(4);
                s[j] = (char) (k == 0 ? rnd.nextInt(0x20) : k < 3 ? rnd.nextInt(0x80) : 0xA0 + rnd.nextInt(0xD800 - 0xA0));
            }
            cases.add(new String(s));
        }
        for (String s : cases) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(s, s);
            m.put("list", List.of(s, s));
            String ours = JsonWriter.pretty(m);
            assertEquals(jackson(m), ours, "seed " + seed + ", string " + Arrays.toString(s.chars().toArray()));
            assertEquals(s, JACKSON.readTree(ours).get(s).textValue(), "seed " + seed);
        }
    }

    @Test
    void doublesAreJacksonsTextAndReadBackBitForBit() throws Exception {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Double> xs = new ArrayList<>(List.of(0.0, -0.0, 1.0, -2.0, 0.1, 1e-300, Double.MIN_VALUE, -Double.MAX_VALUE, 1e15, 1e16,
                123456789012345.0, 2.475226047, 1.0 / 3, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY));
        for (int i = 0; i < 2000; i++) {
            // Random bit patterns (every exponent, subnormals, NaNs), values of config magnitudes, and whole numbers.
            xs.add(switch (i % 3) {
                case 0 -> Double.longBitsToDouble(rnd.nextLong());
                case 1 -> rnd.nextDouble(-10, 10) * Math.pow(10, rnd.nextInt(-8, 9));
                default -> (double) rnd.nextLong(-1L << 53, 1L << 53);
            });
        }
        double[] arr = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("boxed", xs);
        m.put("array", arr);
        m.put("floats", new float[] {0.1f, -3.5f, Float.NaN, Float.MIN_VALUE, 16777217f});
        m.put("float", 0.3f);
        assertEquals(jackson(m), JsonWriter.pretty(m), "seed " + seed);
        JsonNode back = JACKSON.readTree(JsonWriter.pretty(m));
        for (int i = 0; i < arr.length; i++) {
            JsonNode n = back.get("array").get(i);
            // NaN and the infinities are strings, as Jackson writes them; Double.parseDouble reads those.
            double got = n.isTextual() ? Double.parseDouble(n.textValue()) : n.doubleValue();
            assertEquals(Double.doubleToLongBits(arr[i]), Double.doubleToLongBits(got), "seed " + seed + ", value " + arr[i]);
        }
    }

    record Inner(String name, int[] counts, List<Object> empty) {
    }

    record Outer(long seed, Inner inner, Inner none, LabelMode labels, boolean flag, Map<String, Object> extra) {
    }

    @Test
    void nestingEmptiesAndRecordsAreJacksonsText() throws Exception {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("empty_map", Map.of());
        extra.put("empty_list", List.of());
        extra.put("objects", new Object[] {1, "two", null, List.of(Map.of("x", 1)), new long[] {-1L << 40}});
        extra.put("maps", List.of(Map.of(), Map.of("a", List.of())));
        extra.put("short", (short) 7);
        extra.put("bools", new boolean[] {true, false});
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("outer", new Outer(-5L, new Inner("in", new int[] {1, 2}, List.of()), null, LabelMode.BALANCED, true, extra));
        m.put("list_of_records", List.of(new Inner("a", new int[0], List.of(1.5))));
        assertEquals(jackson(m), JsonWriter.pretty(m));
        assertEquals(jackson(List.of()), JsonWriter.pretty(List.of()));
        assertEquals(jackson(Map.of()), JsonWriter.pretty(Map.of()));
        assertEquals(jackson("top"), JsonWriter.pretty("top"));
    }

    @Test
    void refusesWhatConfigJsonDoesNotHold() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonWriter.pretty(Map.of("x", new Object())));
        assertTrue(e.getMessage().startsWith("config.json cannot hold a java.lang.Object"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.pretty(Map.of("x", new byte[] {1})));
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.pretty(Map.of(1, "non-string key")));
    }
}
