package org.attnsweep.engine.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.attnsweep.model.RunConfig;

/**
 * Roofline model of the cuda engine: for each kernel of a training step (kernels/*.cu, named as the
 * files are) the FLOPs and the compulsory bytes per run and step, from the math in the kernel's
 * header, not from today's tiling: a kernel cannot do less than this, however it is written. The
 * predicted time of a kernel at a device's peaks is max(FLOPs / peak FLOP/s, bytes / peak bandwidth);
 * a measured time next to it (benchmarks' cuEvent timing) says how far the kernel sits from its
 * roofline. Float32 data, 4 bytes; the losses are float64.
 *
 * <p>Shapes per run (glossary): P = 2 + N(M−1) distinct training tokens, N samples of M tokens,
 * m_k, m_v widths; Q|K is P×2m_k, V and A_V P×m_v, G = TᵀT P×P, D N×M×M, c N×M.
 */
public final class PerfModel {
    private PerfModel() {
    }

    /**
     * A device's FP32 (non-tensor-core) peak, its memory bandwidth and its dense TF32 tensor-core
     * peak (the figure without structured sparsity), from the vendor's data sheet. On Hopper (H100,
     * H200) that peak is the warpgroup instructions' (wgmma); kernels/gemm_tf32x3.cu issues the
     * warp-level mma.sync of Ampere, which reaches less of it, so its predicted time there is a bound
     * the kernel will not meet.
     */
    public record Device(String name, double flops, double bytesPerSecond, double tf32Flops) {
    }

    /**
     * Known devices, matched in this order by {@link #device}: the more specific names first
     * (H100 PCIe before H100, A100 80GB before A100 40GB). FP32 FLOP/s without tensor cores, then
     * bytes/s, then dense TF32 tensor-core FLOP/s.
     */
    static final List<Device> DEVICES = List.of(
            new Device("H200", 67e12, 4.8e12, 494.7e12),
            new Device("H100 PCIe", 51e12, 2.0e12, 378e12),
            new Device("H100 SXM", 67e12, 3.35e12, 494.7e12),
            new Device("A100 80GB", 19.5e12, 2.039e12, 156e12),
            new Device("A100 40GB", 19.5e12, 1.555e12, 156e12));

    /** The device the model predicts for when none is named or the name is unknown. */
    public static final Device DEFAULT = DEVICES.getFirst();

    /** The entry of {@link #DEVICES} for a driver's device name (e.g. "NVIDIA H200"), or null. */
    public static Device device(String driverName) {
        String n = driverName == null ? "" : driverName.toUpperCase(Locale.ROOT);
        if (n.contains("H200")) return DEVICES.get(0);
        if (n.contains("H100")) return n.contains("PCIE") ? DEVICES.get(1) : DEVICES.get(2);
        if (n.contains("A100")) return n.contains("80G") ? DEVICES.get(3) : DEVICES.get(4);
        return null;
    }

    /**
     * One kernel's work per run and step; {@code tf32x3}: its FLOPs are done as 3xTF32 tensor-core
     * products (kernels/gemm_tf32x3.cu: three tensor-core operations per multiply-add).
     */
    public record Cost(String kernel, double flops, double bytes, boolean tf32x3) {
        /** Work on the FP32 units. */
        public Cost(String kernel, double flops, double bytes) {
            this(kernel, flops, bytes, false);
        }

        /** Seconds of arithmetic of one run at the device's peak for this kernel's units. */
        private double computeSeconds(Device dev) {
            return tf32x3 ? 3 * flops / dev.tf32Flops() : flops / dev.flops();
        }

        /** Roofline time of R runs on device {@code dev}, in seconds. */
        public double seconds(Device dev, int R) {
            return R * Math.max(computeSeconds(dev), bytes / dev.bytesPerSecond());
        }

        /** "compute" when the FLOPs bound the kernel at this device's peaks, else "memory". */
        public String bound(Device dev) {
            return computeSeconds(dev) >= bytes / dev.bytesPerSecond() ? "compute" : "memory";
        }
    }

    private static final double F = 4; // bytes per float (and per int index)

    /**
     * The kernels of one training step of one run, in launch order. Learnable w_O adds scalarize_v
     * (u = V w_O before the step) and value_update (the m_v-wide value side); fixed w_O keeps only
     * the P-vector u and updates it in value_gram.
     */
    public static List<Cost> step(RunConfig c) {
        return step(c, GemmKind.FP32);
    }

    /** As {@link #step(RunConfig)}, the gemm on the kernels of {@code gemm}. */
    public static List<Cost> step(RunConfig c, GemmKind gemm) {
        double P = c.tokenCount(), N = c.N(), M = c.M(), mk = c.mk(), mv = c.mv(), NMM = N * M * M;
        List<Cost> out = new ArrayList<>();
        if (c.trainWo()) out.add(new Cost("scalarize_v", 2 * P * mv, F * (P * mv + mv + P)));
        // Logits q_l·k_a (2·m_k per pair), then softmax, ū, D and c: about 8 FLOPs per (l, a) pair.
        // Reads every token's q|k row once, u, the token map and labels; writes D, c, f, g, loss.
        out.add(new Cost("attention_forward", 2 * NMM * mk + 8 * NMM,
                F * (P * 2 * mk + P + N * M + N) + F * (NMM + N * M + 2 * N) + 8 * N));
        out.add(new Cost("loss_reduce", N, 8 * N + 8 + F));
        // α_j and β_j: m_k-wide sums of D-weighted k and q rows over every (sample, position) pair,
        // 2·N·M²·m_k multiply-adds in all; γ; then A_Q|A_K −= η[α|β]. Reads q|k, D, g, c and the
        // occurrence index; writes [α|β] for the GEMM; reads and writes A_Q|K; γ (and c_V, fixed w_O).
        out.add(new Cost("gather", 4 * NMM * mk + 2 * N * M + 2 * P * 2 * mk,
                F * (P * 2 * mk + NMM + N + N * M + P + 1 + N * M) + F * (P * 2 * mk) + 2 * F * P * 2 * mk
                        + F * P + (c.trainWo() ? 0 : 2 * F * P)));
        // Q|K −= η G [α|β]: P×P times P×2m_k, RunConfig.stepFlops. Reads G and [α|β], reads and writes Q|K.
        out.add(new Cost("gemm", c.stepFlops(), F * (P * P + P * 2 * mk + 2 * P * 2 * mk), gemm == GemmKind.TF32X3));
        // h = G γ (P² multiply-adds); fixed w_O: u −= η‖w_O‖² h.
        out.add(new Cost("value_gram", 2 * P * P + (c.trainWo() ? 0 : 2 * P),
                F * (P * P + 2 * P) + (c.trainWo() ? 0 : 2 * F * P)));
        // ∇w_O = Vᵀγ, V −= η h w_Oᵀ, A_V −= η γ w_Oᵀ, w_O −= η∇w_O: three P×m_v passes; V and A_V read and written.
        if (c.trainWo()) out.add(new Cost("value_update", 6 * P * mv + 2 * mv, F * (4 * P * mv + 2 * P + 2 * mv)));
        return out;
    }

    /** The sum of {@link #step}: one run's whole training step. */
    public static Cost stepTotal(RunConfig c) {
        double f = 0, b = 0;
        for (Cost k : step(c)) {
            f += k.flops();
            b += k.bytes();
        }
        return new Cost("step", f, b);
    }

    /** Roofline time of a step of R runs: the kernels run one after another, so their times add. */
    public static double stepSeconds(RunConfig c, Device dev, int R) {
        return stepSeconds(c, dev, R, GemmKind.FP32);
    }

    /** As {@link #stepSeconds(RunConfig, Device, int)}, the gemm on the kernels of {@code gemm}. */
    public static double stepSeconds(RunConfig c, Device dev, int R, GemmKind gemm) {
        double t = 0;
        for (Cost k : step(c, gemm)) t += k.seconds(dev, R);
        return t;
    }

    /**
     * The set-up of one run (docs/math.md §4's "once" terms: G = TᵀT and the W(0) projections of the P
     * training and E = 2 + N_test(M−1) + 2 test and probe tokens through [W_Q; W_K] and W_V), as
     * work on the device and bytes over the bus, when each run does it alone ({@code familyRuns} = 1)
     * and when a family of {@code familyRuns} runs (the same draws at every N and ‖μ‖, data/Family)
     * does it once for all at its largest N, each run then only a slice and scale of it.
     */
    public static Cost setup(RunConfig c, int familyRuns) {
        double P = c.tokenCount(), d = c.d(), mk = c.mk(), mv = c.mv();
        double E = 2 + (double) c.testN() * (c.M() - 1) + 2;
        double widths = 2 * mk + (c.trainWo() ? mv : 1);
        double flops = 2 * P * P * d + 2 * (P + E) * d * widths + 2 * E * P * d;
        double bus = F * ((P + E) * d + (2 * mk + mv) * d);
        return new Cost(familyRuns == 1 ? "set-up" : "set-up, family of " + familyRuns, flops / familyRuns, bus / familyRuns);
    }

    /**
     * What a batch copies in device memory for each family (and head) of runs like {@code c} it holds
     * (CudaBatch.setUp): the family's E_u = 2 + testN(M−1) rows of Q|K(0)(s) and u(0)(s) (fixed
     * w_O) or V(0)(s) (learnable), which the metrics read in place as each run's slice; each float
     * read and written. No FLOPs.
     */
    public static Cost batchCopy(RunConfig c) {
        double Eu = 2 + (double) c.testN() * (c.M() - 1);
        return new Cost("batch copy per family", 0, 2 * F * Eu * (2.0 * c.mk() + (c.trainWo() ? c.mv() : 1)) * c.heads());
    }

    /**
     * The model as a table for R runs per batch on {@code dev}: per kernel the FLOPs and bytes of the
     * batch's step, arithmetic intensity, bound, predicted time and, where {@code measured} has the
     * kernel (seconds per step of the whole batch), the measured time and its share of the roofline;
     * then the set-up of one run, alone and in a family of {@code familyRuns} runs, and what a
     * batch copies per family it holds ({@link #batchCopy}).
     */
    public static List<String> table(RunConfig c, int R, Device dev, Map<String, Double> measured, int familyRuns) {
        return table(c, R, dev, measured, familyRuns, GemmKind.FP32);
    }

    /** As {@link #table(RunConfig, int, Device, Map, int)}, the gemm on the kernels of {@code gemm}. */
    public static List<String> table(RunConfig c, int R, Device dev, Map<String, Double> measured, int familyRuns, GemmKind gemm) {
        List<String> out = new ArrayList<>();
        String tensor = gemm == GemmKind.TF32X3
                ? String.format(Locale.ROOT, "; gemm in 3xTF32 at a third of %.1f TFLOP/s TF32", dev.tf32Flops() / 1e12) : "";
        out.add(String.format(Locale.ROOT, "perf model: %s (%.1f TFLOP/s FP32, %.2f TB/s%s), R=%d runs of d=%d M=%d m_k=%d m_v=%d N=%d P=%d",
                dev.name(), dev.flops() / 1e12, dev.bytesPerSecond() / 1e12, tensor, R, c.d(), c.M(), c.mk(), c.mv(), c.N(), c.tokenCount()));
        out.add(String.format(Locale.ROOT, "  %-18s %11s %11s %8s %8s %12s %12s %9s", "kernel", "GFLOP/step", "MB/step", "FLOP/B",
                "bound", "predicted", "measured", "roofline"));
        List<Cost> rows = new ArrayList<>(step(c, gemm));
        rows.add(stepTotal(c));
        double measuredTotal = 0;
        boolean any = measured != null && !measured.isEmpty();
        if (any) for (Cost k : step(c, gemm)) measuredTotal += measured.getOrDefault(k.kernel(), 0.0);
        for (Cost k : rows) {
            boolean total = k.kernel().equals("step");
            double pred = total ? stepSeconds(c, dev, R, gemm) : k.seconds(dev, R);
            Double got = total ? (any ? measuredTotal : null) : (measured == null ? null : measured.get(k.kernel()));
            out.add(String.format(Locale.ROOT, "  %-18s %11.3f %11.2f %8.1f %8s %10.1f us %12s %9s", k.kernel(), R * k.flops() / 1e9,
                    R * k.bytes() / 1e6, k.flops() / k.bytes(), total ? "sum" : k.bound(dev), pred * 1e6,
                    got == null ? "-" : String.format(Locale.ROOT, "%.1f us", got * 1e6),
                    got == null ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * pred / got)));
        }
        Cost alone = setup(c, 1), shared = setup(c, familyRuns);
        out.add(String.format(Locale.ROOT, "  set-up per run: alone %.3f GFLOP and %.2f MB over the bus; in a family of %d runs %.5f GFLOP"
                + " and %.4f MB (%.0fx less)", alone.flops() / 1e9, alone.bytes() / 1e6, familyRuns, shared.flops() / 1e9,
                shared.bytes() / 1e6, alone.flops() / shared.flops()));
        out.add(String.format(Locale.ROOT, "  set-up per batch: %.2f MB read and written in device memory per family it holds"
                + " (its evaluation rows, copied once, read in place by every run of it)", batchCopy(c).bytes() / 1e6));
        return out;
    }
}
