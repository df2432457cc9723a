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

import torch

from lib.core import checks
from lib.lstm.cell import LSTM
from lib.lstm.fast_loops import (
    _backward_loop,
    _backward_steps,
    _BufferPool,
    _Buffers,
    _forward_loop,
    _forward_steps,
    _gate_scales,
)

FUSED_ORDER = ("o", "i", "f", "g")  # the sigmoid gates o, i, f, then the tanh gate g
_GATE_PARAMETER_NAMES = tuple(
    name for k in FUSED_ORDER for name in (f"W_{k}x", f"W_{k}h", f"b_{k}")
)


def _one_hot_digits(x: torch.Tensor) -> torch.Tensor | None:
    """The digits (T, B) if x (B, T, D) is exactly one-hot (as in the book), else None."""
    if x.shape[-1] < 2:
        return None
    digits = x.argmax(-1)  # (B, T)
    if not torch.equal(torch.nn.functional.one_hot(digits, x.shape[-1]).to(x.dtype), x):
        return None
    return digits.T.contiguous()  # (T, B)


def _fuse(params: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """W = [W_x | b | W_h] (4H, D+1+H) from (W_kx, W_kh, b_k) for k in FUSED_ORDER."""
    W_x = torch.cat(params[0::3])  # (4H, D)
    W_h = torch.cat(params[1::3])  # (4H, H)
    b = torch.cat(params[2::3])  # (4H,)
    return torch.cat((W_x, b[:, None], W_h), dim=1)


def _input_projections(
    x: torch.Tensor, W: torch.Tensor, Z: torch.Tensor, acts: torch.Tensor
) -> None:
    """Fill acts (T, B, 4H) with [x_t | 1] W_x^T for every step at once, before the loop: a row
    lookup for one-hot inputs (the book's), else one matrix product over all steps."""
    T, B, H4 = acts.shape
    D = x.shape[-1]
    digits = _one_hot_digits(x)  # (T, B) or None
    if digits is not None:
        table = (
            W[:, :D] + W[:, D : D + 1]
        ).T.contiguous()  # (D, 4H): W_x^T plus the bias
        torch.index_select(table, 0, digits.view(-1), out=acts.view(T * B, H4))
    else:
        torch.mm(
            Z[:T, :, : D + 1].reshape(T * B, D + 1),
            W[:, : D + 1].T,
            out=acts.view(T * B, H4),
        )


def _parameter_grads(
    dW_T: torch.Tensor, D: int, H: int, scales: torch.Tensor
) -> list[torch.Tensor]:
    """(dW_kx, dW_kh, db_k) for k in FUSED_ORDER from dW_T (D+1+H, 4H), with the gate scales of
    _gate_scales divided out. Each parameter's gradient is one contiguous block, so that autograd
    keeps it as the .grad tensor instead of copying it."""

    def unscaled(block: torch.Tensor) -> torch.Tensor:  # (4, H, k) -> contiguous copy
        return torch.div(block, scales.view(4, H, 1))

    dW_x = unscaled(dW_T[:D].T.view(4, H, D))  # (4, H, D)
    dW_h = unscaled(dW_T[D + 1 :].T.view(4, H, H))  # (4, H, H)
    db = unscaled(dW_T[D].view(4, H, 1))[..., 0]  # (4, H)
    grads = []
    for k in range(4):
        grads += [dW_x[k], dW_h[k], db[k]]
    return grads


def _run_forward(x, W, buf: _Buffers, start=None) -> None:
    """The forward pass over x (B, T, D) into buf's Z, acts, C and S, from start = (h_0, c_0)
    (each (B, H); zeros when None). W (4H, D+1+H) is fused, its g rows already doubled."""
    T, D = x.shape[1], x.shape[2]
    Z, C = buf.Z, buf.C
    Z[:T, :, :D].copy_(x.transpose(0, 1))  # (T, B, D) time-major inputs
    with torch.inference_mode():  # lighter dispatch; versions still bump
        _input_projections(x, W, Z, buf.acts)  # (T, B, 4H) before the loop
        W_hT = W[:, D + 1 :].T  # (H, 4H)
        if start is None:  # h_0 = c_0 = 0
            Z[0, :, D + 1 :].zero_()
            C[0].zero_()
        else:
            Z[0, :, D + 1 :].copy_(start[0])
            torch.mul(start[1], -2.0, out=C[0])  # the loop keeps C = -2c
            buf.acts[0].addmm_(start[0], W_hT)  # the loop's step 0 skips h_0 W_h^T
        if buf.forward_steps is None:
            buf.forward_steps = _forward_steps(Z, buf.acts, C, buf.S)
        _forward_loop(buf.forward_steps, W_hT)


def _backward_pass(W, acts, C, S, buf: _Buffers, dh, dc=None):
    """_backward_loop from dh (and dc, see there) over a pass left in acts, C and S; returns
    d (T, B, 4H) scaled and M (B, 4, H). Sets buf.scales: the (4H, 1) gate scales of d and of
    W's rows (_gate_scales)."""
    H = acts.shape[-1] // 4
    D = W.shape[1] - 1 - H
    with torch.inference_mode():
        if buf.scales is None:
            buf.scales = _gate_scales(W, H), _gate_scales(W, H, g=0.5)
        if buf.backward_steps is None:
            buf.backward_steps = _backward_steps(acts, buf.d, buf.k_c)
        W_hs = W[:, D + 1 :] / buf.scales[1]  # (4H, H)
        steps = buf.backward_steps
        return _backward_loop(
            dh.contiguous(), acts, C, S, W_hs, buf.d, buf.k_c, steps, dc
        )


def _input_grad(d_flat, W, W_scales, T: int, B: int, D: int) -> torch.Tensor:
    """dL/dx (B, T, D) from d (T·B, 4H) scaled."""
    W_x = W[:, :D] / W_scales  # (4H, D)
    return (d_flat @ W_x).view(T, B, D).transpose(0, 1)


class _FusedLSTMFunction(torch.autograd.Function):
    """h_T (B, H) of the LSTM from x (B, T, D) and the gate parameters in FUSED_ORDER."""

    @staticmethod
    def forward(ctx, x, pool, *params):
        B, T, D = x.shape
        H = params[0].shape[0]
        W = _fuse(params)  # (4H, D+1+H)
        with torch.inference_mode():
            W[3 * H :].mul_(2.0)  # g rows doubled: tanh z = 2σ(2z) - 1
        ctx.lease = pool.lease(x, T, B, D, H)
        buf = ctx.lease.buffers
        _run_forward(x, W, buf)
        ctx.save_for_backward(W, buf.Z, buf.acts, buf.C, buf.S)
        return buf.Z[T, :, D + 1 :].clone()  # (B, H)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dh_T):
        W, Z, acts, C, S = ctx.saved_tensors  # checks that no later pass overwrote them
        T, B, H4 = acts.shape
        H = H4 // 4
        D = W.shape[1] - 1 - H
        buf = ctx.lease.buffers or _Buffers(
            acts, T, B, D, H
        )  # a second backward gets fresh scratch
        d, _ = _backward_pass(W, acts, C, S, buf, dh_T)  # (T, B, 4H) scaled
        scales, W_scales = buf.scales
        d_flat = d.view(T * B, H4)  # (T·B, 4H)
        dW_T = Z[:T].reshape(T * B, -1).T @ d_flat  # (D+1+H, 4H) all weights, all steps
        dx = None
        if ctx.needs_input_grad[0]:
            dx = _input_grad(d_flat, W, W_scales, T, B, D)  # (B, T, D)
        ctx.lease.release()
        return (dx, None, *_parameter_grads(dW_T, D, H, scales))


class FastLSTM(LSTM):
    """``lib.lstm.LSTM`` with a fused, hand-differentiated ``forward`` for training.

    Same constructor, parameters and state dict as ``LSTM``; ``step`` and ``states`` are inherited
    unchanged (they stay the readable reference). Above ``fast_segments.SEGMENT_ABOVE`` steps,
    or when T exceeds ``segment``, the backward pass recomputes the forward in segments of
    ``segment`` steps (automatic when None) so that memory does not grow with T's activations.
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int,
        output_dim: int,
        forget_bias: float = 1.0,
        segment: int | None = None,
    ):
        super().__init__(input_dim, hidden_dim, output_dim, forget_bias)
        if segment is not None:
            checks.whole("segment", segment)
        self.segment = segment  # steps per recomputed segment (lib.lstm.fast_segments)
        self._buffer_pool = (
            _BufferPool()
        )  # not state: scratch memory reused from step to step

    def gate_parameters(self) -> tuple[torch.Tensor, ...]:
        """(W_kx, W_kh, b_k) for k in FUSED_ORDER, flattened."""
        params = self._parameters  # plain dict: cheaper than getattr
        return tuple(params[name] for name in _GATE_PARAMETER_NAMES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, D) -> logits p (B, O) of the last step."""
        if x.dim() != 3 or x.shape[-1] != self.input_dim or x.shape[1] == 0:
            raise ValueError(
                f"expected x of shape (batch, T, {self.input_dim}) with T >= 1, got {tuple(x.shape)}"
            )
        if x.dtype != self.W_gx.dtype or x.device != self.W_gx.device:
            raise ValueError(
                f"x is {x.dtype} on {x.device} but the model is {self.W_gx.dtype} on "
                f"{self.W_gx.device}: move one of them with .to(...)"
            )
        from lib.lstm import fast_segments  # it builds on this module's passes

        S = fast_segments.segment_length(x.shape[1], self.segment)
        params = self.gate_parameters()
        if S is None:  # one whole pass: the fast path
            h_T = _FusedLSTMFunction.apply(x, self._buffer_pool, *params)  # (B, H)
        else:  # long T: memory for S steps, not T
            segmented = fast_segments._SegmentedLSTMFunction
            h_T = segmented.apply(x, self._buffer_pool, S, *params)  # (B, H)
        return torch.addmm(self.b_p, h_T, self.W_ph.T)  # (B, O)
