package org.attnsweep.model;

/**
 * The model's weights in float64, row-major (q = W_Q x), head after head (docs/math.md §7): W_Q, W_K
 * are H×m_k×d, W_V is H×m_v×d, w_O is H×m_v; head h's W_Q is WQ[h·m_k·d, (h+1)·m_k·d). One head
 * (H = 1) is docs/math.md §2's model.
 */
public record Weights(int d, int mk, int mv, int heads, double[] WQ, double[] WK, double[] WV, double[] wO) {

    public Weights {
        if (heads < 1 || WQ.length != heads * mk * d || WK.length != heads * mk * d || WV.length != heads * mv * d
                || wO.length != heads * mv) {
            throw new IllegalArgumentException("weight shapes disagree with H=" + heads + ", d=" + d + ", m_k=" + mk + ", m_v=" + mv);
        }
    }

    /** One head's weights. */
    public Weights(int d, int mk, int mv, double[] WQ, double[] WK, double[] WV, double[] wO) {
        this(d, mk, mv, 1, WQ, WK, WV, wO);
    }

    /** Head h's weights, copied out (this object itself when it has one head and h = 0). */
    public Weights head(int h) {
        if (h < 0 || h >= heads) throw new IndexOutOfBoundsException("head " + h + " of " + heads);
        if (heads == 1) return this;
        int qk = mk * d, v = mv * d;
        return new Weights(d, mk, mv, java.util.Arrays.copyOfRange(WQ, h * qk, (h + 1) * qk),
                java.util.Arrays.copyOfRange(WK, h * qk, (h + 1) * qk), java.util.Arrays.copyOfRange(WV, h * v, (h + 1) * v),
                java.util.Arrays.copyOfRange(wO, h * mv, (h + 1) * mv));
    }

    /** The heads stacked in order into one H-head set of weights (the head itself when there is one). */
    public static Weights stack(java.util.List<Weights> heads) {
        if (heads.size() == 1) return heads.get(0);
        Weights w0 = heads.get(0);
        int d = w0.d, mk = w0.mk, mv = w0.mv, H = heads.size(), qk = mk * d, v = mv * d;
        double[] WQ = new double[H * qk], WK = new double[H * qk], WV = new double[H * v], wO = new double[H * mv];
        for (int h = 0; h < H; h++) {
            Weights w = heads.get(h);
            if (w.heads != 1 || w.d != d || w.mk != mk || w.mv != mv) throw new IllegalArgumentException("heads of unequal shapes");
            System.arraycopy(w.WQ, 0, WQ, h * qk, qk);
            System.arraycopy(w.WK, 0, WK, h * qk, qk);
            System.arraycopy(w.WV, 0, WV, h * v, v);
            System.arraycopy(w.wO, 0, wO, h * mv, mv);
        }
        return new Weights(d, mk, mv, H, WQ, WK, WV, wO);
    }

    public Weights copy() {
        return new Weights(d, mk, mv, heads, WQ.clone(), WK.clone(), WV.clone(), wO.clone());
    }
}
