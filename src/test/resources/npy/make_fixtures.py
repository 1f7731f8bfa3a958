#!/usr/bin/env python3
"""Writes the .npy fixtures of NpyTest and NpyDataTest with numpy itself.

Run from anywhere: python3 src/test/resources/npy/make_fixtures.py
Every value is a simple formula that the Java tests recompute exactly (all of them are exact in
float32, or one correctly rounded float64 operation, which Java repeats bit for bit).
"""
from pathlib import Path

import numpy as np
from numpy.lib import format as npf

HERE = Path(__file__).resolve().parent


def save(name, array, version=None):
    """np.save, or write_array with an explicit header version (numpy picks 1.0 by itself)."""
    path = HERE / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if version is None:
        np.save(path, array)
    else:
        with open(path, "wb") as f:
            npf.write_array(f, array, version=version)


# Arrays of every accepted dtype: value k/8 at flat index k of float32 [2, 3, 4].
save("f4_2x3x4.npy", np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 8)
# float64 vector: (k - 2) / 3, a rounded float64 division at every entry.
save("f8_vec5.npy", (np.arange(5, dtype=np.float64) - 2) / 3)
# Labels as numpy integers: int64, int32 and int8 ('|i1').
labels = np.array([1, -1, -1, 1, 1, -1])
save("i8_labels6.npy", labels.astype(np.int64))
save("i4_labels6.npy", labels.astype(np.int32))
save("i1_labels6.npy", labels.astype(np.int8))
# Big-endian floats [2, 3]: k/4 as '>f8' and '>f4'.
save("f8_big_2x3.npy", (np.arange(6).reshape(2, 3) / 4).astype(">f8"))
save("f4_big_2x3.npy", (np.arange(6).reshape(2, 3) / 4).astype(">f4"))
# The same float64 [2, 3] of k/4 with header versions 2.0 and 3.0; a 0-d scalar 2.5.
save("f8_v2_2x3.npy", np.arange(6).reshape(2, 3) / 4, version=(2, 0))
save("f8_v3_2x3.npy", np.arange(6).reshape(2, 3) / 4, version=(3, 0))
save("f8_scalar.npy", np.float64(2.5))
# Files the reader must refuse: Fortran order, float16, a structured dtype.
save("f8_fortran_2x3.npy", np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)))
save("f2_vec3.npy", np.arange(3, dtype=np.float16))
save("structured.npy", np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]))

# A data directory as a user would export it: float32 tokens, int64 labels.
# N = 4 samples, N_test = 2, M = 3 tokens, d = 5. Token 0 is the signal of the label
# (mu_+ = 3 e_1, mu_- = 3 e_2); tokens 1, 2 are noise (k - 20) / 8 over the noise entries.
d, M = 5, 3
mu = np.zeros((2, d), dtype=np.float32)
mu[0, 0] = 3
mu[1, 1] = 3


def samples(y, offset):
    n = len(y)
    x = np.zeros((n, M, d), dtype=np.float32)
    x[:, 0, :] = np.where(np.array(y)[:, None] > 0, mu[0], mu[1])
    x[:, 1:, :] = (np.arange(n * (M - 1) * d, dtype=np.float32).reshape(n, M - 1, d) + offset - 20) / 8
    return x


train_y = [1, -1, -1, 1]
test_y = [-1, 1]
save("data/train_x.npy", samples(train_y, 0))
save("data/train_y.npy", np.array(train_y, dtype=np.int64))
save("data/test_x.npy", samples(test_y, 100))
save("data/test_y.npy", np.array(test_y, dtype=np.int64))
