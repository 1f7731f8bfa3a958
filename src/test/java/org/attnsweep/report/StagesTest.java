package org.attnsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.attnsweep.model.Metric;
import org.junit.jupiter.api.Test;

/** Stage boundaries and mean curves on synthetic curves whose answers are known. */
class StagesTest {

    /** A run's curve: rows [step, metrics...] at t = 0, 10, ..., last with the given attention curves. */
    static List<double[]> curve(int last, DoubleUnaryOperator signal, DoubleUnaryOperator noise) {
        List<double[]> rows = new ArrayList<>();
        for (int t = 0; t <= last; t += 10) {
            double[] row = new double[1 + Metric.COUNT];
            row[0] = t;
            row[1 + Metric.ATTN_SIGNAL.ordinal()] = signal.applyAsDouble(t);
            row[1 + Metric.ATTN_NOISE.ordinal()] = noise.applyAsDouble(t);
            row[1 + Metric.TRAIN_LOSS.ordinal()] = 1.0 / (1 + t);
            rows.add(row);
        }
        return rows;
    }

    @Test
    void signalLearningStagesAreWhereTheAttentionCrossesTenAndNinetyPercent() {
        // attention on the signal rises linearly from 0.5 at t = 100 to 0.9 at t = 290: of the change,
        // 5% is done at t = 110, 11% at 120; 89% at 270, 95% at 280 (no threshold lands on a step)
        DoubleUnaryOperator s = t -> 0.5 + 0.4 * Math.clamp((t - 100) / 190.0, 0, 1);
        Stages st = Stages.of(Band.of(List.of(curve(500, s, t -> 1 - s.applyAsDouble(t)))));
        assertTrue(st.signal());
        assertEquals(0.4, st.delta(), 1e-12);
        assertEquals(120, st.initEnd());
        assertEquals(280, st.learnEnd());
        assertEquals("convergence", st.third());
    }

    @Test
    void noiseLearningIsFoundWhenTheNoiseTokenGainsTheAttention() {
        // noise token 2 gains 0.3 of attention linearly up to t = 95: 11% at t = 10, 95% at t = 90
        DoubleUnaryOperator n = t -> 0.5 + 0.3 * Math.clamp(t / 95.0, 0, 1);
        Stages st = Stages.of(Band.of(List.of(curve(200, t -> 1 - n.applyAsDouble(t), n))));
        assertFalse(st.signal());
        assertEquals(10, st.initEnd());
        assertEquals(90, st.learnEnd());
        assertEquals("noise learning", st.learning());
    }

    @Test
    void flatAttentionHasNoStages() {
        Stages st = Stages.of(Band.of(List.of(curve(100, t -> 0.5 + 1e-4 * t / 100, t -> 0.5))));
        assertFalse(st.found());
        assertTrue(st.describe().contains("no stages"), st.describe());
    }

    @Test
    void aRunThatStoppedEarlyKeepsItsLastValue() {
        // run A stops at t = 50 (target loss reached); run B goes on to t = 100
        Band b = Band.of(List.of(curve(50, t -> 0.2, t -> 0.8), curve(100, t -> 0.4, t -> 0.6)));
        assertEquals(11, b.t().length);
        assertEquals(0.3, b.mean(Metric.ATTN_SIGNAL)[10], 1e-12);
        assertEquals(Math.sqrt(0.02), b.std(Metric.ATTN_SIGNAL)[10], 1e-12);
        assertEquals(2, b.finite()[Metric.ATTN_SIGNAL.ordinal()][10]);
    }

    @Test
    void nonFiniteValuesOfADivergedRunAreLeftOutAndCounted() {
        List<double[]> diverged = curve(20, t -> t < 20 ? 0.5 : Double.NaN, t -> 0.5);
        Band b = Band.of(List.of(diverged, curve(20, t -> 0.7, t -> 0.3)));
        assertEquals(0.7, b.mean(Metric.ATTN_SIGNAL)[2], 1e-12);
        assertEquals(1, b.finite()[Metric.ATTN_SIGNAL.ordinal()][2]);
        assertEquals(0.6, b.mean(Metric.ATTN_SIGNAL)[1], 1e-12);
    }
}
