package org.attnsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An engine's arithmetic beyond its name and precision (cuda's 3xTF32 GEMM) is part of what results
 * record: the default adds nothing (directories stored before the choice existed still resume),
 * another value changes results_of, so a resume in the other arithmetic is refused in one line.
 */
class ArithmeticResumeTest {
    private static Engine engine(String arithmetic) {
        return new Engine() {
            @Override
            public String name() {
                return "cuda";
            }

            @Override
            public Precision precision() {
                return Precision.FLOAT32;
            }

            @Override
            public String arithmetic() {
                return arithmetic;
            }

            @Override
            public String describe() {
                return "engine=cuda (stand-in)";
            }

            @Override
            public EngineBatch open(List<RunData> runs) {
                throw new UnsupportedOperationException();
            }
        };
    }

    @Test
    void theDefaultArithmeticAddsNothingAnotherIsRecorded() {
        assertEquals("engine=cuda precision=float32", Sweeper.resultsOf(engine("")));
        assertEquals("engine=cuda precision=float32 gemm=tf32x3", Sweeper.resultsOf(engine(" gemm=tf32x3")));
        Plan plan = Plan.of(List.of(new Grid(new RunSpec(), Map.of("N", List.of("4", "8")))));
        assertNotEquals(Sweeper.fingerprint(plan, "", engine("")), Sweeper.fingerprint(plan, "", engine(" gemm=tf32x3")),
                "shards trained in the two arithmetics do not merge");
    }

    @Test
    void aResumeInAnotherArithmeticIsRefused(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"plan_fingerprint\": \"0123456789abcdef\", \"results_of\": \""
                + Sweeper.resultsOf(engine("")) + "\"}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sweeper.checkSamePlan(dir, "fedcba9876543210", engine(" gemm=tf32x3")));
        assertEquals("--out " + dir + " holds results of engine=cuda precision=float32, this run would add engine=cuda precision=float32 "
                + "gemm=tf32x3: resume with the same --engine and --precision (and ATTNSWEEP_CUDA_GEMM), or choose another --out", e.getMessage());
    }
}
