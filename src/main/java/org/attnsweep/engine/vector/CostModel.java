package org.attnsweep.engine.vector;

import java.util.List;
import java.util.Locale;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.Formulation;
import org.attnsweep.model.RunConfig;

/**
 * The arithmetic and memory of the two formulations for a batch's shape, in the counts the vector
 * engine actually does (multiply-adds, float words), and the choice between them.
 *
 * <p>Per run and step, with P the run's distinct training tokens:
 * <pre>
 *   span    2·m_k·P² (Q, K −= ηGα, ηGβ) + P² (h = Gγ) + 3·N·M²·m_k (scores, gathers) + O(m_v·P)
 *           set-up once: P²·d (G = TᵀT) + P·d·(2m_k + m_v) (projections)
 *           memory: P² + 6·P·m_k + O(m_v·P) words
 *   direct  4·m_k·d·P (Q, K = T W_Qᵀ, T W_Kᵀ and ∇W_Q, ∇W_K = αᵀT, βᵀT) + 3·N·M²·m_k + 2·d·P + 3·m_v·d
 *           or, with bilinear scores through A = W_QᵀW_K (d×d), d²·P (K' = T Aᵀ) + N·M·d·M_p (scores by
 *           columns of M_p ≥ M lanes) + N·M²·d (E_n = D_n X_n) + N·M·d² (Γ = Σ_n X_nᵀE_n, over every
 *           token occurrence) + 3·d²·m_k (A, ∇W_Q = W_K Γᵀ, ∇W_K = W_Q Γ) + 2·d·P + 3·m_v·d: whichever is smaller
 *           no set-up; memory: the tokens, once per data set ({@link #tokenWords}: 2·P·d, bilinear
 *           P·(d + d_p) + N·M·d) and 4·P·m_k + 2·m_k·d + m_v·d words a run (bilinear: P·d_p + 3·d² + 4·m_k·d + m_v·d)
 * </pre>
 * docs/math.md §7 writes the direct count as 3·m·d·N·M + 2·m_k·d·N·M + 2·N·M²·m_k over every token
 * occurrence; this engine projects each of the P distinct tokens once and needs only u = (W_Vᵀw_O)·t
 * of the values, hence 4·m_k·d·P. The span set-up is spread over the run's step budget T. With H
 * heads (docs/math.md §7) every per-head term above is H times over; the tokens, G = TᵀT and the
 * evaluation tokens' Gram E×P are shared by the heads and counted once.
 * The choice is the form with fewer multiply-adds over the batch; the span form is ruled out where
 * its P×P Gram matrix exceeds a Java array (P > 46340).
 *
 * <p>The per-run memory of each form ({@link #stateWords}, {@link #testWords}) is also what the
 * sweep sizes its plan check and batches by, in the form {@link #formOf} says a run trains in.
 */
public final class CostModel {
    /** The largest P whose P×P Gram matrix fits one Java array. */
    static final int SPAN_MAX_P = 46340;

    private CostModel() {
    }

    /** The two forms' costs for one batch, summed over its runs, and the cheaper form. */
    record Estimate(double spanFma, double directFma, double spanWords, double directWords, int maxP, Formulation cheaper) {
        /** One line for the log: the chosen form and both counts. */
        String describe(RunConfig shape, int R) {
            return String.format(Locale.ROOT, "d=%d M=%d m_k=%d m_v=%d P<=%d R=%d: span %.3g, direct %.3g%s multiply-adds per step"
                    + " (memory span %.0f, direct %.0f MiB)", shape.d(), shape.M(), shape.mk(), shape.mv(), maxP, R,
                    spanFma, directFma, bilinear(shape.N(), shape.M(), shape.d(), shape.mk(), maxP) ? " (bilinear scores)" : "",
                    spanWords * 4 / (1 << 20), directWords * 4 / (1 << 20));
        }
    }

    /** Multiply-adds of one span step of a run, plus its set-up spread over {@code steps}. */
    static double spanFma(int N, int M, int d, int mk, int mv, int P, boolean trainWo, int steps, int heads) {
        double p = P;
        double step = heads * (2.0 * mk * p * p + p * p + 3.0 * N * M * M * mk + (trainWo ? 3.0 * mv * p : 2.0 * p));
        double setup = p * p * d + heads * p * d * (2.0 * mk + (trainWo ? mv : 1));
        return step + setup / Math.max(1, steps);
    }

    /** Multiply-adds of one direct step of a run of H heads, each in the cheaper of its two orders ({@link #bilinear}). */
    static double directFma(int N, int M, int d, int mk, int mv, int P, int heads) {
        return heads * (Math.min(projectedFma(N, M, d, mk, P), bilinearFma(N, M, d, mk, P)) + 2.0 * d * P + 3.0 * mv * d);
    }

    /** The direct step's scores and query/key gradients through Q, K = T W_Qᵀ, T W_Kᵀ (width m_k), per head. */
    private static double projectedFma(int N, int M, int d, int mk, int P) {
        return 4.0 * mk * d * P + 3.0 * N * M * M * mk;
    }

    /**
     * The same through A = W_QᵀW_K at the padded width d_p (d + 1 rounded up to 16 lanes, the widest
     * float32 vector: one column past d carries r = Tᵀγ through Γ's GEMM, DirectRunF32.rowWidth): K' = T Aᵀ over the distinct tokens, the scores by columns of M_p lanes (M
     * padded likewise), E_n = D_n X_n and Γ += X_nᵀE_n over the samples' N·M token occurrences, and
     * the d×d×m_k products, per head.
     */
    private static double bilinearFma(int N, int M, int d, int mk, int P) {
        double dp = padded(d + 1), mp = padded(M);
        return 1.0 * d * dp * P + 1.0 * N * M * d * mp + 1.0 * N * M * M * dp + 1.0 * N * M * d * dp + 3.0 * d * d * mk;
    }

    /** n rounded up to 16, the most lanes a vector of the engine holds: the bilinear rows' width (at most). */
    private static int padded(int d) {
        return (d + 15) / 16 * 16;
    }

    /** Whether a direct run of this shape scores through A = W_QᵀW_K: the order with fewer multiply-adds (a tie keeps the projections). */
    static boolean bilinear(int N, int M, int d, int mk, int P) {
        return bilinearFma(N, M, d, mk, P) < projectedFma(N, M, d, mk, P);
    }

    /**
     * FLOPs (two per multiply-add) of one direct-form GD step of a run: docs/math.md §7's direct
     * count as this engine does it (each distinct token projected once).
     */
    public static double directStepFlops(int N, int M, int d, int mk, int mv, int P, int heads) {
        return 2 * directFma(N, M, d, mk, mv, P, heads);
    }

    /** Words a run holds in the span form. */
    static double spanWords(int mk, int mv, int P, boolean trainWo, int heads) {
        double p = P;
        return p * p + heads * (6.0 * p * mk + (trainWo ? 3.0 * p * mv : 3.0 * p));
    }

    /**
     * Float words of the float32 copies of a run's training tokens in {@code form}: T and Tᵀ (P×d
     * each: the span form's, and the direct form's projected order, whose gradient GEMMs read Tᵀ),
     * or in the direct form's bilinear order T, the padded rows T_p (P×d_p) and each chunk's
     * transposed tokens X_cᵀ (N·M·d; DirectRunF32.Tokens). The direct form's runs of a batch that
     * train on one data set (data read once from files) hold them once for the batch, as they hold
     * the evaluation tokens and the float64 data: {@link #stateWords} leaves them out, and
     * Plan.Footprint counts them with the data, once per batch where the runs share it.
     */
    public static double tokenWords(Formulation form, int N, int M, int d, int mk, int P) {
        boolean bi = form == Formulation.DIRECT && bilinear(N, M, d, mk, P);
        return bi ? (double) P * d + (double) P * padded(d + 1) + (double) N * M * d : 2.0 * P * d;
    }

    /**
     * Words a run of H heads holds in the direct form beyond its tokens ({@link #tokenWords}), in
     * the order it runs: per head its weights and Q, K, α, β (P×m_k each), or with bilinear scores
     * per head K' (P×d), A, Γ, Γᵀ (d×d),
     * W_Q and ∇W_Qᵀ (m_k×d), whose rows its evaluation reads as they are, the gradient's parts Γ_g
     * (DirectRunF32.GRADIENT_GROUPS of d×d_p), u's N·M values by occurrence, and one thread's D and E scratch
     * (M×M_p and DirectRunF32.SAMPLE_CHUNK·M×d_p; a run stepped on more threads holds one set each).
     */
    static double directWords(int N, int M, int d, int mk, int mv, int P, int heads) {
        boolean bi = bilinear(N, M, d, mk, P);
        double dp = padded(d + 1);
        double gradient = DirectRunF32.GRADIENT_GROUPS * d * dp + (double) N * M + M * padded(M) + DirectRunF32.SAMPLE_CHUNK * M * dp;
        double head = 2.0 * mk * d + mv * d
                + (bi ? 1.0 * P * dp + 2.0 * d * dp + d * d + mk * dp + d * mk + gradient : 4.0 * P * mk);
        return heads * head;
    }

    /**
     * The form a run of this shape trains in when {@code requested} is asked for: a forced form as
     * it is, auto as the cost model chooses for the run alone (direct wherever span's Gram cannot
     * exist). A batch under auto is chosen on its summed counts, which the large runs dominate.
     */
    public static Formulation formOf(Formulation requested, int N, int M, int d, int mk, int mv, int P, boolean trainWo, int steps,
                                     int heads) {
        return requested == Formulation.AUTO ? estimate(N, M, d, mk, mv, P, trainWo, steps, heads).cheaper() : requested;
    }

    /** Float words of a run's training state in {@code form} (span or direct). */
    public static double stateWords(Formulation form, int N, int M, int d, int mk, int mv, int P, boolean trainWo, int heads) {
        return switch (form) {
            case SPAN -> spanWords(mk, mv, P, trainWo, heads);
            case DIRECT -> directWords(N, M, d, mk, mv, P, heads);
            case AUTO -> throw new IllegalArgumentException("stateWords needs a form: resolve auto with formOf");
        };
    }

    /**
     * Whether a family's span runs share its test scores at the initial weights (2·M² per test
     * sample: M×M for either signal) for their step-0 evaluation: where those take no more memory
     * than the test tokens' projections they come from (2·(M − 1)·m_k per test sample), so
     * sharing at most doubles what the evaluation holds.
     */
    static boolean sharesTestScores(int M, int mk) {
        return (double) M * M <= (double) (M - 1) * mk;
    }

    /**
     * Float words a run's evaluation on its E tokens (test tokens, probes) of M-token samples holds
     * in {@code form}, beyond the E×d tokens themselves: span keeps their E×P products with the
     * training tokens, E×m projections of the initial weights and, where shared
     * ({@link #sharesTestScores}), the family's test scores at the initial weights (at most
     * 2·M²·E/(M − 1), as E counts M − 1 tokens per test sample and a few more); direct projects
     * them through the current weights at each evaluation (E×m_k twice and E values; with
     * bilinear scores ({@link #bilinear}) the tokens padded to d_p and their keys, E×d_p twice,
     * and E values); the projections and scores once per head.
     */
    public static double testWords(Formulation form, int N, int M, int d, int mk, int mv, int P, double E, boolean trainWo, int heads) {
        double scores = sharesTestScores(M, mk) ? 2.0 * M * M * E / (M - 1) : 0;
        return switch (form) {
            case SPAN -> E * P + heads * (2 * E * mk + (trainWo ? E * mv : 0) + E + scores);
            case DIRECT -> heads * (2 * E * (bilinear(N, M, d, mk, P) ? padded(d + 1) : mk) + E);
            case AUTO -> throw new IllegalArgumentException("testWords needs a form: resolve auto with formOf");
        };
    }

    /**
     * Both forms' costs for a batch of runs (one shape), and the cheaper form; the direct form's
     * memory with each set of training token arrays ({@link #tokenWords}) once for
     * the runs that train on it (the same training and test sets and μ's, as DirectRunF32.open shares them).
     */
    static Estimate estimate(List<RunData> runs) {
        Estimate sum = null;
        java.util.Set<List<Object>> tokenSets = new java.util.HashSet<>();   // DirectRunF32.open's keys, less the scoring order
        for (RunData r : runs) {
            RunConfig c = r.config();
            int N = r.train().N(), M = r.train().M(), P = r.train().P();
            Estimate e = estimate(N, M, c.d(), c.mk(), c.mv(), P, c.trainWo(), c.steps(), c.heads());
            if (tokenSets.add(DirectRunF32.Tokens.dataKey(r))) {
                e = of(e.spanFma(), e.directFma(), e.spanWords(), e.directWords() + tokenWords(Formulation.DIRECT, N, M, c.d(), c.mk(), P), e.maxP());
            }
            sum = sum == null ? e : add(sum, e);
        }
        return sum;
    }

    /** Both forms' costs for one run of this shape (P its distinct training tokens, T = steps), and the cheaper form. */
    static Estimate estimate(int N, int M, int d, int mk, int mv, int P, boolean trainWo, int steps, int heads) {
        return of(spanFma(N, M, d, mk, mv, P, trainWo, steps, heads), directFma(N, M, d, mk, mv, P, heads),
                spanWords(mk, mv, P, trainWo, heads), directWords(N, M, d, mk, mv, P, heads), P);
    }

    private static Estimate add(Estimate a, Estimate b) {
        return of(a.spanFma() + b.spanFma(), a.directFma() + b.directFma(), a.spanWords() + b.spanWords(),
                a.directWords() + b.directWords(), Math.max(a.maxP(), b.maxP()));
    }

    private static Estimate of(double sf, double df, double sw, double dw, int maxP) {
        Formulation cheaper = maxP > SPAN_MAX_P || df < sf ? Formulation.DIRECT : Formulation.SPAN;
        return new Estimate(sf, df, sw, dw, maxP, cheaper);
    }
}
