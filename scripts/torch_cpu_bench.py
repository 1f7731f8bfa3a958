#!/usr/bin/python3
"""PyTorch CPU baseline for VectorStepBench: direct GD steps, one run at a time.

The way the papers' code trains: W_Q, W_K (m_k x d) and W_V (m_v x d) as d-wide parameters,
softmax attention as docs/math.md §2 (no 1/sqrt(m_k) scaling), f = mean over queries of sum_a S_la u_a,
logistic loss softplus(-y f) averaged over the N samples, autograd backward, torch.optim.SGD.
float32, torch.set_num_threads(2) (the thread count of the Java side).

Shapes (the same as benchmarks/.../VectorStepBench.java, norm(mu) = 30):
  zhang  paper B: N=100, M=2,  d=512,  m_k=m_v=512, sigma=(4,),       learnable w_O, lr 0.1
  jiang  paper A: N=20,  M=16, d=1024, m_k=m_v=512, sigma=(4, 0.2x14), fixed w_O,     lr 0.1
Both use the torch init of A's code (U(+-1/sqrt(d))/16, w_O ~ U(+-1/sqrt(m_v))).

For each shape: warm-up steps, then `--repeats` timed blocks of `--steps` steps; prints the median
steps/s (= run-steps/s, one run at a time) as one JSON line per shape on stdout, details on stderr.
Also times one 512x512x512 float32 matmul as the ceiling of the BLAS this torch runs on, and
names the BLAS library the process loaded (Debian's torch uses the system libblas.so.3).

Run with Debian's /usr/bin/python3 (python3-torch), not a pyenv python.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

SHAPES = {
    "zhang": dict(N=100, M=2, d=512, mk=512, mv=512, sigma=[4.0], train_wo=True, lr=0.1),
    "jiang": dict(N=20, M=16, d=1024, mk=512, mv=512, sigma=[4.0] + [0.2] * 14, train_wo=False, lr=0.1),
}
MU = 30.0
INIT_DIVISOR = 16.0


def data(s, rng):
    """X (N x M x d) and observed labels y (N): token 1 the signal of the label, the rest noise."""
    N, M, d = s["N"], s["M"], s["d"]
    y = np.array([1.0 if n % 2 == 0 else -1.0 for n in range(N)], dtype=np.float32)
    X = np.empty((N, M, d), dtype=np.float32)
    for n in range(N):
        X[n, 0] = 0
        X[n, 0, 0 if y[n] > 0 else 1] = MU
        for l in range(1, M):
            X[n, l] = s["sigma"][l - 1] * rng.standard_normal(d)
    return torch.from_numpy(X), torch.from_numpy(y)


class Attention(torch.nn.Module):
    """The two-layer softmax transformer of docs/math.md §2."""

    def __init__(self, d, mk, mv, train_wo):
        super().__init__()
        b = 1.0 / d ** 0.5 / INIT_DIVISOR
        self.WQ = torch.nn.Parameter(torch.empty(mk, d).uniform_(-b, b))
        self.WK = torch.nn.Parameter(torch.empty(mk, d).uniform_(-b, b))
        self.WV = torch.nn.Parameter(torch.empty(mv, d).uniform_(-b, b))
        bo = 1.0 / mv ** 0.5
        self.wO = torch.nn.Parameter(torch.empty(mv).uniform_(-bo, bo), requires_grad=train_wo)

    def forward(self, X):
        q = X @ self.WQ.T                      # N x M x m_k
        k = X @ self.WK.T                      # N x M x m_k
        u = (X @ self.WV.T) @ self.wO          # N x M
        S = torch.softmax(q @ k.transpose(1, 2), dim=-1)   # N x M(queries) x M(keys)
        return (S @ u.unsqueeze(-1)).squeeze(-1).mean(dim=-1)


def bench(name, s, steps, repeats, warmup):
    torch.manual_seed(1)
    X, y = data(s, np.random.default_rng(1))
    model = Attention(s["d"], s["mk"], s["mv"], s["train_wo"])
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=s["lr"])

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.softplus(-y * model(X)).mean()
        loss.backward()
        opt.step()
        return loss

    for _ in range(warmup):
        step()
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            loss = step()
        rates.append(steps / (time.perf_counter() - t0))
        if not torch.isfinite(loss):
            sys.exit(f"torch_cpu_bench: shape {name} diverged (loss {loss.item()}): timings would be wrong")
    med = statistics.median(rates)
    print(f"{name}: {med:.2f} steps/s median of {repeats} x {steps} steps "
          f"(min {min(rates):.2f}, max {max(rates):.2f}); final loss {loss.item():.4g}", file=sys.stderr)
    return {"shape": name, "run_steps_per_s": med, "min": min(rates), "max": max(rates),
            "repeats": repeats, "steps": steps, "final_loss": loss.item()}


def blas_libraries():
    """The BLAS/LAPACK shared libraries this process has mapped (Debian's torch calls the system
    libblas.so.3, whichever implementation update-alternatives points it at)."""
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            name = path.rsplit("/", 1)[-1].lower()
            if path.startswith("/") and any(k in name for k in ("blas", "lapack", "mkl")):
                libs.add(path)
    return sorted(libs)


def matmul_ceiling(n=512, seconds=1.0):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        calls += 1
    return 2 * n ** 3 * calls / (time.perf_counter() - t0) / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", default="zhang,jiang", help="comma-separated: zhang, jiang")
    ap.add_argument("--steps", type=int, default=5, help="steps per timed block")
    ap.add_argument("--repeats", type=int, default=5, help="timed blocks; the median is reported")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    blas = [l.strip() for l in torch.__config__.show().splitlines() if "BLAS_INFO" in l]
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} "
          f"{blas[0].split(',')[0] if blas else ''}", file=sys.stderr)
    for name in a.shapes.split(","):
        if name not in SHAPES:
            sys.exit(f"torch_cpu_bench: --shapes entries must be one of {sorted(SHAPES)}: got '{name}'")
        print(json.dumps(bench(name, SHAPES[name], a.steps, a.repeats, a.warmup)))
    gf = matmul_ceiling()
    blas = blas_libraries()
    print(f"torch 512^3 float32 matmul: {gf:.1f} GFLOP/s; BLAS loaded: {', '.join(blas) or 'none found'}",
          file=sys.stderr)
    print(json.dumps({"shape": "matmul512", "gflops": gf, "blas": blas}))


if __name__ == "__main__":
    main()
