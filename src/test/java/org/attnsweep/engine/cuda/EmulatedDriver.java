package org.attnsweep.engine.cuda;

import org.junit.jupiter.api.Assumptions;

/**
 * A context on native/cuda-emu for the tests of the emulator's own behaviour (EmulatorRaceTest,
 * EmulatorStreamTest): those checks would race or mean nothing on a real GPU, so they run only when
 * the driver that loads is the emulated one, and say why they are skipped elsewhere.
 */
final class EmulatedDriver implements AutoCloseable {
    /** The context, or null when skipped. */
    final CudaContext ctx;
    /** Why the tests are skipped, or null when they run. */
    private final String skip;

    private EmulatedDriver(CudaContext ctx, String skip) {
        this.ctx = ctx;
        this.skip = skip;
    }

    /** Opens a context when the driver is cuda-emu; prints why {@code test} is skipped otherwise. */
    static EmulatedDriver open(String test) {
        CudaEngine.Availability a = CudaEngine.probe();
        CudaContext ctx = null;
        String skip = null;
        if (!a.available()) skip = "no CUDA driver: " + a.reason();
        else {
            ctx = new CudaContext(0);
            if (!ctx.name().contains("CPU emulation")) skip = "the driver is a real one (" + ctx.name() + "), not native/cuda-emu";
        }
        if (skip != null) System.out.println(test + " skipped: " + skip);
        return new EmulatedDriver(ctx, skip);
    }

    /** Skips the calling test unless the emulated driver is loaded; makes its context current. */
    CudaContext require() {
        Assumptions.assumeTrue(skip == null, () -> skip);
        ctx.makeCurrent();
        return ctx;
    }

    @Override
    public void close() {
        if (ctx != null) ctx.close();
    }
}
