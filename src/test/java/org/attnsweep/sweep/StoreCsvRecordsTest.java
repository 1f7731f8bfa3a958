package org.attnsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StoreCsv#records} splits a result file into records exactly as Jackson's CSV parser did
 * with the store's schema (no quote, no escape: the mapper StoreCsv.read built before, kept here as
 * the oracle), on random files of rows, garbage bytes, blank lines, carriage returns, malformed
 * UTF-8 and cut-off last lines: the repair's line numbers and texts depend on it.
 */
class StoreCsvRecordsTest {

    /** Jackson's records of the file's complete lines, decoded as StoreCsv decodes them. */
    private static List<String> jackson(Path file) throws Exception {
        byte[] all = Files.readAllBytes(file);
        int length = (int) StoreCsv.completeLength(file);
        CsvMapper mapper = new CsvMapper();
        mapper.enable(CsvParser.Feature.WRAP_AS_ARRAY);
        CsvSchema schema = CsvSchema.emptySchema().withoutQuoteChar().withoutEscapeChar();
        List<String> out = new ArrayList<>();
        if (length == 0) return out;
        try (Reader r = new InputStreamReader(new ByteArrayInputStream(all, 0, length), StandardCharsets.UTF_8);
             MappingIterator<String[]> it = mapper.readerFor(String[].class).with(schema).readValues(r)) {
            while (it.hasNextValue()) out.add(Arrays.toString(it.nextValue()) + "#");
        }
        return out;
    }

    private static List<String> ours(Path file) {
        List<String> out = new ArrayList<>();
        StoreCsv.records(file, f -> out.add(Arrays.toString(f) + "#"));
        return out;
    }

    // The pieces a damaged store holds: a real row, separators, line ends of every kind, quotes
    // and backslashes (no meaning in this schema), spaces, NUL, a BOM, non-ASCII, and malformed UTF-8
    // (a lone continuation byte, an invalid lead byte, a cut 3-byte sequence).
    private static final String[] TEXT = {"0,84d263e7995dad0e,1,0.6730,NaN,-Inf", ",", ",,", "\n", "\r\n", "\r", "\n\n", "\"q,r\"",
        "\\", " ", "\t", "\u0000", "\uFEFF", "é漢", "#", "garbage", "1e-3"};
    private static final byte[][] BYTES = {{(byte) 0x80}, {(byte) 0xFF}, {(byte) 0xE6, (byte) 0xBC}};

    @Test
    void recordsAreJacksonsOnRandomFiles(@TempDir Path tmp) throws Exception {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        Path file = tmp.resolve("summary.csv");
        int compared = 0;
        for (int i = 0; i < 300; i++) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes((StoreCsv.Kind.SUMMARY.header() + "\n").getBytes(StandardCharsets.UTF_8));
            int pieces = rnd.nextInt(40);
            for (int k = 0; k < pieces; k++) {
                if (rnd.nextInt(8) == 0) b.writeBytes(BYTES[rnd.nextInt(BYTES.length)]);
                else b.writeBytes(TEXT[rnd.nextInt(TEXT.length)].getBytes(StandardCharsets.UTF_8));
            }
            // Most files end their last line; some are cut in it, as a killed writer leaves them.
            if (rnd.nextInt(4) > 0) b.write('\n');
            byte[] bytes = i == 0 ? new byte[0] : b.toByteArray();
            Files.write(file, bytes);
            String why = "seed " + seed + ", file " + i + ": " + HexFormat.of().formatHex(bytes);
            List<String> want = jackson(file);
            assertEquals(want, ours(file), why);
            compared += want.size();
        }
        assertTrue(compared > 1000, "the files held records: " + compared);
    }
}
