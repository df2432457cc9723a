"""The buffers and the two time loops of ``FastLSTM`` (chapter 01's equations, chapter 02's
training path).

``lib.lstm.fast`` explains the scheme (fused gates, time-major buffers, tanh through sigmoid,
-2c kept instead of c); this module holds the forward recurrence and the hand-derived backward
recurrence that run inside its ``autograd.Function``, with the per-step views they work on.
"""

from __future__ import annotations

import weakref

import torch


class _Buffers:
    """The time-major tensors of one forward and backward pass (T steps, batch B, hidden H)."""

    def __init__(self, x: torch.Tensor, T: int, B: int, D: int, H: int):
        self.key = (T, B, D, H, x.dtype, x.device)
        self.Z = x.new_zeros(
            T + 1, B, D + 1 + H
        )  # [x_t | 1 | h_{t-1}]; h_t goes into Z[t+1, :, D+1:]
        self.Z[:, :, D] = 1.0  # the bias column; it and h_0 = 0 are never overwritten
        self.C = x.new_zeros(
            T + 1, B, H
        )  # -2 c_t in C[t+1], c_0 = 0 (see _forward_loop)
        self.S = x.new_empty(T, B, H)  # σ(-2 c_t) = (1 - tanh(c_t)) / 2
        self.acts = x.new_empty(T, B, 4 * H)  # o, i, f and σ(2 z_g) of every step
        self.d = x.new_empty(T, B, 4 * H)  # backward: gate pre-activation gradients
        self.k_c = x.new_empty(T, B, H)  # backward: o ⊙ (1 - tanh²(c))
        self.forward_steps: list | None = (
            None  # per-step views, made once (_forward_steps)
        )
        self.backward_steps: list | None = (
            None  # per-step views, made once (_backward_steps)
        )
        self.scales: tuple | None = None  # the two columns of _gate_scales, made once


class _BufferPool:
    """Hands the buffers of a finished pass to the next pass with the same shapes.

    Fresh multi-megabyte tensors every step cost page faults (several percent of a step here). A
    pass leases its buffers and gives them back at the end of its backward (or when its graph is
    dropped). Reuse is safe: the buffers are saved with ``save_for_backward``, so a second backward
    through a retained graph whose buffers a later pass overwrote fails with autograd's usual
    "modified by an inplace operation" error instead of returning wrong gradients.
    """

    def __init__(self):
        self.spare: _Buffers | None = None

    def lease(self, x: torch.Tensor, T: int, B: int, D: int, H: int) -> "_Lease":
        buffers, self.spare = self.spare, None
        if buffers is None or buffers.key != (T, B, D, H, x.dtype, x.device):
            buffers = _Buffers(x, T, B, D, H)
        return _Lease(self, buffers)


class _Lease:
    def __init__(self, pool: _BufferPool, buffers: _Buffers):
        self._pool = weakref.ref(pool)
        self.buffers: _Buffers | None = buffers

    def release(self) -> None:
        pool, buffers, self.buffers = self._pool(), self.buffers, None
        if pool is not None and buffers is not None:
            pool.spare = buffers

    __del__ = release


def _forward_steps(
    Z: torch.Tensor, acts: torch.Tensor, C: torch.Tensor, S: torch.Tensor
) -> list:
    """The views _forward_loop works on, step by step. Making them costs about as much Python time
    as the loop's own calls, so a buffer set makes them once and keeps them."""
    T = S.shape[0]
    H = S.shape[-1]
    X = Z.shape[-1] - H  # D + 1 columns before h
    gates = zip(
        *(part.unbind(0) for part in acts.split(H, dim=-1))
    )  # T × (o, i, f, s_g)
    return list(
        zip(
            acts.unbind(0),
            gates,
            C.unbind(0),
            C[1:].unbind(0),
            S.unbind(0),
            Z[:T, :, X:].unbind(0),
            Z[1:, :, X:].unbind(0),
        )
    )


def _forward_loop(steps: list, W_hT: torch.Tensor) -> None:
    """Run the recurrence over the views of _forward_steps(Z, acts, C, S), writing h_t into
    Z[t+1, :, D+1:].

    On entry acts holds [x_t | 1] W_x^T of every step (_input_projections, with W's g rows
    doubled); each step adds h_{t-1} W_h^T (W_hT (H, 4H), g columns doubled), so one sigmoid
    covers all four gates and tanh(z_g) = 2 s_g - 1: acts[t] then holds o, i, f and s_g = σ(2 z_g).

    Fewer calls per step: the loop keeps C = -2c instead of c, because then
        C_t = f ⊙ C_{t-1} - 4 i ⊙ s_g + 2 i          (= -2 (f ⊙ c_{t-1} + i ⊙ tanh z_g))
        h_t = o - 2 o ⊙ σ(C_t)                        (tanh(c) = 1 - 2σ(-2c))
    which is five small in-place calls after the matmul and the sigmoid. C (T+1, B, H) with
    C[0] = 0 receives C_t; S (T, B, H) receives σ(C_t) for the backward pass.
    """
    mul, sigmoid, addcmul = torch.mul, torch.sigmoid, torch.addcmul
    for t, (a, (o, i, f, s_g), C_prev, C_t, S_t, h_prev, h_t) in enumerate(steps):
        if t > 0:  # h_0 = 0 adds nothing
            a.addmm_(h_prev, W_hT)  # (B, 4H) pre-activations
        a.sigmoid_()  # o, i, f, s_g
        mul(f, C_prev, out=C_t)
        C_t.addcmul_(i, s_g, value=-4.0).add_(i, alpha=2.0)  # C_t = -2 c_t
        sigmoid(C_t, out=S_t)  # σ(-2 c_t)
        addcmul(o, o, S_t, value=-2.0, out=h_t)  # h_t = o ⊙ tanh(c_t)


def _gate_scales(W: torch.Tensor, H: int, g: float = 0.25) -> torch.Tensor:
    """The per-gate factors (o, i, f, g) = (1, -1, -2, 1/4) by which _backward_loop's d differs
    from the true gate gradients, as a (4H, 1) column. Powers of two: dividing them out is exact.
    (g = 1/2 gives the factors for the rows of the forward's W, whose g rows are doubled.)"""
    return torch.tensor(
        [1.0, -1.0, -2.0, g], dtype=W.dtype, device=W.device
    ).repeat_interleave(H)[:, None]


def _backward_steps(acts: torch.Tensor, d: torch.Tensor, k_c: torch.Tensor) -> list:
    """The per-step views _backward_loop works on, last step first (made once, as _forward_steps)."""
    T, B, H4 = acts.shape
    H = H4 // 4
    f = acts[..., 2 * H : 3 * H]  # (T, B, H)
    steps = zip(
        d.view(T, B, 4, H).unbind(0),
        d.unbind(0),
        k_c.unsqueeze(2).unbind(0),
        f.unsqueeze(2).unbind(0),
    )
    return list(reversed(list(enumerate(steps))))


def _backward_loop(
    dh: torch.Tensor,
    acts: torch.Tensor,
    C: torch.Tensor,
    S: torch.Tensor,
    W_hs: torch.Tensor,
    d: torch.Tensor,
    k_c: torch.Tensor,
    steps: list,
    dc: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Backpropagate dL/dh_T through the T steps; fill and return d (T, B, 4H), the gradients
    of the gate pre-activations, each gate scaled by its _gate_scales factor, and M (see below).
    With ``dc`` (B, H), dL/dc_T from a later segment of time steps, the loop starts from it and
    also runs step 0's transitions, so that M[:, 0] and M[:, 1] end as dL/dh_0 and dL/dc_0 of
    the segment's initial state (without it, h_0 = c_0 = 0 and step 0 stops early). acts, C and S are as
    left by _forward_loop; W_hs (4H, H) is W_h with its rows divided by those factors, so that
    d W_hs is the true dh_prev; k_c (T, B, H) is scratch.

    With σ' = s(1 - s) for a sigmoid gate s and tanh' = 1 - g² (chapter 01):
        dc += dh ⊙ o ⊙ (1 - tanh²(c))     do = dh ⊙ tanh(c) ⊙ o'
        di = dc ⊙ g ⊙ i'                  df = dc ⊙ c_prev ⊙ f'       dg = dc ⊙ i ⊙ (1 - g²)
        dc_prev = dc ⊙ f                  dh_prev = [do di df dg] W_h
    The factors that do not depend on dh or dc are computed for all steps at once, in a few large
    calls that use every thread; the loop then does four small in-place products and one matmul.
    In terms of the forward's s_g = σ(2 z_g), S = σ(-2c) and C = -2c, with g = 2 s_g - 1,
    tanh(c) = 1 - 2S and 1 - tanh²(c) = 4 S(1 - S), 1 - g² = 4 s_g(1 - s_g), the factors are
        tanh(c) ⊙ o' = o' - 2 o' ⊙ S          -g ⊙ i' = i' - 2 i' ⊙ s_g
        -2 c_prev ⊙ f' = C_prev ⊙ f'           (1 - g²)/4 ⊙ i = s_g(1 - s_g) ⊙ i
    one call each: the constants -1, -2, 1/4 are the gate scales, and the 4 of 1 - tanh²(c)
    goes into the loop's dc update. The loop keeps dh and three copies of dc side by side in
    M = [dh | dc | dc | dc] (B, 4, H), so that one product scales all four gates of d_t, and its
    calls on 48K-64K elements run on every thread. steps is _backward_steps(acts, d, k_c).
    """
    T, B, H4 = acts.shape
    H = H4 // 4
    o, i, f, s_g = acts.split(H, dim=-1)  # (T, B, H) each
    d_o, d_i, d_f, d_g = d.split(H, dim=-1)  # (T, B, H) each
    torch.addcmul(acts, acts, acts, value=-1.0, out=d)  # σ' = s - s² of o, i, f and s_g
    torch.addcmul(d_o, d_o, S, value=-2.0, out=d_o)  # tanh(c) ⊙ o'
    torch.addcmul(d_i, d_i, s_g, value=-2.0, out=d_i)  # -g ⊙ i'
    d_f.mul_(C[:T])  # -2 c_prev ⊙ f' (0 at t = 0)
    d_g.mul_(i)  # (1 - g²)/4 ⊙ i
    torch.addcmul(S, S, S, value=-1.0, out=k_c)
    k_c.mul_(o)  # o ⊙ (1 - tanh²(c)) / 4
    M = d.new_zeros(B, 4, H)  # [dh | dc | dc | dc], the factors of d_t
    M[:, 0] = dh
    if dc is not None:
        M[:, 1:] = dc[:, None]
    dh, dcs = M[:, 0], M[:, 1:]  # (B, H) view, (B, 3, H) view
    first = 0 if dc is not None else 1  # the first step whose transitions run
    dh_rows = M[:, :1]  # (B, 1, H)
    mm = torch.mm
    for t, (d4_t, d_t, kc_t, f_t) in steps:
        dcs.addcmul_(dh_rows, kc_t, value=4.0)  # dc += dh ⊙ o ⊙ (1 - tanh²(c))
        d4_t.mul_(M)  # do, and di, df, dg (scaled)
        if t >= first:
            dcs.mul_(f_t)  # dc_prev = dc ⊙ f
            mm(d_t, W_hs, out=dh)  # (B, H) = (B, 4H) @ (4H, H)
    return d, M
