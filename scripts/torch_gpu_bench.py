#!/usr/bin/env python3
"""PyTorch baselines for the GPU kit (scripts/gpu-kit, DIR/run): GD steps of the model of docs/math.md §2 at
one of the two paper shapes, done three ways a PyTorch user could do them, in FP32 (TF32 off):

  one   one run at a time, eager, autograd on the d-wide weights, test loss every step
        (what the papers' code does);
  bmm   B runs at once, the same direct GD batched over runs with bmm (autograd);
  span  B runs at once, our own span formulation (docs/math.md §4) batched over runs: the gathers as
        bmm/scatter_add and Q|K -= eta G [alpha|beta] as one baddbmm over runs -- the best a
        PyTorch user could do with the same math as our engine;

next to the measured FP32 ceiling (a large torch.mm). Prints key=value lines:
  torch_fp32_ceiling_gflops, torch_{one,bmm,span}_run_steps_per_s, torch_{bmm,span}_runs.

Shapes (docs/math.md §6 presets): A = jiang-heatmap (d=1024, M=16, m_k=m_v=512, N=20, w_O fixed),
B = zhang-dynamics (d=512, M=2, m_k=m_v=512, N=100, w_O learned, p=0.1).
The data follow docs/math.md §1 (balanced labels, signal ||mu|| e1 or e2 at token 1, noise tokens with
their sigma), drawn by torch's generator: the workload is what is measured, not our runs.

--check runs the span step and direct autograd GD side by side in float64 on a small shape and
exits non-zero unless their losses agree to 1e-9 over 20 steps: the span baseline is the same GD.

    python3 scripts/torch_gpu_bench.py --shape A [--steps 20] [--runs 256] [--device cuda]
    python3 scripts/torch_gpu_bench.py --check [--device cpu]
"""
import argparse
import sys
import time

import torch
import torch.nn.functional as F

SHAPES = {
    # d, M, m_k, m_v, N, sigma of tokens 2..M, ||mu||, p, w_O learned, init divisor
    "A": dict(d=1024, M=16, mk=512, mv=512, N=20, sigma=[4.0] + [0.2] * 14, mu=30.0, p=0.0, train_wo=False, div=16.0),
    "B": dict(d=512, M=2, mk=512, mv=512, N=100, sigma=[4.0], mu=30.0, p=0.1, train_wo=True, div=16.0),
}
TEST_N, ETA = 100, 0.1


def data(gen, B, n, s, dev, dtype):
    """x: B x n x M x d (token 1 the signal +-||mu|| e1/e2 by the clean label), labels y (flipped w.p. p)."""
    d, M = s["d"], s["M"]
    y_clean = torch.ones(B, n, device=dev, dtype=dtype)
    y_clean[:, n // 2:] = -1
    sig = torch.tensor([0.0] + s["sigma"], device=dev, dtype=dtype).view(1, 1, M, 1)
    x = torch.randn(B, n, M, d, device=dev, dtype=dtype, generator=gen) * sig
    x[:, :, 0, 0] = torch.where(y_clean > 0, s["mu"], 0.0)
    x[:, :, 0, 1] = torch.where(y_clean < 0, s["mu"], 0.0)
    flip = torch.rand(B, n, device=dev, generator=gen) < s["p"]
    y = torch.where(flip, -y_clean, y_clean)
    return x, y, y_clean


def init(gen, B, s, dev, dtype):
    """The torch init of docs/math.md §2: U(+-1/sqrt(d)) / divisor, w_O ~ U(+-1/sqrt(m_v))."""
    d, mk, mv = s["d"], s["mk"], s["mv"]
    b = 1 / d ** 0.5 / s["div"]
    u = lambda *shape: torch.rand(*shape, device=dev, dtype=dtype, generator=gen) * 2 - 1
    return u(B, mk, d) * b, u(B, mk, d) * b, u(B, mv, d) * b, u(B, mv) / mv ** 0.5


def f_direct(x, wq, wk, wv, wo):
    """f: B x n from x: B x n x M x d and the d-wide weights of B runs (docs/math.md §2), batched with bmm."""
    B, n, M, d = x.shape
    xf = x.reshape(B, n * M, d)
    q = torch.bmm(xf, wq.transpose(1, 2)).view(B * n, M, -1)
    k = torch.bmm(xf, wk.transpose(1, 2)).view(B * n, M, -1)
    u = torch.bmm(torch.bmm(xf, wv.transpose(1, 2)), wo.unsqueeze(2)).view(B * n, M, 1)
    S = torch.softmax(torch.bmm(q, k.transpose(1, 2)), dim=-1)
    return torch.bmm(S, u).view(B, n, M).mean(2)


class Direct:
    """Direct GD with autograd on the d-wide weights of B runs."""

    def __init__(self, gen, B, s, dev, dtype, test_every_step):
        self.x, self.y, _ = data(gen, B, s["N"], s, dev, dtype)
        self.xt, self.yt, _ = data(gen, B, TEST_N, s, dev, dtype)
        self.w = [t.requires_grad_() for t in init(gen, B, s, dev, dtype)]
        self.train_wo, self.test = s["train_wo"], test_every_step

    def step(self):
        """One GD step; returns the training loss of every run before it."""
        loss = F.softplus(-self.y * f_direct(self.x, *self.w)).mean(1)
        params = self.w if self.train_wo else self.w[:3]
        grads = torch.autograd.grad(loss.sum(), params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(ETA * g)
            if self.test:
                F.softplus(-self.yt * f_direct(self.xt, *self.w)).mean(1).cpu()
        return loss.detach()


class Span:
    """The span formulation of docs/math.md §4 over B runs: state per run G (P x P), [Q|K] (P x 2m_k), A_Q|K, and
    u (P) for fixed w_O or V, A_V (P x m_v) and w_O for learned w_O; the d-wide weights never appear."""

    def __init__(self, gen, B, s, dev, dtype):
        x, self.y, y_clean = data(gen, B, s["N"], s, dev, dtype)
        wq, wk, wv, wo = init(gen, B, s, dev, dtype)
        self.setup(x, y_clean, wq, wk, wv, wo, s)

    def setup(self, x, y_clean, wq, wk, wv, wo, s):
        B, N, M, d = x.shape
        mk = s["mk"]
        P = 2 + N * (M - 1)
        # T: the two signals, then every noise token (sample-major); map: each sample's token indices.
        T = torch.cat([x.new_zeros(B, 2, d), x[:, :, 1:, :].reshape(B, N * (M - 1), d)], 1)
        T[:, 0, 0] = s["mu"]
        T[:, 1, 1] = s["mu"]
        noise = 2 + torch.arange(N * (M - 1), device=x.device).view(N, M - 1)
        signal = torch.where(y_clean > 0, 0, 1).long()
        self.map = torch.cat([signal.unsqueeze(2), noise.unsqueeze(0).expand(B, -1, -1)], 2).view(B, N * M)
        self.G = torch.bmm(T, T.transpose(1, 2))
        self.QK = torch.bmm(T, torch.cat([wq, wk], 1).transpose(1, 2))
        self.AQK = torch.zeros_like(self.QK)
        self.wo, self.train_wo = wo.clone(), s["train_wo"]
        if self.train_wo:
            self.V = torch.bmm(T, wv.transpose(1, 2))
            self.AV = torch.zeros_like(self.V)
        else:
            self.u = torch.bmm(torch.bmm(T, wv.transpose(1, 2)), wo.unsqueeze(2)).squeeze(2)
            self.cV = torch.zeros(B, P, device=x.device, dtype=x.dtype)
        self.B, self.N, self.M, self.mk, self.P = B, N, M, mk, P

    def rows(self, t):
        """The rows of the sample tokens, B*N x M x width, from a B x P x width tensor."""
        w = t.shape[2]
        return torch.gather(t, 1, self.map.unsqueeze(2).expand(-1, -1, w)).view(self.B * self.N, self.M, w)

    def step(self):
        B, N, M, mk = self.B, self.N, self.M, self.mk
        u = torch.bmm(self.V, self.wo.unsqueeze(2)).squeeze(2) if self.train_wo else self.u
        qk = self.rows(self.QK)
        q, k = qk[:, :, :mk], qk[:, :, mk:]
        S = torch.softmax(torch.bmm(q, k.transpose(1, 2)), dim=-1)             # B*N x M x M
        us = torch.gather(u, 1, self.map).view(B * N, M, 1)
        ubar = torch.bmm(S, us)                                                 # B*N x M x 1
        f = ubar.view(B, N, M).mean(2)
        loss = F.softplus(-self.y * f).mean(1)
        g = (-self.y * torch.sigmoid(-self.y * f) / N).view(B * N, 1, 1)
        D = (g / M) * S * (us.transpose(1, 2) - ubar)                           # D_la
        c = S.mean(1)                                                           # c_a, B*N x M
        ab = torch.cat([torch.bmm(D, k), torch.bmm(D.transpose(1, 2), q)], 2)  # [alpha at l | beta at a]
        AB = torch.zeros_like(self.QK).scatter_add_(1, self.map.unsqueeze(2).expand(-1, -1, 2 * mk), ab.view(B, N * M, 2 * mk))
        gamma = torch.zeros(B, self.P, device=f.device, dtype=f.dtype).scatter_add_(1, self.map, (g.view(B * N, 1) * c).view(B, N * M))
        self.AQK.sub_(ETA * AB)
        self.QK = torch.baddbmm(self.QK, self.G, AB, alpha=-ETA)
        h = torch.bmm(self.G, gamma.unsqueeze(2))                               # G gamma, B x P x 1
        if self.train_wo:
            grad_wo = torch.bmm(self.V.transpose(1, 2), gamma.unsqueeze(2)).squeeze(2)
            self.V = torch.baddbmm(self.V, h, self.wo.unsqueeze(1), alpha=-ETA)
            self.AV = torch.baddbmm(self.AV, gamma.unsqueeze(2), self.wo.unsqueeze(1), alpha=-ETA)
            self.wo = self.wo - ETA * grad_wo
        else:
            self.cV.sub_(ETA * gamma)
            self.u = self.u - ETA * (self.wo * self.wo).sum(1, keepdim=True) * h.squeeze(2)
        return loss


def rate(model, B, steps, dev):
    """Run-steps per second of `model.step` over `steps` steps after 3 warm-up steps."""
    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
    for _ in range(3):
        model.step()
    sync()
    t = time.perf_counter()
    for _ in range(steps):
        model.step()
    sync()
    return B * steps / (time.perf_counter() - t)


def ceiling(gen, dev):
    n, reps = (8192, 10) if dev == "cuda" else (1024, 3)
    a = torch.randn(n, n, device=dev, generator=gen)
    b = torch.randn(n, n, device=dev, generator=gen)
    torch.mm(a, b)
    if dev == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b)
    if dev == "cuda":
        torch.cuda.synchronize()
    return reps * 2 * n ** 3 / (time.perf_counter() - t) / 1e9


def check(dev):
    """Span and direct GD, float64, small shapes of both kinds (w_O fixed and learned): same losses."""
    worst, moved = 0.0, float("inf")
    for train_wo, M in ((False, 4), (True, 2)):
        s = dict(d=24, M=M, mk=6, mv=5, N=6, sigma=[1.0] * (M - 1), mu=2.0, p=0.2, train_wo=train_wo, div=0.5)
        gen = torch.Generator(device=dev).manual_seed(7)
        x, y, y_clean = data(gen, 3, s["N"], s, dev, torch.float64)
        w = init(gen, 3, s, dev, torch.float64)
        direct = Direct.__new__(Direct)
        direct.x, direct.y, direct.train_wo, direct.test = x, y, train_wo, False
        direct.w = [t.clone().requires_grad_() for t in w]
        span = Span.__new__(Span)
        span.y = y
        span.setup(x, y_clean, *w, s)
        first = None
        for t in range(20):
            a, b = direct.step(), span.step()
            first = a if first is None else first
            worst = max(worst, ((a - b).abs() / a.abs()).max().item())
        # The comparison means something only if GD moved the losses well past the tolerance.
        moved = min(moved, ((a - first).abs() / first.abs()).min().item())
    ok = worst < 1e-9 and moved > 1e-3
    print(f"torch_span_check_max_rel_diff={worst:.3g}")
    print(f"torch_span_check_min_loss_change={moved:.3g}")
    print("torch_span_check=" + ("ok" if ok else "FAILED: the span baseline does not do the same GD as autograd"))
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", choices=sorted(SHAPES), default="A")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--runs", type=int, default=256, help="runs of the batched baselines (span); bmm uses at most 64")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        print("torch_gpu_bench: PyTorch sees no CUDA device", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if a.check:
        return 0 if check(a.device) else 1
    s = SHAPES[a.shape]
    gen = torch.Generator(device=a.device).manual_seed(0)
    f32 = torch.float32
    print(f"torch_device={torch.cuda.get_device_name() if a.device == 'cuda' else 'cpu'}")
    print(f"torch_fp32_ceiling_gflops={ceiling(gen, a.device):.1f}")
    with torch.no_grad():
        span_runs = a.runs
        print(f"torch_span_runs={span_runs}")
        print(f"torch_span_run_steps_per_s={rate(Span(gen, span_runs, s, a.device, f32), span_runs, a.steps, a.device):.1f}")
    bmm_runs = min(64, a.runs)
    print(f"torch_bmm_runs={bmm_runs}")
    print(f"torch_bmm_run_steps_per_s={rate(Direct(gen, bmm_runs, s, a.device, f32, False), bmm_runs, a.steps, a.device):.2f}")
    print(f"torch_one_run_steps_per_s={rate(Direct(gen, 1, s, a.device, f32, True), 1, a.steps, a.device):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
