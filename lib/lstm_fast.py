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
   the loop (the column of ones turns into the bias gradient).
4. Every per-step tensor lives in a preallocated buffer, reused from one training step to the next,
   and the pointwise work is done in place.
5. ``tanh(z) = 2σ(2z) - 1``: the g rows of the forward matrix are doubled, so one sigmoid call
   covers all four gates; tanh(c) uses the same identity. On this machine's CPU a sigmoid costs
   about a third of a tanh per element.
"""
from __future__ import annotations

import weakref

import torch

from lib.lstm import LSTM

FUSED_ORDER = ("o", "i", "f", "g")  # the sigmoid gates o, i, f, then the tanh gate g


class _Buffers:
    """The time-major tensors of one forward and backward pass (T steps, batch B, hidden H)."""

    def __init__(self, x: torch.Tensor, T: int, B: int, D: int, H: int):
        self.key = (T, B, D, H, x.dtype, x.device)
        self.Z = x.new_empty(T + 1, B, D + 1 + H)  # [x_t | 1 | h_{t-1}]; h_t goes into Z[t+1, :, D+1:]
        self.c = x.new_empty(T + 1, B, H)        # c_t in c[t+1], c_0 = 0
        self.acts = x.new_empty(T, B, 4 * H)     # o, i, f, g of every step
        self.tc = x.new_empty(T, B, H)           # tanh(c_t), reused by the backward pass
        self.d = x.new_empty(T, B, 4 * H)        # backward: gate pre-activation gradients
        self.k_c = x.new_empty(T, B, H)          # backward: o ⊙ (1 - tanh²(c))


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


def _tanh_(z: torch.Tensor, out: torch.Tensor, two: torch.Tensor, one: torch.Tensor) -> torch.Tensor:
    """out = tanh(z) as 2σ(2z) - 1 (cheaper than torch.tanh on the CPU).

    two and one are 0-dim tensors: a Python float operand costs a conversion on every call.
    """
    return torch.add(z, z, out=out).sigmoid_().mul_(two).sub_(one)


def _forward_loop(Z: torch.Tensor, W: torch.Tensor, acts: torch.Tensor, c: torch.Tensor,
                  tc: torch.Tensor) -> None:
    """Run the recurrence, writing h_t into Z[t+1, :, D+1:].

    Z (T+1, B, D+1+H) holds [x_t | 1 | h_{t-1}] with h_0 = 0; W (4H, D+1+H) has its g rows
    doubled; acts (T, B, 4H) receives o, i, f, g; c (T+1, B, H) with c[0] = 0; tc (T, B, H)
    receives tanh(c_t). The per-step views are made up front (unbind) to keep the loop lean.
    """
    H = c.shape[-1]
    X = Z.shape[-1] - H                                       # D + 1 columns before h
    W_T = W.T                                                 # (D+1+H, 4H)
    two, one = W.new_tensor(2.0), W.new_tensor(1.0)
    gates = zip(*(part.unbind(0) for part in acts.split(H, dim=-1)))  # T × (o, i, f, g)
    steps = zip(Z.unbind(0), acts.unbind(0), gates, c.unbind(0), c[1:].unbind(0), tc.unbind(0),
                Z[1:, :, X:].unbind(0))
    for t, (Z_t, a, (o, i, f, g), c_prev, c_t, tc_t, h_t) in enumerate(steps):
        if t == 0:                                            # h_0 = 0: only x_0 and 1 count
            torch.mm(Z_t[:, :X], W_T[:X], out=a)              # (B, 4H)
        else:
            torch.mm(Z_t, W_T, out=a)                         # (B, 4H) pre-activations
        a.sigmoid_()                                          # o, i, f, and (g + 1) / 2
        g.mul_(two).sub_(one)                                 # g = tanh(z_g)
        torch.mul(g, i, out=c_t)                              # c = g ⊙ i ...
        c_t.addcmul_(c_prev, f)                               # ... + c_prev ⊙ f
        _tanh_(c_t, tc_t, two, one)                           # (B, H)
        torch.mul(tc_t, o, out=h_t)                           # h = tanh(c) ⊙ o


def _backward_loop(dh: torch.Tensor, acts: torch.Tensor, c: torch.Tensor, tc: torch.Tensor,
                   W_h: torch.Tensor, d: torch.Tensor, k_c: torch.Tensor) -> torch.Tensor:
    """Backpropagate dL/dh_T through the T steps; fill and return d (T, B, 4H), the gradients
    of the gate pre-activations. k_c (T, B, H) is scratch.

    With σ' = s(1 - s) for a sigmoid gate s and tanh' = 1 - g² (chapter 01):
        dc += dh ⊙ o ⊙ (1 - tanh²(c))     do = dh ⊙ tanh(c) ⊙ o'
        di = dc ⊙ g ⊙ i'                  df = dc ⊙ c_prev ⊙ f'       dg = dc ⊙ i ⊙ (1 - g²)
        dc_prev = dc ⊙ f                  dh_prev = [do di df dg] W_h
    The factors that do not depend on dh or dc are computed for all steps at once, in a few large
    calls that use every thread; the loop then does four small in-place products and one matmul.
    """
    T, B, H4 = acts.shape
    H = H4 // 4
    o, i, f, g = acts.split(H, dim=-1)                        # (T, B, H) each
    d_o, d_i, d_f, d_g = d.split(H, dim=-1)                   # (T, B, H) each
    s = acts[..., : 3 * H]                                    # (T, B, 3H) o, i, f
    torch.addcmul(s, s, s, value=-1.0, out=d[..., : 3 * H])   # σ' = s - s²
    d_o.mul_(tc)                                              # tanh(c) ⊙ o'
    d_i.mul_(g)                                               # g ⊙ i'
    d_f.mul_(c[:T])                                           # c_prev ⊙ f' (0 at t = 0)
    torch.mul(g, g, out=d_g)
    torch.addcmul(i, i, d_g, value=-1.0, out=d_g)             # i ⊙ (1 - g²)
    torch.mul(tc, tc, out=k_c)
    torch.addcmul(o, o, k_c, value=-1.0, out=k_c)             # o ⊙ (1 - tanh²(c))
    dh = dh.clone()                                           # (B, H)
    dc = torch.zeros_like(dh)                                 # (B, H)
    d_ifg = d[:, :, H:].view(T, B, 3, H).unbind(0)            # T × (B, 3, H)
    steps = zip(d.unbind(0), d_o.unbind(0), d_ifg, k_c.unbind(0), f.unbind(0))
    for t, (d_t, do_t, difg_t, kc_t, f_t) in reversed(list(enumerate(steps))):
        dc.addcmul_(dh, kc_t)
        do_t.mul_(dh)                                         # do
        difg_t.mul_(dc.unsqueeze(1))                          # di, df, dg
        if t > 0:
            dc.mul_(f_t)
            torch.mm(d_t, W_h, out=dh)                        # (B, H) = (B, 4H) @ (4H, H)
    return d


def _fuse(x: torch.Tensor, params: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """W = [W_x | b | W_h] (4H, D+1+H) from (W_kx, W_kh, b_k) for k in FUSED_ORDER."""
    H, D = params[0].shape
    W = x.new_empty(4 * H, D + 1 + H)
    for k in range(4):
        W_kx, W_kh, b_k = params[3 * k: 3 * k + 3]
        rows = slice(k * H, (k + 1) * H)
        W[rows, :D].copy_(W_kx)
        W[rows, D].copy_(b_k)
        W[rows, D + 1:].copy_(W_kh)
    return W


class _FusedLSTMFunction(torch.autograd.Function):
    """h_T (B, H) of the LSTM from x (B, T, D) and the gate parameters in FUSED_ORDER."""

    @staticmethod
    def forward(ctx, x, pool, *params):
        B, T, D = x.shape
        H = params[0].shape[0]
        W = _fuse(x, params)                                      # (4H, D+1+H)
        W2 = W.clone()
        W2[3 * H:].mul_(2.0)                                      # g rows doubled: tanh z = 2σ(2z) - 1
        ctx.lease = pool.lease(x, T, B, D, H)
        buf = ctx.lease.buffers
        buf.Z[:T, :, :D].copy_(x.transpose(0, 1))                 # (T, B, D) time-major inputs
        buf.Z[T, :, :D].zero_()
        buf.Z[:, :, D].fill_(1.0)                                 # the bias column
        buf.Z[0, :, D + 1:].zero_()                               # h_0 = 0
        buf.c[0].zero_()                                          # c_0 = 0
        _forward_loop(buf.Z, W2, buf.acts, buf.c, buf.tc)
        ctx.save_for_backward(W, buf.Z, buf.acts, buf.c, buf.tc)
        return buf.Z[T, :, D + 1:].clone()                        # (B, H)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dh_T):
        W, Z, acts, c, tc = ctx.saved_tensors                     # checks that no later pass overwrote them
        T, B, H4 = acts.shape
        H = H4 // 4
        D = W.shape[1] - 1 - H
        buf = ctx.lease.buffers or _Buffers(acts, T, B, D, H)     # a second backward gets fresh scratch
        d = _backward_loop(dh_T.contiguous(), acts, c, tc, W[:, D + 1:], buf.d, buf.k_c)  # (T, B, 4H)
        d_flat = d.view(T * B, H4)                                # (T·B, 4H)
        dW_T = Z[:T].reshape(T * B, -1).T @ d_flat                # (D+1+H, 4H) all weights, all steps
        dx = None
        if ctx.needs_input_grad[0]:
            dx = (d_flat @ W[:, :D]).view(T, B, D).transpose(0, 1)  # (B, T, D)
        ctx.lease.release()
        grads = []
        for k in range(4):
            rows = slice(k * H, (k + 1) * H)
            grads += [dW_T[:D, rows].T, dW_T[D + 1:, rows].T, dW_T[D, rows]]
        return (dx, None, *grads)


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
        return tuple(getattr(self, name) for k in FUSED_ORDER for name in (f"W_{k}x", f"W_{k}h", f"b_{k}"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, D) -> logits p (B, O) of the last step."""
        if x.dim() != 3 or x.shape[-1] != self.input_dim or x.shape[1] == 0:
            raise ValueError(f"expected x of shape (batch, T, {self.input_dim}) with T >= 1, got {tuple(x.shape)}")
        if x.dtype != self.W_gx.dtype or x.device != self.W_gx.device:
            raise ValueError(f"x is {x.dtype} on {x.device} but the model is {self.W_gx.dtype} on "
                             f"{self.W_gx.device}: move one of them with .to(...)")
        h_T = _FusedLSTMFunction.apply(x, self._buffer_pool, *self.gate_parameters())  # (B, H)
        return h_T @ self.W_ph.T + self.b_p                         # (B, O)
