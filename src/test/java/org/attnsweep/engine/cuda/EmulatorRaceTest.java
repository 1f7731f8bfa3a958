package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuGetErrorString;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * native/cuda-emu's own checks, which the per-kernel and engine tests rely on: it fails a launch
 * with a shared-memory race and says where (native/cuda-emu/test-kernels/race_demo.cu, a kernel
 * that exists only in the emulator), passes the same kernel with its barrier, and answers a module
 * load through the JIT log buffers as the loader in {@link Kernels} reads them. Runs only against
 * the emulated driver (scripts/emu-check), skipped elsewhere.
 */
class EmulatorRaceTest {
    private static EmulatedDriver emu;
    private static CudaContext ctx;

    @BeforeAll
    static void open() {
        emu = EmulatedDriver.open("EmulatorRaceTest");
        ctx = emu.ctx;
    }

    @AfterAll
    static void shut() {
        emu.close();
    }

    private static void requireEmulator() {
        emu.require();
    }

    private static CUfunction raceDemo() {
        CUmodule m = Kernels.loadImage("a PTX stub", ".version 9.0\n.target sm_80\n".getBytes(StandardCharsets.US_ASCII));
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, m, "race_demo");
        return f;
    }

    private static void launch(CUfunction f, int racy, DeviceBuffer out, int threads) {
        Pointer args = Pointer.to(Pointer.to(new int[] {racy}), Pointer.to(out.ptr()));
        cuLaunchKernel(f, 1, 1, 1, threads, 1, 1, 0, null, args, null);
    }

    @Test
    void aRaceFailsTheLaunchAndIsNamed() {
        requireEmulator();
        int threads = 64;
        try (DeviceBuffer out = ctx.alloc(4L * threads)) {
            CudaException e = assertThrows(CudaException.class, () -> launch(raceDemo(), 1, out, threads));
            assertEquals(CUresult.stringFor(CUresult.CUDA_ERROR_LAUNCH_FAILED), e.getMessage());
            String[] report = new String[1];
            cuGetErrorString(CUresult.CUDA_ERROR_LAUNCH_FAILED, report);
            // Thread 0 reads buf[1] before thread 1 writes it, with no barrier between.
            assertTrue(report[0].contains("shared-memory race in kernel race_demo, block (0,0,0): word 1 of buf "
                    + "read by thread 0 and written by thread 1"), report[0]);
            assertTrue(report[0].contains("more)"), "every thread races with its neighbour: " + report[0]);
        }
    }

    @Test
    void theSameKernelWithItsBarrierPasses() {
        requireEmulator();
        int threads = 96;
        try (DeviceBuffer out = ctx.alloc(4L * threads)) {
            launch(raceDemo(), 0, out, threads);
            float[] got = new float[threads], want = new float[threads];
            out.get(got, 0);
            for (int t = 0; t < threads; t++) want[t] = (t + 1) % threads;
            assertArrayEquals(want, got);
        }
    }

    @Test
    void aBadImageFailsInOneLineWithTheJitErrorLog() {
        requireEmulator();
        CudaException e = assertThrows(CudaException.class,
                () -> Kernels.loadImage("a test image", "not a module".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("cannot load a test image: CUDA_ERROR_INVALID_IMAGE: cuda-emu: image is neither a cubin (ELF) nor PTX text",
                e.getMessage());
    }
}
