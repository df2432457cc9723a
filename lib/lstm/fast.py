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


class _FusedLSTMFunction(torch.autograd.Function):
    """h_T (B, H) of the LSTM from x (B, T, D) and the gate parameters in FUSED_ORDER."""

    @staticmethod
    def forward(ctx, x, pool, *params):
        B, T, D = x.shape
        H = params[0].shape[0]
        W = _fuse(params)  # (4H, D+1+H)
        ctx.lease = pool.lease(x, T, B, D, H)
        buf = ctx.lease.buffers
        Z = buf.Z
        Z[:T, :, :D].copy_(x.transpose(0, 1))  # (T, B, D) time-major inputs
        with torch.inference_mode():  # lighter dispatch; versions still bump
            W[3 * H :].mul_(2.0)  # g rows doubled: tanh z = 2σ(2z) - 1
            _input_projections(x, W, Z, buf.acts)  # (T, B, 4H) before the loop
            if buf.forward_steps is None:
                buf.forward_steps = _forward_steps(Z, buf.acts, buf.C, buf.S)
            _forward_loop(buf.forward_steps, W[:, D + 1 :].T)
        ctx.save_for_backward(W, Z, buf.acts, buf.C, buf.S)
        return Z[T, :, D + 1 :].clone()  # (B, H)

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
        with torch.inference_mode():
            if buf.scales is None:
                buf.scales = _gate_scales(W, H), _gate_scales(W, H, g=0.5)
            scales, W_scales = buf.scales  # (4H, 1) for d, and for W's rows
            W_x = W[:, :D] / W_scales  # (4H, D)
            if buf.backward_steps is None:
                buf.backward_steps = _backward_steps(acts, buf.d, buf.k_c)
            d = _backward_loop(
                dh_T.contiguous(),
                acts,
                C,
                S,
                W[:, D + 1 :] / W_scales,
                buf.d,
                buf.k_c,
                buf.backward_steps,
            )  # (T, B, 4H) scaled
        d_flat = d.view(T * B, H4)  # (T·B, 4H)
        dW_T = Z[:T].reshape(T * B, -1).T @ d_flat  # (D+1+H, 4H) all weights, all steps
        dx = None
        if ctx.needs_input_grad[0]:
            dx = (d_flat @ W_x).view(T, B, D).transpose(0, 1)  # (B, T, D)
        ctx.lease.release()
        return (dx, None, *_parameter_grads(dW_T, D, H, scales))


class FastLSTM(LSTM):
    """``lib.lstm.LSTM`` with a fused, hand-differentiated ``forward`` for training.

    Same constructor, parameters and state dict as ``LSTM``; ``step`` and ``states`` are inherited
    unchanged (they stay the readable reference).
    """

    def __init__(
        self, input_dim: int, hidden_dim: int, output_dim: int, forget_bias: float = 1.0
    ):
        super().__init__(input_dim, hidden_dim, output_dim, forget_bias)
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
        h_T = _FusedLSTMFunction.apply(
            x, self._buffer_pool, *self.gate_parameters()
        )  # (B, H)
        return torch.addmm(self.b_p, h_T, self.W_ph.T)  # (B, O)
