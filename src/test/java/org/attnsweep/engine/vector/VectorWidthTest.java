package org.attnsweep.engine.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.attnsweep.cli.Main;
import org.junit.jupiter.api.Test;

/**
 * The kernels' vector width and register budget (VectorWidth): this JVM's own, or what
 * {@code -Dattnsweep.vector.bits} and {@code -Dattnsweep.vector.registers} name, which
 * scripts/width-check sets to run this suite's vector tests at every width an x86 or Arm machine
 * has. The first test holds in every such JVM and says which width the kernels run at, so a
 * property the kernels ignored fails it there.
 */
class VectorWidthTest {
    @Test
    void kernelsRunAtTheWidthAndBudgetTheJvmOrTheProperties() {
        String bits = System.getProperty(VectorWidth.BITS), registers = System.getProperty(VectorWidth.REGISTERS);
        int wantBits = bits != null ? Integer.parseInt(bits) : FloatVector.SPECIES_PREFERRED.vectorBitSize();
        System.out.println("kernels: " + VectorWidth.describe() + " (float64 " + KernelsF64.S.vectorBitSize() + "-bit, tile " + GemmF64.describe() + ")");
        assertEquals(wantBits, KernelsF32.S.vectorBitSize());
        assertEquals(bits != null ? wantBits : DoubleVector.SPECIES_PREFERRED.vectorBitSize(), KernelsF64.S.vectorBitSize(), "the float64 kernels");
        assertEquals(wantBits / Float.SIZE, KernelsF32.L);
        if (registers != null) {
            // The budget the property names picks the tile: 6×4 with 32 registers, 6×2 with 16.
            GemmF32.Tile want = registers.equals("32") ? GemmF32.Tile.T6X4 : GemmF32.Tile.T6X2;
            assertEquals(want, GemmF32.TILE);
            assertEquals(want.label(), GemmF64.TILE.label(), "the float64 kernels' tile");
        }
        // What the tile and the width select: the gather's 4-vector block with the 6×4 tile, the
        // keys-by-lanes scores with 16 float lanes.
        assertEquals(GemmF32.TILE == GemmF32.Tile.T6X4, KernelsF32.WIDE_GATHER);
        assertEquals(KernelsF32.L == 16, KernelsF32.KEY_LANES);
        assertTrue(VectorWidth.describe().startsWith(wantBits + "-bit species, tile " + GemmF32.TILE.label() + "@" + wantBits), VectorWidth.describe());
    }

    @Test
    void badValuesAreNamedInOneLine() {
        String bits = System.getProperty(VectorWidth.BITS), registers = System.getProperty(VectorWidth.REGISTERS);
        try {
            System.clearProperty(VectorWidth.BITS);
            System.clearProperty(VectorWidth.REGISTERS);
            assertNull(VectorWidth.problem());
            for (String ok : new String[] {"128", "256", "512"}) {
                System.setProperty(VectorWidth.BITS, ok);
                assertNull(VectorWidth.problem(), ok);
            }
            System.setProperty(VectorWidth.BITS, "1024");
            assertEquals("-Dattnsweep.vector.bits must be 128, 256 or 512: got '1024'", VectorWidth.problem());
            System.setProperty(VectorWidth.BITS, "256");
            System.setProperty(VectorWidth.REGISTERS, "8");
            assertEquals("-Dattnsweep.vector.registers must be 16 or 32: got '8'", VectorWidth.problem());
            System.setProperty(VectorWidth.REGISTERS, "32");
            assertNull(VectorWidth.problem());
        } finally {
            restore(VectorWidth.BITS, bits);
            restore(VectorWidth.REGISTERS, registers);
        }
    }

    @Test
    void theCliRefusesABadWidthBeforeAnyWork() {
        String bits = System.getProperty(VectorWidth.BITS);
        try {
            System.setProperty(VectorWidth.BITS, "64");
            StringWriter out = new StringWriter(), err = new StringWriter();
            int code = Main.run(new String[] {"train", "--steps", "1"}, new PrintWriter(out, true), new PrintWriter(err, true));
            assertEquals(2, code);
            assertEquals("attnsweep: -Dattnsweep.vector.bits must be 128, 256 or 512: got '64'" + System.lineSeparator(), err.toString());
            assertEquals("", out.toString());
        } finally {
            restore(VectorWidth.BITS, bits);
        }
    }

    private static void restore(String name, String value) {
        if (value == null) System.clearProperty(name);
        else System.setProperty(name, value);
    }
}
