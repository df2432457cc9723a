"""A fast training path for the LSTM of chapter 01: fused gates and the hand-derived backward pass.

``FastLSTM`` has the constructor, the parameter names and the logits of ``lib.lstm.LSTM``, so a
state dict moves freely between the two; only ``forward`` differs. The equations are those of
chapter 01 (see ``lib.lstm``); what changes is how the work is scheduled:

1. One matrix ``W = [W_x | b | W_h]`` of shape ``(4H, D+1+H)`` holds the four gates, stacked in the
   order o, i, f, g. Each step is then a single product ``z_t = [x_t | 1 | h_{t-1}] W^T``.
2. ``[x_t | 1 | h_{t-1}]`` for all steps lives in one time-major buffer ``Z`` of shape
   ``(T+1, B, D+1+H)``: the inputs are copied in once, and each step writes its ``h`` straight
   into the next row.
3. The backward pass is the one derived in chapter 01, written out in a ``torch.autograd.Function``.
   Per step it computes the gate pre-activation gradients ``d_t`` and ``dh_{t-1} = d_t W_h``; the
   gradient of all weights and biases is then ONE matrix product ``Z^T d`` over all steps, after
   the loop (the column of ones turns into the bias gradient). Everything in it that does not
   depend on ``dh`` or ``dc`` is computed for all steps at once, before the loop.
4. Every per-step tensor, and every per-step view of it, lives in a preallocated buffer reused
   from one training step to the next; the pointwise work is done in place, under
   ``torch.inference_mode`` (lighter dispatch than plain no-grad mode).
5. ``tanh(z) = 2σ(2z) - 1``: the g rows of the forward matrix are doubled, so one sigmoid call
   covers all four gates; tanh(c) uses the same identity. On this machine's CPU a sigmoid costs
   about a third of a tanh per element.
6. Few calls per step, because at batch 128 and hidden 128 a pointwise call (16K elements) runs on
   one thread and costs about as much as its Python overhead: the forward keeps ``-2c`` instead
   of ``c`` (five pointwise calls per step), the backward carries constant factors per gate that
   are divided out once at the end (four calls per step).
7. ``[x_t | 1] W_x^T`` is computed for all steps before the loop: a row lookup for one-hot inputs
   (the book's), one matrix product otherwise. Each step's matmul is then only ``h_{t-1} W_h^T``.
"""
from __future__ import annotations

import weakref

import torch

from lib.lstm.cell import LSTM

FUSED_ORDER = ("o", "i", "f", "g")  # the sigmoid gates o, i, f, then the tanh gate g
_GATE_PARAMETER_NAMES = tuple(name for k in FUSED_ORDER for name in (f"W_{k}x", f"W_{k}h", f"b_{k}"))


class _Buffers:
    """The time-major tensors of one forward and backward pass (T steps, batch B, hidden H)."""

    def __init__(self, x: torch.Tensor, T: int, B: int, D: int, H: int):
        self.key = (T, B, D, H, x.dtype, x.device)
        self.Z = x.new_zeros(T + 1, B, D + 1 + H)  # [x_t | 1 | h_{t-1}]; h_t goes into Z[t+1, :, D+1:]
        self.Z[:, :, D] = 1.0                      # the bias column; it and h_0 = 0 are never overwritten
        self.C = x.new_zeros(T + 1, B, H)        # -2 c_t in C[t+1], c_0 = 0 (see _forward_loop)
        self.S = x.new_empty(T, B, H)            # σ(-2 c_t) = (1 - tanh(c_t)) / 2
        self.acts = x.new_empty(T, B, 4 * H)     # o, i, f and σ(2 z_g) of every step
        self.d = x.new_empty(T, B, 4 * H)        # backward: gate pre-activation gradients
        self.k_c = x.new_empty(T, B, H)          # backward: o ⊙ (1 - tanh²(c))
        self.forward_steps: list | None = None   # per-step views, made once (_forward_steps)
        self.backward_steps: list | None = None  # per-step views, made once (_backward_steps)
        self.scales: tuple | None = None         # the two columns of _gate_scales, made once


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


def _one_hot_digits(x: torch.Tensor) -> torch.Tensor | None:
    """The digits (T, B) if x (B, T, D) is exactly one-hot (as in the book), else None."""
    if x.shape[-1] < 2:
        return None
    digits = x.argmax(-1)                                     # (B, T)
    if not torch.equal(torch.nn.functional.one_hot(digits, x.shape[-1]).to(x.dtype), x):
        return None
    return digits.T.contiguous()                              # (T, B)


def _forward_steps(Z: torch.Tensor, acts: torch.Tensor, C: torch.Tensor, S: torch.Tensor) -> list:
    """The views _forward_loop works on, step by step. Making them costs about as much Python time
    as the loop's own calls, so a buffer set makes them once and keeps them."""
    T = S.shape[0]
    H = S.shape[-1]
    X = Z.shape[-1] - H                                       # D + 1 columns before h
    gates = zip(*(part.unbind(0) for part in acts.split(H, dim=-1)))  # T × (o, i, f, s_g)
    return list(zip(acts.unbind(0), gates, C.unbind(0), C[1:].unbind(0), S.unbind(0),
                    Z[:T, :, X:].unbind(0), Z[1:, :, X:].unbind(0)))


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
        if t > 0:                                             # h_0 = 0 adds nothing
            a.addmm_(h_prev, W_hT)                            # (B, 4H) pre-activations
        a.sigmoid_()                                          # o, i, f, s_g
        mul(f, C_prev, out=C_t)
        C_t.addcmul_(i, s_g, value=-4.0).add_(i, alpha=2.0)   # C_t = -2 c_t
        sigmoid(C_t, out=S_t)                                 # σ(-2 c_t)
        addcmul(o, o, S_t, value=-2.0, out=h_t)               # h_t = o ⊙ tanh(c_t)


def _gate_scales(W: torch.Tensor, H: int, g: float = 0.25) -> torch.Tensor:
    """The per-gate factors (o, i, f, g) = (1, -1, -2, 1/4) by which _backward_loop's d differs
    from the true gate gradients, as a (4H, 1) column. Powers of two: dividing them out is exact.
    (g = 1/2 gives the factors for the rows of the forward's W, whose g rows are doubled.)"""
    return torch.tensor([1.0, -1.0, -2.0, g], dtype=W.dtype, device=W.device).repeat_interleave(H)[:, None]


def _backward_steps(acts: torch.Tensor, d: torch.Tensor, k_c: torch.Tensor) -> list:
    """The per-step views _backward_loop works on, last step first (made once, as _forward_steps)."""
    T, B, H4 = acts.shape
    H = H4 // 4
    f = acts[..., 2 * H: 3 * H]                               # (T, B, H)
    steps = zip(d.view(T, B, 4, H).unbind(0), d.unbind(0), k_c.unsqueeze(2).unbind(0),
                f.unsqueeze(2).unbind(0))
    return list(reversed(list(enumerate(steps))))


def _backward_loop(dh: torch.Tensor, acts: torch.Tensor, C: torch.Tensor, S: torch.Tensor,
                   W_hs: torch.Tensor, d: torch.Tensor, k_c: torch.Tensor, steps: list) -> torch.Tensor:
    """Backpropagate dL/dh_T through the T steps; fill and return d (T, B, 4H), the gradients
    of the gate pre-activations, each gate scaled by its _gate_scales factor. acts, C and S are as
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
    o, i, f, s_g = acts.split(H, dim=-1)                      # (T, B, H) each
    d_o, d_i, d_f, d_g = d.split(H, dim=-1)                   # (T, B, H) each
    torch.addcmul(acts, acts, acts, value=-1.0, out=d)        # σ' = s - s² of o, i, f and s_g
    torch.addcmul(d_o, d_o, S, value=-2.0, out=d_o)           # tanh(c) ⊙ o'
    torch.addcmul(d_i, d_i, s_g, value=-2.0, out=d_i)         # -g ⊙ i'
    d_f.mul_(C[:T])                                           # -2 c_prev ⊙ f' (0 at t = 0)
    d_g.mul_(i)                                               # (1 - g²)/4 ⊙ i
    torch.addcmul(S, S, S, value=-1.0, out=k_c)
    k_c.mul_(o)                                               # o ⊙ (1 - tanh²(c)) / 4
    M = d.new_zeros(B, 4, H)                                  # [dh | dc | dc | dc], the factors of d_t
    M[:, 0] = dh
    dh, dcs = M[:, 0], M[:, 1:]                               # (B, H) view, (B, 3, H) view
    dh_rows = M[:, :1]                                        # (B, 1, H)
    mm = torch.mm
    for t, (d4_t, d_t, kc_t, f_t) in steps:
        dcs.addcmul_(dh_rows, kc_t, value=4.0)                # dc += dh ⊙ o ⊙ (1 - tanh²(c))
        d4_t.mul_(M)                                          # do, and di, df, dg (scaled)
        if t > 0:
            dcs.mul_(f_t)                                     # dc_prev = dc ⊙ f
            mm(d_t, W_hs, out=dh)                             # (B, H) = (B, 4H) @ (4H, H)
    return d


def _fuse(params: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """W = [W_x | b | W_h] (4H, D+1+H) from (W_kx, W_kh, b_k) for k in FUSED_ORDER."""
    W_x = torch.cat(params[0::3])                             # (4H, D)
    W_h = torch.cat(params[1::3])                             # (4H, H)
    b = torch.cat(params[2::3])                               # (4H,)
    return torch.cat((W_x, b[:, None], W_h), dim=1)


def _input_projections(x: torch.Tensor, W: torch.Tensor, Z: torch.Tensor, acts: torch.Tensor) -> None:
    """Fill acts (T, B, 4H) with [x_t | 1] W_x^T for every step at once, before the loop: a row
    lookup for one-hot inputs (the book's), else one matrix product over all steps."""
    T, B, H4 = acts.shape
    D = x.shape[-1]
    digits = _one_hot_digits(x)                                   # (T, B) or None
    if digits is not None:
        table = (W[:, :D] + W[:, D:D + 1]).T.contiguous()         # (D, 4H): W_x^T plus the bias
        torch.index_select(table, 0, digits.view(-1), out=acts.view(T * B, H4))
    else:
        torch.mm(Z[:T, :, :D + 1].reshape(T * B, D + 1), W[:, :D + 1].T, out=acts.view(T * B, H4))


def _parameter_grads(dW_T: torch.Tensor, D: int, H: int, scales: torch.Tensor) -> list[torch.Tensor]:
    """(dW_kx, dW_kh, db_k) for k in FUSED_ORDER from dW_T (D+1+H, 4H), with the gate scales of
    _gate_scales divided out. Each parameter's gradient is one contiguous block, so that autograd
    keeps it as the .grad tensor instead of copying it."""
    def unscaled(block: torch.Tensor) -> torch.Tensor:                # (4, H, k) -> contiguous copy
        return torch.div(block, scales.view(4, H, 1))

    dW_x = unscaled(dW_T[:D].T.view(4, H, D))                      # (4, H, D)
    dW_h = unscaled(dW_T[D + 1:].T.view(4, H, H))                  # (4, H, H)
    db = unscaled(dW_T[D].view(4, H, 1))[..., 0]                   # (4, H)
    grads = []
    for k in range(4):
        grads += [dW_x[k], dW_h[k], db[k]]
    return grads


class _FusedLSTMFunction(torch.autograd.Function):
    """h_T (B, H) of the LSTM from x (B, T, D) and the gate parameters in FUSED_ORDER."""

    @staticmethod
    def forward(ctx, x, pool, *params):
        B, T, D = x.shape
        H = params[0].shape[0]
        W = _fuse(params)                                         # (4H, D+1+H)
        ctx.lease = pool.lease(x, T, B, D, H)
        buf = ctx.lease.buffers
        Z = buf.Z
        Z[:T, :, :D].copy_(x.transpose(0, 1))                     # (T, B, D) time-major inputs
        with torch.inference_mode():                              # lighter dispatch; versions still bump
            W[3 * H:].mul_(2.0)                                   # g rows doubled: tanh z = 2σ(2z) - 1
            _input_projections(x, W, Z, buf.acts)                 # (T, B, 4H) before the loop
            if buf.forward_steps is None:
                buf.forward_steps = _forward_steps(Z, buf.acts, buf.C, buf.S)
            _forward_loop(buf.forward_steps, W[:, D + 1:].T)
        ctx.save_for_backward(W, Z, buf.acts, buf.C, buf.S)
        return Z[T, :, D + 1:].clone()                            # (B, H)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dh_T):
        W, Z, acts, C, S = ctx.saved_tensors                      # checks that no later pass overwrote them
        T, B, H4 = acts.shape
        H = H4 // 4
        D = W.shape[1] - 1 - H
        buf = ctx.lease.buffers or _Buffers(acts, T, B, D, H)     # a second backward gets fresh scratch
        with torch.inference_mode():
            if buf.scales is None:
                buf.scales = _gate_scales(W, H), _gate_scales(W, H, g=0.5)
            scales, W_scales = buf.scales                         # (4H, 1) for d, and for W's rows
            W_x = W[:, :D] / W_scales                             # (4H, D)
            if buf.backward_steps is None:
                buf.backward_steps = _backward_steps(acts, buf.d, buf.k_c)
            d = _backward_loop(dh_T.contiguous(), acts, C, S, W[:, D + 1:] / W_scales, buf.d,
                               buf.k_c, buf.backward_steps)       # (T, B, 4H) scaled
        d_flat = d.view(T * B, H4)                                # (T·B, 4H)
        dW_T = Z[:T].reshape(T * B, -1).T @ d_flat                # (D+1+H, 4H) all weights, all steps
        dx = None
        if ctx.needs_input_grad[0]:
            dx = (d_flat @ W_x).view(T, B, D).transpose(0, 1)     # (B, T, D)
        ctx.lease.release()
        return (dx, None, *_parameter_grads(dW_T, D, H, scales))


class FastLSTM(LSTM):
    """``lib.lstm.LSTM`` with a fused, hand-differentiated ``forward`` for training.

    Same constructor, parameters and state dict as ``LSTM``; ``step`` and ``states`` are inherited
    unchanged (they stay the readable reference).
    """

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int, forget_bias: float = 1.0):
        super().__init__(input_dim, hidden_dim, output_dim, forget_bias)
        self._buffer_pool = _BufferPool()  # not state: scratch memory reused from step to step

    def gate_parameters(self) -> tuple[torch.Tensor, ...]:
        """(W_kx, W_kh, b_k) for k in FUSED_ORDER, flattened."""
        params = self._parameters                                   # plain dict: cheaper than getattr
        return tuple(params[name] for name in _GATE_PARAMETER_NAMES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, D) -> logits p (B, O) of the last step."""
        if x.dim() != 3 or x.shape[-1] != self.input_dim or x.shape[1] == 0:
            raise ValueError(f"expected x of shape (batch, T, {self.input_dim}) with T >= 1, got {tuple(x.shape)}")
        if x.dtype != self.W_gx.dtype or x.device != self.W_gx.device:
            raise ValueError(f"x is {x.dtype} on {x.device} but the model is {self.W_gx.dtype} on "
                             f"{self.W_gx.device}: move one of them with .to(...)")
        h_T = _FusedLSTMFunction.apply(x, self._buffer_pool, *self.gate_parameters())  # (B, H)
        return torch.addmm(self.b_p, h_T, self.W_ph.T)             # (B, O)
