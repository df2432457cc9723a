"""FastLSTM's scheme with a leading seed dimension: S models trained as one computation.

The side ``stacked_fast`` of ``seeds_together.py``. Everything ``lib.lstm.fast`` does for one model
(fused gates in the order o, i, f, g, tanh through sigmoid, -2c kept instead of c, the
hand-derived backward pass, all weight gradients as one product after the loop) is done here for S
models at once: each step's product is one ``torch.baddbmm`` (forward) or ``torch.bmm`` (backward)
over the S models' (H, 4H) matrices, and each pointwise call covers all S models. Buffers are
seed-major, (S, T, B, ...), so that a model's rows over all steps form one matrix for the weight
gradients. It answers how close a hand-written batched step comes to the floor that
``seeds_together.py`` prints, without autograd's per-step graph. A benchmark side only: the
checks in ``check_against_fast`` compare it with ``FastLSTM`` model by model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lib.lstm.fast import FastLSTM, _fuse
from lib.lstm.fast_loops import _gate_scales


def _buffers(store: dict, W: torch.Tensor, S: int, T: int, B: int, D: int) -> dict:
    """The pass's tensors, made once per shape and reused from step to step (fresh ones cost page
    faults, as in lib.lstm.fast_loops._BufferPool; a benchmark side keeps no second pass alive)."""
    H, X = W.shape[1] // 4, W.shape[2]
    key = (S, T, B, D, X, W.dtype, W.device)
    if store.get("key") != key:
        store.clear()
        store["key"] = key
        store["Z"] = W.new_zeros(S, T + 1, B, X)  # [x_t | 1 | h_{t-1}]
        # the bias column; it and h_0 = 0 are never overwritten
        store["Z"][..., D] = 1.0
        store["C"] = W.new_zeros(S, T + 1, B, H)  # -2 c_t, c_0 = 0
        for name, width in (("acts", 4 * H), ("d", 4 * H), ("Sg", H), ("k_c", H)):
            store[name] = W.new_empty(S, T, B, width)
    return store


def _forward(digits: torch.Tensor, W: torch.Tensor, D: int, store: dict):
    """Z (S, T+1, B, X), acts (S, T, B, 4H), C (S, T+1, B, H) = -2c, Sg (S, T, B, H) = σ(-2c) of
    the S models with fused weights W (S, 4H, X = D+1+H), g rows doubled, on digits (S, B, T)."""
    S, B, T = digits.shape
    H = W.shape[1] // 4
    buf = _buffers(store, W, S, T, B, D)
    Z, acts, C, Sg = buf["Z"], buf["acts"], buf["C"], buf["Sg"]
    time_major = digits.transpose(1, 2)  # (S, T, B)
    x = Z[:, :T, :, :D]
    x.zero_().scatter_(-1, time_major[..., None], 1.0)  # one-hot inputs
    table = (W[:, :, :D] + W[:, :, D : D + 1]).transpose(1, 2)  # (S, D, 4H) W_x^T + b
    for s in range(S):  # one-hot inputs: a row lookup
        torch.index_select(
            table[s], 0, time_major[s].flatten(), out=acts[s].view(T * B, 4 * H)
        )
    W_hT = W[:, :, D + 1 :].transpose(1, 2)  # (S, H, 4H)
    for t in range(T):
        a = acts[:, t]  # (S, B, 4H)
        o, i, f, s_g = a.split(H, dim=-1)
        if t > 0:  # h_0 = 0 adds nothing
            a.baddbmm_(Z[:, t, :, D + 1 :], W_hT)
        a.sigmoid_()
        C_t = C[:, t + 1]
        torch.mul(f, C[:, t], out=C_t)
        C_t.addcmul_(i, s_g, value=-4.0).add_(i, alpha=2.0)  # -2 c_t
        torch.sigmoid(C_t, out=Sg[:, t])
        torch.addcmul(o, o, Sg[:, t], value=-2.0, out=Z[:, t + 1, :, D + 1 :])  # h_t
    return Z, acts, C, Sg


def _backward(
    dh: torch.Tensor, acts, C, Sg, W_hs: torch.Tensor, store: dict
) -> torch.Tensor:
    """d (S, T, B, 4H), the gate pre-activation gradients scaled as in
    ``lib.lstm.fast_loops._backward_loop`` (whose derivation this follows), from dh_T (S, B, H)."""
    S, T, B, H4 = acts.shape
    H = H4 // 4
    o, i, f, s_g = acts.split(H, dim=-1)
    d = torch.addcmul(acts, acts, acts, value=-1.0, out=store["d"])  # σ' of all gates
    d_o, d_i, d_f, d_g = d.split(H, dim=-1)
    d_o.addcmul_(d_o, Sg, value=-2.0)  # tanh(c) ⊙ o'
    d_i.addcmul_(d_i, s_g, value=-2.0)  # -g ⊙ i'
    d_f.mul_(C[:, :T])  # -2 c_prev ⊙ f'
    d_g.mul_(i)  # (1 - g²)/4 ⊙ i
    k_c = torch.addcmul(Sg, Sg, Sg, value=-1.0, out=store["k_c"]).mul_(o).unsqueeze(3)
    f4 = f.unsqueeze(3)  # (S, T, B, 1, H)
    d4 = d.view(S, T, B, 4, H)
    M = d.new_zeros(S, B, 4, H)  # [dh | dc | dc | dc]
    M[:, :, 0] = dh
    dh, dcs, dh_rows = M[:, :, 0], M[:, :, 1:], M[:, :, :1]
    for t in range(T - 1, -1, -1):
        dcs.addcmul_(dh_rows, k_c[:, t], value=4.0)
        d4[:, t].mul_(M)
        if t > 0:
            dcs.mul_(f4[:, t])
            torch.bmm(d[:, t], W_hs, out=dh)  # (S, B, H)
    return d


class _StackedFunction(torch.autograd.Function):
    """h_T (S, B, H) of S LSTMs from digits (S, B, T) and their fused weights W (S, 4H, X)."""

    @staticmethod
    def forward(ctx, digits, W, D: int, store: dict):
        H = W.shape[1] // 4
        W2 = W.detach().clone()
        W2[:, 3 * H :] *= 2.0  # g rows doubled: tanh z = 2σ(2z) - 1
        with torch.inference_mode():  # lighter dispatch, as in lib.lstm.fast
            Z, acts, C, Sg = _forward(digits, W2, D, store)
        ctx.save_for_backward(W2)
        ctx.passes, ctx.D, ctx.store = (Z, acts, C, Sg), D, store
        return Z[:, -1, :, D + 1 :].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dh_T):
        (W2,), D = ctx.saved_tensors, ctx.D
        Z, acts, C, Sg = ctx.passes
        S, T, B, H4 = acts.shape
        scales, W_scales = _gate_scales(W2, H4 // 4), _gate_scales(W2, H4 // 4, g=0.5)
        with torch.inference_mode():
            W_hs = W2[:, :, D + 1 :] / W_scales  # (S, 4H, H)
            d = _backward(dh_T.contiguous(), acts, C, Sg, W_hs, ctx.store)
            rows = Z[:, :T].reshape(S, T * B, -1)  # (S, T·B, X), a view
            dW = torch.bmm(d.view(S, T * B, H4).transpose(1, 2), rows)  # (S, 4H, X)
            dW.div_(scales)
        ctx.passes = None
        return None, dW, None, None


class StackedFastLSTM(nn.Module):
    """S LSTMs of chapter 01 (FastLSTM's fused layout), trained as one computation.

    forward(digits (S, B, T)) -> logits (S·B, O). Under a mean cross-entropy over all S·B rows each
    model's gradient is its own mean-loss gradient divided by S."""

    def __init__(self, models: list[FastLSTM]):
        super().__init__()
        with torch.no_grad():  # W (S, 4H, D+1+H), W_p (S, H, O), b_p (S, 1, O)
            W = torch.stack([_fuse(m.gate_parameters()) for m in models])
            self.W = nn.Parameter(W)
            self.W_p = nn.Parameter(torch.stack([m.W_ph.T for m in models]))
            self.b_p = nn.Parameter(torch.stack([m.b_p[None] for m in models]))
        self.D = models[0].input_dim
        self._store: dict = {}  # scratch tensors reused from step to step (_buffers)

    def forward(self, digits: torch.Tensor) -> torch.Tensor:
        h_T = _StackedFunction.apply(digits, self.W, self.D, self._store)  # (S, B, H)
        return torch.baddbmm(self.b_p, h_T, self.W_p).flatten(0, 1)  # (S·B, O)


def check_against_fast(S: int = 3, B: int = 8, T: int = 7, H: int = 16) -> float:
    """The largest relative difference between StackedFastLSTM's logits and weight gradients and
    those of S FastLSTMs on their own batches (float64, random biases, two batches so that the
    second reuses the first's buffers); raises AssertionError when above 1e-9."""
    gen = torch.Generator().manual_seed(0)
    models = [FastLSTM(10, H, 10).double() for _ in range(S)]
    # random biases: a wrong gate order cannot hide behind b_f = 1
    with torch.no_grad():
        for p in (p for m in models for p in m.parameters()):
            p.uniform_(-0.8, 0.8, generator=gen)
    stacked = StackedFastLSTM(models)
    worst = 0.0
    for _ in range(2):
        digits = torch.randint(0, 10, (S, B, T), generator=gen)
        y = digits[:, :, 0]
        stacked.zero_grad()
        logits = stacked(digits).view(S, B, -1)
        (F.cross_entropy(logits.flatten(0, 1), y.flatten()) * S).backward()
        for s, m in enumerate(models):
            m.zero_grad()
            out = m(F.one_hot(digits[s], 10).double())
            F.cross_entropy(out, y[s]).backward()
            dW = _fuse(tuple(p.grad for p in m.gate_parameters()))
            for a, b in ((logits[s], out), (stacked.W.grad[s], dW)):
                worst = max(worst, ((a - b).abs().max() / b.abs().max()).item())
    if worst > 1e-9:
        raise AssertionError(f"StackedFastLSTM differs from FastLSTM by {worst:.2e}")
    return worst
