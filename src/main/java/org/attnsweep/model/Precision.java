package org.attnsweep.model;

/** Arithmetic precision of a fast engine; the reference engine is always float64. */
public enum Precision {
    FLOAT32, FLOAT64
}
