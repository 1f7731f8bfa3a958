package org.attnsweep.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.StepByStep;
import org.attnsweep.engine.EngineCase;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.Weights;
import org.attnsweep.train.RunResult;
import org.attnsweep.train.Trainer;
import org.junit.jupiter.api.Test;

/**
 * Reading losses back once per stretch of steps changes nothing: the trainer over a cuda batch
 * (stretches of up to 32 steps, one copy of losses each) and over the same batch seen through
 * {@link EngineBatch#step} alone (one copy per step, as before) give every run the same stop step,
 * the same reached/diverged flags, and bit for bit the same curve, final metrics and final weights.
 * The runs' targets are set from a first pass so that they stop at scattered steps inside stretches,
 * with mixed step budgets and eval-every.
 */
class ReadBackTest {
    private static final int[] STEPS = {40, 37, 26, 40, 21};
    private static final int[] EVAL = {1000, 10, 7, 25, 1000};

    private static RunSpec spec(SplittableRandom rnd, long seed, int r, double target) {
        RunSpec s = Fixtures.smallSpec(rnd, 16, 3, 8, 8, 2 + r * 2);
        s.testN = 2;
        s.seed = seed + r;
        s.trainWo = r % 2 == 1;
        s.steps = STEPS[r];
        s.evalEvery = EVAL[r];
        s.targetLoss = target;
        return s;
    }

    @Test
    void stopStepsAndResultsMatchReadingBackEveryStep() {
        EngineCase.assumeCuda();
        long seed = Fixtures.seed();
        String tag = Fixtures.tag(seed);
        int R = STEPS.length;
        try (CudaEngine cuda = new CudaEngine(System.err)) {
            // First pass, no target: each run's loss curve; its target is then set just above the
            // loss at a random step, so it stops there or before, anywhere in a stretch.
            List<RunData> free = new ArrayList<>();
            SplittableRandom rnd = new SplittableRandom(seed);
            for (int r = 0; r < R; r++) free.add(Fixtures.data(spec(rnd.split(), seed, r, 0)));
            double[][] curve = new double[40][R];
            try (EngineBatch b = cuda.open(free)) {
                boolean[] all = new boolean[R];
                java.util.Arrays.fill(all, true);
                for (double[] row : curve) b.step(all, row);
            }
            rnd = new SplittableRandom(seed);
            List<RunData> runs = new ArrayList<>();
            for (int r = 0; r < R; r++) {
                int at = 3 + new SplittableRandom(seed + 31 * r).nextInt(34);
                double target = r == 4 ? 0 : Math.nextUp(curve[at][r]);   // run 4 runs to its budget
                runs.add(Fixtures.data(spec(rnd.split(), seed, r, target)));
            }
            List<RunResult> stretched, stepwise;
            try (EngineBatch b = cuda.open(runs)) {
                stretched = Trainer.train(b, runs, true, null);
            }
            try (EngineBatch b = cuda.open(runs)) {
                stepwise = Trainer.train(new StepByStep(b), runs, true, null);
            }
            int reached = 0;
            for (int r = 0; r < R; r++) {
                RunResult x = stretched.get(r), y = stepwise.get(r);
                String at = "run " + r + " (steps " + STEPS[r] + ", eval every " + EVAL[r] + ")" + tag;
                assertEquals(y.stopStep(), x.stopStep(), "stop step of " + at);
                assertEquals(y.reachedTarget(), x.reachedTarget(), "reached target, " + at);
                assertEquals(y.diverged(), x.diverged(), "diverged, " + at);
                assertArrayEquals(y.finalMetrics(), x.finalMetrics(), "final metrics of " + at);
                assertEquals(y.curve().size(), x.curve().size(), "curve length of " + at);
                for (int i = 0; i < y.curve().size(); i++) assertArrayEquals(y.curve().get(i), x.curve().get(i), "curve row " + i + " of " + at);
                Fixtures.assertSameWeights(y.finalWeights(), x.finalWeights(), "of " + at);
                RunConfig c = runs.get(r).config();
                if (x.reachedTarget() && x.stopStep() < c.steps() && x.stopStep() % 32 != 0) reached++;
            }
            // The test means something only if runs stopped by their loss inside stretches.
            assertTrue(reached >= 2, "only " + reached + " runs stopped by their loss inside a stretch" + tag);
        }
    }
}
