package org.attnsweep.model;

/**
 * The model's weights in float64, row-major (q = W_Q x): W_Q, W_K are m_k×d, W_V is m_v×d,
 * w_O has m_v entries.
 */
public record Weights(int d, int mk, int mv, double[] WQ, double[] WK, double[] WV, double[] wO) {

    public Weights {
        if (WQ.length != mk * d || WK.length != mk * d || WV.length != mv * d || wO.length != mv) {
            throw new IllegalArgumentException("weight shapes disagree with d=" + d + ", m_k=" + mk + ", m_v=" + mv);
        }
    }

    public Weights copy() {
        return new Weights(d, mk, mv, WQ.clone(), WK.clone(), WV.clone(), wO.clone());
    }
}
