package org.attnsweep.sweep;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.attnsweep.model.InitScheme;
import org.attnsweep.model.LabelMode;
import org.attnsweep.model.Loss;
import org.attnsweep.model.Metric;
import org.attnsweep.model.SignalBasis;

/**
 * The one reader of summary.csv, metrics.csv and heads.csv (every command reads them through it). Each line
 * is one record: the files are written without quoting, so none is read with it, and a stray
 * quote cannot join lines. A line is kept only if it has the header's column count and every
 * field is of its column's type (integers, numbers as {@link OutputDir#num} writes them, NaN, Inf
 * and -Inf included, booleans, the enums' names, a 16-digit hex key); any other line — blank,
 * {@code 5,garbage}, a number that does not parse — is handed to the caller as {@link Bad}, named
 * by its line number. Bytes after the last newline (a record a killed writer left half-written)
 * are not a line and are never read.
 */
public final class StoreCsv {
    private StoreCsv() {
    }

    /**
     * The files, their headers and the type of each column. heads.csv holds each head's values of
     * {@link Metric#PER_HEAD} per recorded step of the runs with H > 1 heads (one row per head).
     */
    public enum Kind {
        SUMMARY("summary.csv"), METRICS("metrics.csv"), HEADS("heads.csv");

        private final String file;
        private final List<String> columns;
        private final Type[] types;
        private final Map<String, Integer> index = new HashMap<>();

        Kind(String file) {
            this.file = file;
            List<String> cols = new ArrayList<>(List.of("run"));
            switch (file) {
                case "summary.csv" -> {
                    cols.add("key");
                    cols.addAll(ResultStore.CONFIG_COLUMNS);
                    cols.addAll(ResultStore.OUTCOME_COLUMNS);
                }
                case "metrics.csv" -> cols.add("step");
                default -> cols.addAll(List.of("step", "head"));
            }
            for (Metric m : file.equals("heads.csv") ? Metric.PER_HEAD : List.of(Metric.values())) cols.add(m.column());
            this.columns = List.copyOf(cols);
            this.types = cols.stream().map(Type::of).toArray(Type[]::new);
            for (int i = 0; i < cols.size(); i++) index.put(cols.get(i), i);
        }

        /** The file's name in a result directory. */
        public String file() {
            return file;
        }

        public List<String> columns() {
            return columns;
        }

        /** The header line. */
        public String header() {
            return String.join(",", columns);
        }

        /** The position of a column. */
        public int col(String name) {
            Integer i = index.get(name);
            if (i == null) throw new IllegalArgumentException("no column " + name + " in " + file);
            return i;
        }
    }

    /** What a column holds. */
    enum Type {
        INT, LONG, NUM, NUMS, BOOL, HEX, LABELS, SIGNALS, INIT, LOSS;

        static Type of(String column) {
            return switch (column) {
                case "key" -> HEX;
                case "seed" -> LONG;
                case "run", "step", "head", "repeat", "d", "M", "mk", "mv", "N", "steps", "eval_every", "test_n",
                     "attn_sample", "stop_step", "batch_size", "heads" -> INT;
                case "sigma" -> NUMS;
                case "orthogonal_noise", "train_wo", "reached_target", "diverged" -> BOOL;
                case "labels" -> LABELS;
                case "signals" -> SIGNALS;
                case "init" -> INIT;
                case "loss" -> LOSS;
                default -> NUM;
            };
        }

        private static final Pattern NUMBER = Pattern.compile("-?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?|NaN|Inf|-Inf");
        private static final Pattern INTEGER = Pattern.compile("-?\\d{1,19}");
        private static final Pattern KEY = Pattern.compile("[0-9a-f]{16}");

        /** Why {@code v} is not of this type, or null when it is. */
        String check(String v) {
            boolean ok = switch (this) {
                case INT -> INTEGER.matcher(v).matches() && fits(v, Integer.MIN_VALUE, Integer.MAX_VALUE);
                case LONG -> INTEGER.matcher(v).matches() && fits(v, Long.MIN_VALUE, Long.MAX_VALUE);
                case NUM -> NUMBER.matcher(v).matches();
                case NUMS -> !v.isEmpty() && Arrays.stream(v.split(";", -1)).allMatch(x -> NUMBER.matcher(x).matches());
                case BOOL -> v.equals("true") || v.equals("false");
                case HEX -> KEY.matcher(v).matches();
                case LABELS -> names(LabelMode.values()).contains(v);
                case SIGNALS -> names(SignalBasis.values()).contains(v);
                case INIT -> names(InitScheme.values()).contains(v);
                case LOSS -> names(Loss.values()).contains(v);
            };
            return ok ? null : "'" + v + "' is not " + switch (this) {
                case INT -> "an int";
                case LONG -> "a long integer";
                case NUM -> "a number";
                case NUMS -> "a ';'-separated list of numbers";
                case BOOL -> "true or false";
                case HEX -> "a 16-digit hex key";
                default -> "one of " + names(switch (this) {
                    case LABELS -> LabelMode.values();
                    case SIGNALS -> SignalBasis.values();
                    case LOSS -> Loss.values();
                    default -> InitScheme.values();
                });
            };
        }

        private static boolean fits(String v, long lo, long hi) {
            try {
                long x = Long.parseLong(v);
                return x >= lo && x <= hi;
            } catch (NumberFormatException e) {
                return false;
            }
        }

        private static Set<String> names(Enum<?>[] values) {
            return Arrays.stream(values).map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        }
    }

    /** A well-formed line: its 1-based line number in the file and its fields. */
    public record Row(Kind kind, int line, String[] fields) {
        public String get(String column) {
            return fields[kind.col(column)];
        }

        public int integer(String column) {
            return Integer.parseInt(get(column));
        }

        public int run() {
            return Integer.parseInt(fields[0]);
        }

        /** summary.csv: the run's key. */
        public String key() {
            return get("key");
        }

        /** summary.csv and metrics.csv: the metrics, in {@link Metric} order. */
        public double[] metrics() {
            double[] m = new double[Metric.COUNT];
            int m0 = fields.length - Metric.COUNT;
            for (int i = 0; i < Metric.COUNT; i++) m[i] = OutputDir.parseNum(fields[m0 + i]);
            return m;
        }

        /** The line as it is in the file. */
        public String text() {
            return String.join(",", fields);
        }
    }

    /** A line that is not a record of its file: where, what, and why. */
    public record Bad(Path file, int line, String text, String reason) {
        /** One line for stderr. */
        public String describe() {
            // Garbage may hold control characters: never sent to a terminal as they are.
            String shown = text.length() > 60 ? text.substring(0, 60) + "..." : text;
            return (file + " line " + line + ": " + reason + " ('" + shown + "')").replaceAll("\\p{Cntrl}", "?");
        }
    }

    /** The length of the file's complete lines: up to and including its last newline. */
    public static long completeLength(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long end = ch.size();
            ByteBuffer b = ByteBuffer.allocate(8192);
            while (end > 0) {
                long from = Math.max(0, end - b.capacity());
                b.clear().limit((int) (end - from));
                ch.read(b, from);
                for (int i = (int) (end - from) - 1; i >= 0; i--) {
                    if (b.get(i) == '\n') return from + i + 1;
                }
                end = from;
            }
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + OutputDir.describe(e), e);
        }
    }

    /**
     * Refuses a file that cannot be this store's {@code kind}: a symbolic link (never written
     * through), not a regular file, or a first complete line that is not the header. A missing or
     * empty file passes (the store creates it).
     */
    public static void checkHeader(Path file, Kind kind) {
        if (Files.isSymbolicLink(file)) throw new IllegalArgumentException(file + " is a symbolic link: refusing to use it as a result file");
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return;
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) throw new IllegalArgumentException(file + " is not a regular file");
        byte[] want = (kind.header() + "\n").getBytes(StandardCharsets.UTF_8);
        if (completeLength(file) == 0) return;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] got = in.readNBytes(want.length);
            if (!Arrays.equals(got, want)) {
                Older older = Older.of(kind, firstLine(file).split(",", -1));
                if (older != null) {
                    throw new IllegalArgumentException(file + " was written by an older version (no " + String.join(", ", older.missing())
                            + " columns): aggregate, plot and report read it, but no run can be added to it: give another directory");
                }
                throw new IllegalArgumentException(file + " is not a " + kind.file() + " of this version: line 1 is not its header");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + OutputDir.describe(e), e);
        }
    }

    /** A file's first line (at most 64 KiB of it: a header is far shorter). */
    private static String firstLine(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            String head = new String(in.readNBytes(1 << 16), StandardCharsets.UTF_8);
            int nl = head.indexOf('\n');
            return nl < 0 ? head : head.substring(0, nl);
        }
    }

    /**
     * Reads {@code file} as {@code kind}: every well-formed record to {@code good}, every other
     * line to {@code bad}, in file order. An empty file (or one with no complete line) has no rows.
     *
     * @throws IllegalArgumentException when its first line is not the header of {@code kind}
     */
    public static void read(Path file, Kind kind, Consumer<Row> good, Consumer<Bad> bad) {
        int[] line = {0};
        Older[] older = {null};
        records(file, f -> {
            // No quoting and no skipped lines: record i is line i + 1.
            line[0]++;
            if (line[0] == 1) {
                if (!String.join(",", f).equals(kind.header())) {
                    older[0] = Older.of(kind, f);
                    if (older[0] == null) {
                        throw new IllegalArgumentException(file + " is not a " + kind.file()
                                + " of this version: line 1 is not its header, nor an older version's");
                    }
                }
                return;
            }
            if (older[0] != null) f = older[0].fill(f);
            String why = check(kind, f);
            if (why == null) good.accept(new Row(kind, line[0], f));
            else bad.accept(new Bad(file, line[0], String.join(",", f), why));
        });
    }

    /**
     * The file's complete lines as records, split at every comma: no quoting, no escapes, nothing
     * trimmed, an empty line one empty field. Lines end at "\n", "\r\n" or a lone "\r"
     * ({@link BufferedReader#readLine}); malformed UTF-8 (garbage) is replaced, never fatal, and the
     * line then fails its types. This is what Jackson's CSV parser read with that schema
     * (StoreCsvRecordsTest compares both on random files), without its mapper: building it was
     * a fixed cost of every train and sweep, which sort their store when done (issue 10, s21).
     */
    static void records(Path file, Consumer<String[]> each) {
        long length = completeLength(file);
        if (length == 0) return;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
             BufferedReader r = new BufferedReader(new InputStreamReader(new Bounded(Channels.newInputStream(ch), length),
                     StandardCharsets.UTF_8), 1 << 16)) {
            for (String text = r.readLine(); text != null; text = r.readLine()) each.accept(text.split(",", -1));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + OutputDir.describe(e), e);
        }
    }

    /**
     * The columns added since the first stored version, each with what it holds in a row written
     * before it existed: a literal (the option's default, which left the model as it was) or, after
     * '=', the column whose value it equals there (batch_size = N: full-batch GD; test_p = p: an
     * unshifted test set; the logistic losses = the losses, the only loss there was).
     */
    static final Map<String, String> ADDED = Map.of("test_sigma_scale", "1", "test_signal_angle", "0", "test_p", "=p",
            "loss", "logistic", "batch_size", "=N", "heads", "1", "train_loss_logistic", "=train_loss", "test_loss_logistic", "=test_loss");

    /**
     * An older version's header of a file: the current columns in their order less some of
     * {@link #ADDED}. Its rows are read as the current version's, the missing columns filled, so
     * aggregate, plot and report read a store written before (a sweep resumes only a store of this
     * version: {@link #checkHeader}).
     */
    private record Older(Kind kind, int[] from, String[] fill, int width) {
        static Older of(Kind kind, String[] header) {
            List<String> old = List.of(header);
            if (old.size() >= kind.columns.size() || !kind.columns.containsAll(old)) return null;
            int[] from = new int[kind.columns.size()];
            String[] fill = new String[from.length];
            int next = 0;
            for (int i = 0; i < from.length; i++) {
                String c = kind.columns.get(i);
                if (next < old.size() && old.get(next).equals(c)) {
                    from[i] = next++;
                } else if (ADDED.containsKey(c)) {
                    from[i] = -1;
                    fill[i] = ADDED.get(c);
                } else {
                    return null;
                }
            }
            if (next != old.size()) return null;
            for (String f : fill) if (f != null && f.startsWith("=") && !old.contains(f.substring(1))) return null;
            return new Older(kind, from, fill, old.size());
        }

        /** The columns the older file lacks. */
        List<String> missing() {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < from.length; i++) if (from[i] < 0) out.add(kind.columns.get(i));
            return out;
        }

        /** A row of the older file as the current version writes it; a row of another length is left for {@link #check} to refuse. */
        String[] fill(String[] f) {
            if (f.length != width) return f;
            String[] out = new String[from.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = from[i] >= 0 ? f[from[i]] : fill[i].startsWith("=") ? f[from[kind.col(fill[i].substring(1))]] : fill[i];
            }
            return out;
        }
    }

    /** Why these fields are not a record of {@code kind}, or null when they are. */
    static String check(Kind kind, String[] f) {
        if (f.length == 1 && f[0].isEmpty()) return "blank line";
        if (f.length != kind.columns.size()) return f.length + " fields, expected " + kind.columns.size();
        for (int i = 0; i < f.length; i++) {
            String why = kind.types[i].check(f[i]);
            if (why != null) return kind.columns.get(i) + " " + why;
        }
        if (Integer.parseInt(f[0]) < 0) return "run " + f[0] + " is negative";
        if (kind == Kind.SUMMARY) {
            int stop = Integer.parseInt(f[kind.col("stop_step")]), steps = Integer.parseInt(f[kind.col("steps")]);
            if (stop < 0 || stop > steps) return "stop_step " + stop + " is outside [0, steps=" + steps + "]";
            if (Integer.parseInt(f[kind.col("eval_every")]) < 1) return "eval_every " + f[kind.col("eval_every")] + " is below 1";
        } else if (Integer.parseInt(f[1]) < 0) {
            return "step " + f[1] + " is negative";
        } else if (kind == Kind.HEADS && Integer.parseInt(f[2]) < 0) {
            return "head " + f[2] + " is negative";
        }
        return null;
    }

    /** At most {@code left} bytes of a stream: a file's complete lines. */
    private static final class Bounded extends java.io.FilterInputStream {
        private long left;

        Bounded(InputStream in, long left) {
            super(in);
            this.left = left;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) return -1;
            int b = super.read();
            if (b >= 0) left--;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) return -1;
            int n = super.read(b, off, (int) Math.min(len, left));
            if (n > 0) left -= n;
            return n;
        }
    }
}
