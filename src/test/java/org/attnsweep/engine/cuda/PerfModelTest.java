package org.attnsweep.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.attnsweep.model.Presets;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.api.Test;

/** The roofline model: its counts agree with the project's FLOP formula and with hand counts at paper A's shape. */
class PerfModelTest {
    private static RunConfig preset(String name) {
        RunSpec s = new RunSpec();
        Presets.apply(name, s);
        return s.build(0);
    }

    private static PerfModel.Cost kernel(RunConfig c, String name) {
        return PerfModel.step(c).stream().filter(k -> k.kernel().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void theStepGemmIsTheProjectsFlopCount() {
        for (String p : List.of("jiang-heatmap", "zhang-dynamics")) {
            RunConfig c = preset(p);
            assertEquals(c.stepFlops(), kernel(c, "gemm").flops(), 0, p);
        }
    }

    @Test
    void handCountsAtPaperAShape() {
        RunConfig c = preset("jiang-heatmap"); // N = 20, M = 16, m_k = 512, P = 302, fixed w_O
        assertEquals(302, c.tokenCount());
        // attention_forward: logits 2·N·M²·m_k = 2·20·256·512 plus 8 per (l, a) pair.
        assertEquals(2.0 * 20 * 256 * 512 + 8.0 * 20 * 256, kernel(c, "attention_forward").flops(), 0);
        // value_gram: G (302² floats) dominates its bytes.
        assertEquals(4.0 * (302 * 302 + 2 * 302) + 2 * 4.0 * 302, kernel(c, "value_gram").bytes(), 0);
        List<String> names = PerfModel.step(c).stream().map(PerfModel.Cost::kernel).toList();
        assertEquals(List.of("attention_forward", "loss_reduce", "gather", "gemm", "value_gram"), names, "fixed w_O");
        List<String> learned = PerfModel.step(preset("zhang-dynamics")).stream().map(PerfModel.Cost::kernel).toList();
        assertEquals(List.of("scalarize_v", "attention_forward", "loss_reduce", "gather", "gemm", "value_gram", "value_update"),
                learned, "learned w_O");
    }

    @Test
    void rooflineIsTheSlowerOfComputeAndMemory() {
        PerfModel.Device h200 = PerfModel.device("NVIDIA H200");
        PerfModel.Cost k = new PerfModel.Cost("x", 67e12, 1e12); // 1 s of compute, 1/4.8 s of memory
        assertEquals(3.0, k.seconds(h200, 3), 1e-12);
        assertEquals("compute", k.bound(h200));
        PerfModel.Cost m = new PerfModel.Cost("y", 1, 9.6e12);
        assertEquals(2.0, m.seconds(h200, 1), 1e-12);
        assertEquals("memory", m.bound(h200));
    }

    /**
     * The gemm in 3xTF32: three tensor-core operations per multiply-add at the dense TF32 peak
     * (H200: 494.7 TFLOP/s), the other kernels as in FP32; the table's header says so.
     */
    @Test
    void theTf32x3GemmIsTimedAtAThirdOfTheTensorPeak() {
        PerfModel.Device h200 = PerfModel.device("NVIDIA H200");
        PerfModel.Cost t = new PerfModel.Cost("x", 494.7e12, 1, true);
        assertEquals(3.0, t.seconds(h200, 1), 1e-12);
        RunConfig c = preset("jiang-heatmap");
        PerfModel.Cost fp32 = kernel(c, "gemm");
        PerfModel.Cost tf = PerfModel.step(c, GemmKind.TF32X3).stream().filter(k -> k.kernel().equals("gemm")).findFirst().orElseThrow();
        assertEquals(fp32.flops(), tf.flops());
        assertEquals(fp32.seconds(h200, 1) * 67 * 3 / 494.7, tf.seconds(h200, 1), 1e-6 * fp32.seconds(h200, 1), "compute-bound at this shape");
        double others = PerfModel.stepSeconds(c, h200, 8) - fp32.seconds(h200, 8);
        assertEquals(others + tf.seconds(h200, 8), PerfModel.stepSeconds(c, h200, 8, GemmKind.TF32X3), 1e-15);
        assertTrue(PerfModel.table(c, 8, h200, Map.of(), 1000, GemmKind.TF32X3).get(0).contains("gemm in 3xTF32 at a third of 494.7 TFLOP/s TF32"));
        assertTrue(!PerfModel.table(c, 8, h200, Map.of(), 1000).get(0).contains("TF32"));
    }

    @Test
    void aStepTakesTheSumOfItsKernelsTimes() {
        RunConfig c = preset("zhang-dynamics");
        double sum = 0;
        for (PerfModel.Cost k : PerfModel.step(c)) sum += k.seconds(PerfModel.DEFAULT, 64);
        assertEquals(sum, PerfModel.stepSeconds(c, PerfModel.DEFAULT, 64), 1e-15);
        // Kernels do not overlap: the sum is slower than one roofline over the summed work.
        assertTrue(sum > PerfModel.stepTotal(c).seconds(PerfModel.DEFAULT, 64));
    }

    @Test
    void devicesByDriverName() {
        assertEquals("H200", PerfModel.device("NVIDIA H200").name());
        assertEquals("H100 SXM", PerfModel.device("NVIDIA H100 80GB HBM3").name());
        assertEquals("H100 PCIe", PerfModel.device("NVIDIA H100 PCIe").name());
        assertEquals("A100 80GB", PerfModel.device("NVIDIA A100-SXM4-80GB").name());
        assertEquals("A100 40GB", PerfModel.device("NVIDIA A100-PCIE-40GB").name());
        assertNull(PerfModel.device("Tesla T4"));
        assertNull(PerfModel.device(null));
    }

    @Test
    void aFamilySharesItsSetUp() {
        RunConfig c = preset("jiang-heatmap");
        PerfModel.Cost alone = PerfModel.setup(c, 1), shared = PerfModel.setup(c, 1000);
        assertEquals(1000, alone.flops() / shared.flops(), 1e-9);
        assertEquals(1000, alone.bytes() / shared.bytes(), 1e-9);
        // Per run alone: G = TᵀT alone is 2·P²·d FLOPs; the bus carries at least the P tokens of d floats.
        assertTrue(alone.flops() > 2.0 * 302 * 302 * 1024 && alone.bytes() > 4.0 * 302 * 1024);
    }

    @Test
    void tableShowsMeasuredTimesWhereGiven() {
        RunConfig c = preset("jiang-heatmap");
        List<String> without = PerfModel.table(c, 512, PerfModel.DEFAULT, Map.of(), 1000);
        List<String> with = PerfModel.table(c, 512, PerfModel.DEFAULT, Map.of("gemm", 1e-3), 1000);
        assertEquals(2 + PerfModel.step(c).size() + 3, without.size());
        assertTrue(without.get(without.size() - 2).contains("(1000x less)"), without.get(without.size() - 2));
        // 2·4·1502·(1024 + 1) bytes: see aBatchCopiesEachFamilysEvaluationRows.
        assertTrue(without.getLast().contains("12.32 MB read and written in device memory per family"), without.getLast());
        String gemm = with.stream().filter(l -> l.trim().startsWith("gemm")).findFirst().orElseThrow();
        assertTrue(gemm.contains("1000.0 us"), gemm);
        assertTrue(without.subList(2, without.size() - 2).stream().allMatch(l -> l.trim().endsWith("-")), String.join("\n", without));
    }

    @Test
    void aBatchCopiesEachFamilysEvaluationRows() {
        // jiang-heatmap: E_u = 2 + 100·15 = 1502 rows; Q|K(0)(s) 2m_k = 1024 wide, u(0)(s) one
        // (fixed w_O) or V(0)(s) m_v = 512 (learnable); 4-byte floats each read and written.
        RunConfig c = preset("jiang-heatmap");
        assertEquals(2 * 4 * 1502 * (1024 + 1), PerfModel.batchCopy(c).bytes());
        assertEquals(0, PerfModel.batchCopy(c).flops());
        RunSpec s = new RunSpec();
        Presets.apply("jiang-heatmap", s);
        s.trainWo = true;
        s.heads = 2;
        s.mk = 256;
        s.mv = 256;
        assertEquals(2 * 2 * 4 * 1502 * (512 + 256), PerfModel.batchCopy(s.build(0)).bytes());
    }
}
