#!/usr/bin/python3
"""Runs cells of the jiang-heatmap experiment (docs/math.md §6, paper A Fig. 1) one run at a time the
way the paper's PyTorch code does: eager mode, the d-wide weights W_Q, W_K (m_k x d) and W_V
(m_v x d) as tensors with requires_grad, w_O fixed, autograd backward, plain SGD with step eta,
and the test loss computed at every step.

It is the baseline that scripts/heatmap-bench compares our engine against. The data are drawn in
PyTorch from the same distribution as ours (docs/math.md §1: signal token ||mu||*e1 or ||mu||*e2, noise
tokens N(0, sigma_l^2 I), exactly balanced labels, a fresh test set), but NOT from the same
random numbers: the workload is what this measures, not the individual runs.

A run at step t (after t updates) computes the training loss and the test loss at W(t); it stops
at the first t whose training loss is below the target (0.01), at a non-finite loss, or at t = T,
without updating, as our engine does, so stop steps count the same thing.

Debian's torch does its matrix products in the system libblas.so.3: netlib's reference BLAS
(about 4 GFLOP/s on 2 cores here) unless OpenBLAS is on LD_LIBRARY_PATH (about 70 GFLOP/s);
the line 'blas:' says which one this process loaded.

Run it with Debian's interpreter, which has PyTorch:
    /usr/bin/python3 scripts/torch_heatmap.py --N 2:20:6 --mu 1:100:11 --repeats 1
Prints one line per run and a final line 'TOTAL key=value ...' for scripts to read.
"""
import argparse
import math
import sys
import time

import torch
import torch.nn.functional as F


def values(spec, kind=int):
    """'2:20:6' (inclusive range), '1,20,40' (list) or '7' -> list, as the sweep's --N/--mu read them."""
    from decimal import Decimal
    out = []
    for part in spec.split(","):
        part = part.strip()
        if ":" in part:
            f = [Decimal(x) for x in part.split(":")]
            if len(f) not in (2, 3):
                raise SystemExit("bad range '%s': use a:b or a:b:step" % part)
            step = f[2] if len(f) == 3 else Decimal(1)
            if step <= 0:
                raise SystemExit("bad range '%s': step must be > 0" % part)
            v = f[0]
            while v <= f[1]:
                out.append(kind(v))
                v += step
        else:
            out.append(kind(Decimal(part)))
    return out


def sample(gen, n, mu, sigma, d):
    """n samples of M = 1 + len(sigma) tokens: (X of shape n x M x d, labels y in {+1, -1})."""
    # Exactly balanced labels in random order (n even in this grid; n // 2 of each otherwise).
    y = torch.ones(n)
    y[n // 2:] = -1
    y = y[torch.randperm(n, generator=gen)]
    M = 1 + len(sigma)
    X = torch.empty(n, M, d)
    X[:, 1:, :] = torch.randn(n, M - 1, d, generator=gen) * torch.tensor(sigma).view(1, M - 1, 1)
    X[:, 0, :] = 0
    X[y > 0, 0, 0] = mu   # mu_+ = ||mu|| e1
    X[y < 0, 0, 1] = mu   # mu_- = ||mu|| e2
    return X, y


def forward(X, WQ, WK, WV, wO):
    """f(X) = (1/M) sum_l sum_a softmax_a(q_l . k_a) u_a with u_a = w_O . (W_V x_a); no 1/sqrt(m_k)."""
    M = X.shape[1]
    q = X @ WQ.t()                                  # n x M x m_k
    k = X @ WK.t()                                  # n x M x m_k
    u = (X @ WV.t()) @ wO                           # n x M
    s = torch.softmax(q @ k.transpose(1, 2), dim=-1)  # n x M x M, softmax over keys a
    return (s @ u.unsqueeze(-1)).squeeze(-1).sum(dim=1) / M


def loss_fn(f, y):
    return F.softplus(-y * f).mean()


def one_run(args, N, mu, rep):
    d, mk, mv = args.d, args.mk, args.mv
    sigma = [args.sigma_first] + [args.sigma_rest] * (args.M - 2)
    gen = torch.Generator().manual_seed(args.seed * 1_000_003 + rep * 10_007 + N * 101 + round(mu * 1000))
    X, y = sample(gen, N, mu, sigma, d)
    Xt, yt = sample(gen, args.test_n, mu, sigma, d)

    # "torch" init of paper A: every matrix U(+-1/sqrt(d)) / 16, w_O ~ U(+-1/sqrt(m_v)) undivided.
    b = 1 / math.sqrt(d) / args.init_divisor
    WQ = ((torch.rand(mk, d, generator=gen) * 2 - 1) * b).requires_grad_()
    WK = ((torch.rand(mk, d, generator=gen) * 2 - 1) * b).requires_grad_()
    WV = ((torch.rand(mv, d, generator=gen) * 2 - 1) * b).requires_grad_()
    wO = (torch.rand(mv, generator=gen) * 2 - 1) / math.sqrt(mv)   # fixed (paper A)
    opt = torch.optim.SGD([WQ, WK, WV], lr=args.lr)

    t = 0
    while True:
        loss = loss_fn(forward(X, WQ, WK, WV, wO), y)
        with torch.no_grad():                      # the test loss, logged every step
            test_loss = loss_fn(forward(Xt, WQ, WK, WV, wO), yt).item()
        train_loss = loss.item()
        diverged = not math.isfinite(train_loss)
        if diverged or train_loss < args.target or t == args.steps:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
        t += 1
    reached = (not diverged) and train_loss < args.target
    return t, reached, diverged, train_loss, test_loss


def blas_library():
    """The BLAS shared library this process loaded (Debian's torch calls the system libblas.so.3,
    which is netlib's reference BLAS unless OpenBLAS is selected or put on LD_LIBRARY_PATH)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.rsplit("/", 1)[-1]}
    except OSError:
        return "unknown"
    real = sorted(l for l in libs if "openblas" in l or "mkl" in l) or sorted(libs)
    return ", ".join(real) if real else "none found"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--N", default="2:20:6", help="sample sizes: range a:b:step or list (default %(default)s)")
    p.add_argument("--mu", default="1:100:11", help="signal norms (default %(default)s)")
    p.add_argument("--repeats", type=int, default=1, help="repeats per cell (default %(default)s)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default %(default)s)")
    p.add_argument("--d", type=int, default=1024)
    p.add_argument("--M", type=int, default=16)
    p.add_argument("--mk", type=int, default=512)
    p.add_argument("--mv", type=int, default=512)
    p.add_argument("--sigma-first", type=float, default=4.0, help="sigma of token 2")
    p.add_argument("--sigma-rest", type=float, default=0.2, help="sigma of tokens 3..M")
    p.add_argument("--init-divisor", type=float, default=16)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--steps", type=int, default=1000, help="T")
    p.add_argument("--target", type=float, default=0.01, help="stop at train loss below this")
    p.add_argument("--test-n", type=int, default=100)
    p.add_argument("--quiet", action="store_true", help="no per-run lines")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_default_dtype(torch.float32)
    cells = [(N, mu, r) for N in values(args.N) for mu in values(args.mu, float) for r in range(args.repeats)]
    print("torch %s, %d threads, float32, %d runs: N %s x |mu| %s x %d repeats"
          % (torch.__version__, torch.get_num_threads(), len(cells), args.N, args.mu, args.repeats), flush=True)
    print("blas: %s" % blas_library(), flush=True)
    if not args.quiet:
        print("%4s %4s %3s %6s %7s %8s %11s %10s %8s" % ("N", "mu", "rep", "steps", "reached", "diverged",
                                                         "train_loss", "test_loss", "wall_s"), flush=True)
    t_all = time.perf_counter()
    steps = []
    for N, mu, rep in cells:
        t0 = time.perf_counter()
        t, reached, diverged, tr, te = one_run(args, N, mu, rep)
        wall = time.perf_counter() - t0
        steps.append(t)
        if not args.quiet:
            print("%4d %4g %3d %6d %7s %8s %11.4g %10.4g %8.3f" % (N, mu, rep, t, reached, diverged, tr, te, wall),
                  flush=True)
    wall = time.perf_counter() - t_all
    n = len(cells)
    print("TOTAL runs=%d wall_s=%.3f runs_per_s=%.4f mean_stop_step=%.3f"
          % (n, wall, n / wall if wall > 0 else float("nan"), sum(steps) / max(n, 1)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
