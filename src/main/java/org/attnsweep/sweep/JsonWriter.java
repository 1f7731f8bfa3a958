package org.attnsweep.sweep;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.Map;

/**
 * config.json's text without Jackson: a fresh {@code train} or {@code sweep} otherwise loads and
 * initialises Jackson's first ObjectMapper (~540 classes, its date formats) for this one file, 0.3–0.9 s
 * of a one-run command's fixed cost (benchmarks/RESULTS.md, issue 10, s21). The text is exactly what
 * Jackson 2.17's {@code ObjectMapper} with {@code INDENT_OUTPUT} writes for the same value (JsonWriterTest
 * compares both on real configs): objects one entry a line, two spaces a level, {@code "name" : value};
 * arrays on one line, {@code [ a, b ]}, an object in one opening on the array's line; empty ones
 * {@code { }} and {@code [ ]}; "\n" line ends, none after the root. Jackson still reads it (resume,
 * merge, report).
 *
 * <p>The values config.json holds: null, strings, booleans, integers, doubles and floats (written
 * by {@link Double#toString}, which reads back to the same double; NaN and the infinities as the
 * strings Jackson writes, "NaN", "Infinity", "-Infinity"), enums (their name), maps with string
 * keys (in the map's own order, as Jackson iterates it), collections, primitive and object arrays
 * (not byte[] or char[]), and records (their components in declaration order, through their
 * accessors: RunConfig, ImageSource). Anything else is refused, never written some other way.
 */
public final class JsonWriter {
    private static final String HEX = "0123456789ABCDEF";
    private final StringBuilder out = new StringBuilder(4096);

    private JsonWriter() {
    }

    /** {@code value} as Jackson's INDENT_OUTPUT writes it, with no line end after it. */
    public static String pretty(Object value) {
        JsonWriter w = new JsonWriter();
        w.value(value, 0);
        return w.out.toString();
    }

    /**
     * Writes {@code v}; {@code level} is the number of objects it is inside (arrays do not indent).
     * Tests by instanceof, not a pattern switch, whose bootstrap spins a class at first use: this
     * runs once per command, at its start.
     */
    private void value(Object v, int level) {
        if (v == null) out.append("null");
        else if (v instanceof String s) string(s);
        else if (v instanceof Boolean b) out.append(b.booleanValue());
        else if (v instanceof Double x) real(x);
        else if (v instanceof Float x) real(x.floatValue());
        else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) out.append(v);
        else if (v instanceof Enum<?> e) string(e.name());
        else if (v instanceof Map<?, ?> m) object(m, level);
        else if (v instanceof Collection<?> c) {
            out.append('[');
            int n = 0;
            for (Object o : c) {
                out.append(n++ == 0 ? " " : ", ");
                value(o, level);
            }
            out.append(" ]");
        } else if (v instanceof Record r) record(r, level);
        else if (v.getClass().isArray()) array(v, level);
        else throw new IllegalArgumentException("config.json cannot hold a " + v.getClass().getName() + ": " + v);
    }

    private void real(double x) {
        // Jackson's default (WRITE_NAN_AS_STRINGS): JSON has no NaN or infinity literals.
        if (Double.isNaN(x) || Double.isInfinite(x)) string(Double.toString(x));
        else out.append(x);
    }

    private void real(float x) {
        if (Float.isNaN(x) || Float.isInfinite(x)) string(Float.toString(x));
        else out.append(x);
    }

    private void object(Map<?, ?> m, int level) {
        out.append('{');
        if (m.isEmpty()) {
            out.append(" }");
            return;
        }
        int n = 0;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new IllegalArgumentException("config.json's keys are strings: got " + e.getKey());
            }
            if (n++ > 0) out.append(',');
            field(key, level + 1);
            value(e.getValue(), level + 1);
        }
        newline(level);
        out.append('}');
    }

    /**
     * Each record class's components, looked up once: getRecordComponents builds its components
     * and their accessors' Method objects by reflection on every call, which for config.json's
     * thousands of RunConfigs kept the main thread and C2 (MethodType's lookups compiled at
     * 1–2 s each) busy while a sweep's first batch waited (benchmarks/RESULTS.md, issue 11, s23).
     */
    private static final ClassValue<RecordComponent[]> PARTS = new ClassValue<>() {
        @Override
        protected RecordComponent[] computeValue(Class<?> type) {
            return type.getRecordComponents();
        }
    };

    private void record(Record r, int level) {
        RecordComponent[] parts = PARTS.get(r.getClass());
        out.append('{');
        if (parts.length == 0) {
            out.append(" }");
            return;
        }
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) out.append(',');
            field(parts[i].getName(), level + 1);
            Object v;
            try {
                v = parts[i].getAccessor().invoke(r);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read " + r.getClass().getSimpleName() + "." + parts[i].getName(), e);
            }
            value(v, level + 1);
        }
        newline(level);
        out.append('}');
    }

    private void array(Object a, int level) {
        // Jackson writes byte[] as base64 and char[] as a string: not config.json's, refused.
        if (a instanceof byte[] || a instanceof char[]) {
            throw new IllegalArgumentException("config.json cannot hold a " + a.getClass().getComponentType() + " array");
        }
        int n = java.lang.reflect.Array.getLength(a);
        out.append('[');
        for (int i = 0; i < n; i++) {
            out.append(i == 0 ? " " : ", ");
            if (a instanceof double[] x) real(x[i]);
            else if (a instanceof float[] x) real(x[i]);
            else if (a instanceof Object[] x) value(x[i], level);
            else out.append(java.lang.reflect.Array.get(a, i)); // int, long, short, boolean: their decimal or word
        }
        out.append(" ]");
    }

    private void field(String name, int level) {
        newline(level);
        string(name);
        out.append(" : ");
    }

    private void newline(int level) {
        out.append('\n');
        for (int i = 0; i < level; i++) out.append("  ");
    }

    /**
     * A JSON string (RFC 8259 §7), escaped as Jackson escapes it: the quote and backslash, the
     * control characters below U+0020 (\b \t \n \f \r by name, the others as a backslash, u, 00 and two
     * upper-case hex digits); everything else as it is, non-ASCII included.
     */
    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\f' -> out.append("\\f");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20) out.append("\\u00").append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 0xF));
                    else out.append(c);
                }
            }
        }
        out.append('"');
    }
}
