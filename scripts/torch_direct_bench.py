#!/usr/bin/python3
"""PyTorch baseline for scripts/direct-bench: direct GD one run at a time on data read from NPY.

Reads train_x.npy [N,M,d], train_y.npy [N], test_x.npy, test_y.npy from --data (as attnsweep's
--data-from does), then trains --runs runs one after another, each as the papers' code trains:
the model of scripts/torch_cpu_bench.py (d-wide W_Q, W_K, W_V, softmax attention of docs/math.md §2,
torch init U(+-1/sqrt d)/16 with its own seed per run, w_O fixed), logistic loss, autograd,
torch.optim.SGD(lr), float32, --steps steps, then the test loss. Each run is timed from the
model's creation to its test loss (the data, read once, and the interpreter start are not
counted: that is generous to PyTorch). Prints one JSON line per run on stdout.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_cpu_bench import Attention  # noqa: E402  (the same model as the step benchmark)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="directory of train_x.npy, train_y.npy, test_x.npy, test_y.npy")
    ap.add_argument("--mk", type=int, default=64)
    ap.add_argument("--mv", type=int, default=64)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--runs", type=int, default=3, help="runs, one at a time")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    load = lambda name: torch.from_numpy(np.load(os.path.join(a.data, name)).astype(np.float32))
    X, y, Xt, yt = load("train_x.npy"), load("train_y.npy"), load("test_x.npy"), load("test_y.npy")
    N, M, d = X.shape
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} N={N} M={M} d={d} "
          f"m_k={a.mk} m_v={a.mv} steps={a.steps}", file=sys.stderr)
    for run in range(a.runs):
        t0 = time.perf_counter()
        torch.manual_seed(run)
        model = Attention(d, a.mk, a.mv, False)
        opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=a.lr)
        for _ in range(a.steps):
            opt.zero_grad(set_to_none=True)
            loss = F.softplus(-y * model(X)).mean()
            loss.backward()
            opt.step()
        with torch.no_grad():
            test_loss = F.softplus(-yt * model(Xt)).mean().item()
        secs = time.perf_counter() - t0
        if not np.isfinite(loss.item()):
            sys.exit(f"torch_direct_bench: run {run} diverged (loss {loss.item()}): timings would be wrong")
        print(f"run {run}: {secs:.2f} s, train loss {loss.item():.4g}, test loss {test_loss:.4g}", file=sys.stderr)
        print(json.dumps({"run": run, "seconds": secs, "steps": a.steps, "train_loss": loss.item(), "test_loss": test_loss}))


if __name__ == "__main__":
    main()
