package org.attnsweep.engine.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width and register budget the vector engine's kernels are built for: this JVM's own
 * (the preferred species; the registers {@link GemmF32} reads from the JVM's flags), or those two
 * system properties name:
 *
 * <ul>
 *   <li>{@value #BITS} = 128, 256 or 512: the kernels' species. Narrower than the JVM's preferred one
 *       runs compiled as usual; wider runs the Vector API's Java fallback (C2 compiles no vector wider
 *       than the hardware's): the same arithmetic in scalar code, slower, for tests of that width's code.</li>
 *   <li>{@value #REGISTERS} = 16 or 32: the register budget that picks the GEMM tile and the gather
 *       block ({@link GemmF32.Tile#forRegisters}): 32 on an x86 machine runs the AVX-512 and
 *       AArch64 code (spilling registers, the same results).</li>
 * </ul>
 *
 * With both, a 256-bit x86 machine runs the code an AVX-512 machine (512 bits, 32 registers) or an
 * Arm laptop (128 bits, 32 registers) runs. A run's results follow the width as on a machine of
 * that width (lanes sum in another order): the same bits as there, within float32's rounding of
 * every other width's, each tested against the reference engine (scripts/width-check).
 */
public final class VectorWidth {
    /** The system property naming the kernels' vector width in bits. */
    public static final String BITS = "attnsweep.vector.bits";
    /** The system property naming the register budget (16 or 32). */
    public static final String REGISTERS = "attnsweep.vector.registers";

    private VectorWidth() {
    }

    /**
     * What is wrong with {@value #BITS} or {@value #REGISTERS} as set, in one line, or null when both
     * are unset or valid. The CLI refuses such a JVM before any work.
     */
    public static String problem() {
        String bits = System.getProperty(BITS), registers = System.getProperty(REGISTERS);
        if (bits != null && !(bits.equals("128") || bits.equals("256") || bits.equals("512"))) {
            return "-D" + BITS + " must be 128, 256 or 512: got '" + bits + "'";
        }
        if (registers != null && !(registers.equals("16") || registers.equals("32"))) {
            return "-D" + REGISTERS + " must be 16 or 32: got '" + registers + "'";
        }
        return null;
    }

    /**
     * {@code preferred}, or the species of its element type at {@value #BITS} bits where that is set:
     * the vector engine's kernels' and the float64 projections' ({@code engine.Projected}) species.
     */
    public static <E> VectorSpecies<E> species(VectorSpecies<E> preferred) {
        String bits = System.getProperty(BITS);
        if (bits == null) return preferred;
        String problem = problem();
        if (problem != null) throw new IllegalArgumentException(problem);
        return VectorSpecies.of(preferred.elementType(), VectorShape.forBitSize(Integer.parseInt(bits)));
    }

    /** {@code detected}, or the budget {@value #REGISTERS} names where that is set. */
    static int registers(int detected) {
        String registers = System.getProperty(REGISTERS);
        if (registers == null) return detected;
        String problem = problem();
        if (problem != null) throw new IllegalArgumentException(problem);
        return Integer.parseInt(registers);
    }

    /** The float32 kernels' width in bits: this JVM's preferred species', or {@value #BITS}'s. */
    public static int bits() {
        return KernelsF32.S.vectorBitSize();
    }

    /**
     * For the {@code info} command: the float32 kernels' width and tile, the GEMM's panel and the L2
     * it was sized by ({@link L2Cache}), and where a property sets the width or the registers, what it
     * overrides, e.g. {@code 512-bit species, tile 6x4@512, GEMM panels 512 KiB of L2 1024 KiB (sysfs);
     * -Dattnsweep.vector.bits=512 over this JVM's 256-bit: the Vector API's Java fallback, slower;
     * -Dattnsweep.vector.registers=32}.
     */
    public static String describe() {
        int bits = KernelsF32.S.vectorBitSize(), preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        StringBuilder sb = new StringBuilder(bits + "-bit species, tile " + GemmF32.describe() + ", GEMM panels " + (GemmF32.PANEL_BYTES >> 10)
                + " KiB of " + L2Cache.MACHINE.describe());
        if (System.getProperty(BITS) != null) {
            sb.append("; -D").append(BITS).append('=').append(bits).append(" over this JVM's ").append(preferred).append("-bit")
                    .append(bits > preferred ? ": the Vector API's Java fallback, slower" : "");
        }
        if (System.getProperty(REGISTERS) != null) sb.append("; -D").append(REGISTERS).append('=').append(GemmF32.REGISTERS);
        return sb.toString();
    }
}
