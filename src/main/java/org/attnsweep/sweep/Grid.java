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
     * The values written as text for one key: a single value, a list {@code a,b,c}, or an inclusive
     * range {@code lo:hi} or {@code lo:hi:step}. The σ list's own commas make {@code |} its list
     * separator: {@code --sigma "4|2,0.2*14"}; likewise --classes (so {@code 7,9} is one pair) and --images (a path).
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
        return out;
    }

    /** An inclusive range lo:hi[:step] in exact decimal arithmetic, so 0:0.3:0.1 has four values. */
    static List<String> range(String key, String s) {
        String[] f = s.split(":");
        if (f.length < 2 || f.length > 3) {
            throw new IllegalArgumentException("--" + key + " range must be lo:hi or lo:hi:step: got '" + s + "'");
        }
        BigDecimal lo, hi, step;
        try {
            lo = new BigDecimal(f[0].trim());
            hi = new BigDecimal(f[1].trim());
            step = f.length == 3 ? new BigDecimal(f[2].trim()) : BigDecimal.ONE;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " range must be numbers lo:hi[:step]: got '" + s + "'");
        }
        if (step.signum() <= 0) throw new IllegalArgumentException("--" + key + " range step must be > 0: got '" + s + "'");
        if (hi.compareTo(lo) < 0) throw new IllegalArgumentException("--" + key + " range " + s + " is empty (hi < lo)");
        List<String> out = new ArrayList<>();
        for (BigDecimal v = lo; v.compareTo(hi) <= 0; v = v.add(step)) {
            if (out.size() >= 1_000_000) throw new IllegalArgumentException("--" + key + " range " + s + " has over a million values");
            out.add(v.stripTrailingZeros().toPlainString());
        }
        return out;
    }
}
