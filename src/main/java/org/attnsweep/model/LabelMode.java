package org.attnsweep.model;

/** How the true labels ỹ are drawn (docs/math.md §1). */
public enum LabelMode {
    /** Exactly N/2 of each label (paper A's experiments); for odd N the counts differ by one. */
    BALANCED,
    /** I.i.d. Rademacher labels (paper B's theory). */
    RADEMACHER
}
