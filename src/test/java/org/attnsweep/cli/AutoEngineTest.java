package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.attnsweep.cli.TrainCommandTest.small;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.attnsweep.Cli.Result;
import org.attnsweep.engine.cuda.CudaEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --engine auto leaves cuda out of runs it cannot train on any device (M over 81: its attention
 * block past 48 KiB of shared memory), saying why, and trains them on the vector engine; on a GPU
 * (or the emulated driver) it took cuda and failed at that batch. Where cuda loads, a run it can
 * train still goes to cuda.
 */
class AutoEngineTest {
    @Test
    void autoTrainsOnVectorWhatCudaCannot(@TempDir Path tmp) {
        Result r = cli(small(tmp.resolve("m100"), "--engine", "auto", "--M", "100", "--d", "8", "--N", "2", "--steps", "2"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("engine: auto fell back to vector: the cuda engine cannot train these runs: --M 100 needs 67616 bytes of"
                + " shared memory per block"), r.err());
        assertTrue(r.err().contains("engine=vector"), r.err());
        if (CudaEngine.probe().available()) {
            Result small = cli(small(tmp.resolve("m4"), "--engine", "auto", "--M", "4", "--d", "8", "--N", "2", "--steps", "2"));
            assertEquals(0, small.code(), small.err());
            assertTrue(small.err().contains("engine: auto chose cuda"), small.err());
        }
    }
}
