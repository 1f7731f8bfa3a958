package org.attnsweep.sweep;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attnsweep.model.RunSpec;

/**
 * One grid of a sweep: a base {@link RunSpec} and ordered axes (key → values as text). Its runs are
 * the Cartesian product of the axes, the first axis outermost, repeats innermost.
 *
 * @param base the options every run of the grid starts from
 * @param axes key → the values it takes, in order
 */
public record Grid(RunSpec base, Map<String, List<String>> axes) {

    public Grid {
        axes = new LinkedHashMap<>(axes);
        for (Map.Entry<String, List<String>> e : axes.entrySet()) {
            if (!RunSpec.KEYS.containsKey(e.getKey()) || e.getKey().equals("repeats")) {
                throw new IllegalArgumentException("unknown sweep key '" + e.getKey() + "': expected one of "
                        + RunSpec.KEYS.keySet().stream().filter(k -> !k.equals("repeats")).toList());
            }
            if (e.getValue().isEmpty()) throw new IllegalArgumentException("--" + e.getKey() + " has no values");
        }
    }

    /** Every run spec of the grid (one per axis combination; repeats are expanded by the plan). */
    public List<RunSpec> points() {
        List<RunSpec> out = new ArrayList<>();
        expand(new ArrayList<>(axes.entrySet()), 0, base.copy(), out);
        return out;
    }

    private static void expand(List<Map.Entry<String, List<String>>> axes, int i, RunSpec spec, List<RunSpec> out) {
        if (i == axes.size()) {
            out.add(spec);
            return;
        }
        for (String v : axes.get(i).getValue()) {
            RunSpec s = spec.copy();
            s.set(axes.get(i).getKey(), v);
            expand(axes, i + 1, s, out);
        }
    }

    /**
     * How many runs the grid holds (axis sizes times repeats), counted without expanding it;
     * Long.MAX_VALUE when the product overflows.
     */
    public long size() {
        double n = Math.max(0, base.repeats);
        for (List<String> v : axes.values()) n *= v.size();
        return (long) n; // a double past the long range casts to Long.MAX_VALUE
    }

    /** The most values one range may expand to. */
    static final int MAX_RANGE_VALUES = 1_000_000;

    /**
     * The values written as text for one key: a single value, a list {@code a,b,c}, or an inclusive
     * range {@code lo:hi} or {@code lo:hi:step}. The σ list's own commas make {@code |} its list
     * separator: {@code --sigma "4|2,0.2*14"}; likewise --classes (so {@code 7,9} is one pair) and --images (a path). Every value is checked as {@link RunSpec#set} checks
     * it, and two values that are one ({@code 0,-0}, or a list entry inside a range) are refused.
     */
    public static List<String> values(String key, String text) {
        // Values that hold commas (σ lists, class pairs) or colons (paths) are listed with '|'.
        boolean bar = key.equals("sigma") || key.equals("classes") || key.equals("images");
        String sep = bar ? "\\|" : ",";
        List<String> out = new ArrayList<>();
        for (String part : text.split(sep, -1)) {
            String s = part.trim();
            if (s.isEmpty()) throw new IllegalArgumentException("--" + key + " has an empty entry in '" + text + "'");
            if (!bar && s.contains(":")) out.addAll(range(key, s));
            else out.add(s);
        }
        Map<String, String> seen = new LinkedHashMap<>();
        for (String v : out) {
            String was = seen.putIfAbsent(RunSpec.canonical(key, v), v);
            if (was != null) {
                throw new IllegalArgumentException("--" + key + " lists one value twice"
                        + (was.equals(v) ? " ('" + v + "')" : " ('" + was + "' and '" + v + "')") + " in '" + text + "'");
            }
        }
        return out;
    }

    /**
     * An inclusive range lo:hi[:step] in exact decimal arithmetic, so 0:0.3:0.1 has four values.
     * Each bound is first read as the double a run would get (so 1e999 is refused as not finite and
     * a step of 1e-99999999 as 0, before any arithmetic on numbers of a hundred million digits) and
     * the count is known before a value is made.
     */
    static List<String> range(String key, String s) {
        String[] f = s.split(":", -1);
        if (f.length < 2 || f.length > 3) {
            throw new IllegalArgumentException("--" + key + " range must be lo:hi or lo:hi:step: got '" + s + "'");
        }
        BigDecimal lo = bound(key, s, f[0]), hi = bound(key, s, f[1]), step = f.length == 3 ? bound(key, s, f[2]) : BigDecimal.ONE;
        if (step.signum() <= 0) {
            boolean underflow = step.signum() == 0 && !f[2].trim().matches("[+-]?[0.]*([eE].*)?");
            throw new IllegalArgumentException("--" + key + " range step must be > 0: got '" + s + "'"
                    + (underflow ? " (" + f[2].trim() + " is 0 as a double)" : ""));
        }
        if (hi.compareTo(lo) < 0) throw new IllegalArgumentException("--" + key + " range " + s + " is empty (hi < lo)");
        BigDecimal count = hi.subtract(lo).divideToIntegralValue(step).add(BigDecimal.ONE);
        if (count.compareTo(BigDecimal.valueOf(MAX_RANGE_VALUES)) > 0) {
            throw new IllegalArgumentException("--" + key + " range " + s + " has " + count.toBigInteger() + " values, over "
                    + MAX_RANGE_VALUES + ": take a larger step");
        }
        List<String> out = new ArrayList<>();
        for (BigDecimal v = lo; v.compareTo(hi) <= 0; v = v.add(step)) out.add(v.stripTrailingZeros().toPlainString());
        return out;
    }

    /** One bound of a range as the decimal of the finite double it denotes (Double.toString is the shortest that reads back). */
    private static BigDecimal bound(String key, String range, String text) {
        double x;
        try {
            x = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " range must be numbers lo:hi[:step]: got '" + range + "'");
        }
        if (!Double.isFinite(x)) {
            throw new IllegalArgumentException("--" + key + " range bounds must be finite numbers: got '" + text.trim() + "' in '" + range + "'");
        }
        return new BigDecimal(Double.toString(x == 0 ? 0.0 : x));
    }
}
