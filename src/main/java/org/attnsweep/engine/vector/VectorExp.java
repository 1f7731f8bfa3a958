package org.attnsweep.engine.vector;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * e^x lane by lane for the softmax of the direct form's bilinear scores ({@link KernelsF32#softmaxColumns})
 * and of one query's row of keys ({@link KernelsF32#softmaxRow}), whose arguments are z − max z ≤ 0.
 * One overload per precision, so the float64 kernels generated from KernelsF32 call the float64 one
 * under the same name.
 *
 * <p>Not the Vector API's {@code lanewise(EXP)}: C2 computes that with its own math stubs and the
 * interpreter with Math.exp per lane, which differ in the last bit, so a run's results would depend
 * on how warm the JIT is. Both overloads here use only exactly rounded operations (add, multiply,
 * fma, conversions, shifts) or Math.exp, the same bits interpreted and compiled.
 */
final class VectorExp {
    /** Below this e^x is under float32's smallest normal (2^−126 ≈ e^−87.34): x is clamped to it. */
    static final float FLOAT_LOW = -87f;
    /** 1.5·2^23: adding and subtracting it rounds a float of magnitude below 2^22 to an integer (ties to even). */
    private static final float ROUND = 12582912f;
    private static final float LOG2E = 1.44269504f;
    /** ln 2 in two parts (Cody–Waite): LN2_HI has 9 significant bits, so n·LN2_HI is exact for |n| < 2^15. */
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /**
     * Taylor coefficients 1/k!, k = 7 down to 2. On |r| ≤ ln2/2 the degree-7 remainder is below
     * r⁸/8! ≤ 5.3e-9 relative, under float32's half ulp (3e-8); with Horner's rounding and the
     * reduction the result is within a few ulp of e^x (MicroKernelTest measures it).
     */
    private static final float C7 = 1f / 5040, C6 = 1f / 720, C5 = 1f / 120, C4 = 1f / 24, C3 = 1f / 6, C2 = 0.5f;

    private VectorExp() {
    }

    /**
     * e^x for x ≤ 0 in float32: x = n·ln2 + r with n = round(x·log2 e), |r| ≤ ~ln2/2; e^r by a degree-7
     * polynomial; times 2^n built in the exponent bits. x below {@link #FLOAT_LOW} gives e^FLOAT_LOW
     * (~1.6e-38, which no softmax sum ≥ 1 can tell from 0); NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector v = x.max(FLOAT_LOW);
        FloatVector n = v.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(x.species(), -LN2_HI), v);
        r = n.fma(FloatVector.broadcast(x.species(), -LN2_LO), r);
        var s = x.species();
        FloatVector p = r.fma(C7, C6);
        p = p.fma(r, FloatVector.broadcast(s, C5));
        p = p.fma(r, FloatVector.broadcast(s, C4));
        p = p.fma(r, FloatVector.broadcast(s, C3));
        p = p.fma(r, FloatVector.broadcast(s, C2));
        p = p.fma(r, FloatVector.broadcast(s, 1f));
        p = p.fma(r, FloatVector.broadcast(s, 1f));
        // 2^n for n in [−126, 0]: the biased exponent n + 127 in bits 23..30.
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** e^x in float64: Math.exp per lane (float64 is the precision kept for accuracy, not for speed). */
    static DoubleVector exp(DoubleVector x) {
        double[] lanes = x.toArray();
        for (int i = 0; i < lanes.length; i++) lanes[i] = Math.exp(lanes[i]);
        return DoubleVector.fromArray(x.species(), lanes, 0);
    }
}
