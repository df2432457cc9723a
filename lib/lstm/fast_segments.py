"""FastLSTM at long T in bounded memory (chapter 02): the forward pass recomputed segment by segment.

``FastLSTM``'s backward pass reads every step's activations, about 6 KB per example and step at
H = 128: 8 GB for one batch of 128 palindromes of T = 10,000. Gradient checkpointing (Chen et al.,
2016, "Training deep nets with sublinear memory cost") keeps only the state (h, c) at the start of
each segment of S steps. The backward pass then walks the segments from the last to the first: it
runs the segment's forward again from its saved start, then chapter 01's backward loop from the
(dh, dc) that the later segments send back, which leaves dh and dc at the segment's start for the
segment before it. Memory: one segment's buffers (S steps) and T/S starts; time: one more forward
pass. The arithmetic is that of ``lib.lstm.fast`` step for step, so the gradients agree with the
whole-sequence pass up to the order of the sums over segments.

Over hundreds of steps dh and dc shrink through the forget gates into subnormal floats, on which
x86 arithmetic is many times slower, and they never reach zero: the smallest subnormal times
f > 1/2 rounds back to itself. A step at T = 10,000 took 64 s instead of 8 s on this book's 2-core
machine. So at each segment's start, gradients below FLOOR times the dtype's smallest normal
number are set to zero: the segments before it then see exact zeros, which are fast.
"""

from __future__ import annotations

import torch

from lib.lstm.fast import (
    _backward_pass,
    _fuse,
    _input_grad,
    _parameter_grads,
    _run_forward,
)
from lib.lstm.fast_loops import _BufferPool, _gate_scales

SEGMENT_ABOVE = 500  # automatic: one whole pass up to this many steps (the fast path)
SEGMENT = 250  # automatic: steps per segment above it (about 200 MB of buffers at B = H = 128)
FLOOR = (
    2.0**20
)  # gradients below FLOOR · finfo.tiny (1e-32 in float32) become 0 at segment starts


def segment_length(T: int, segment: int | None = None) -> int | None:
    """Steps per segment for a pass over T steps, or None for one whole pass.

    ``segment`` None is automatic: whole passes up to SEGMENT_ABOVE steps, else SEGMENT.
    """
    if segment is None:
        return SEGMENT if T > SEGMENT_ABOVE else None
    return segment if segment < T else None


def _flush_tiny(*grads: torch.Tensor) -> None:
    """Set entries below FLOOR · (smallest normal number) to zero, in place."""
    for g in grads:
        g.masked_fill_(g.abs() < FLOOR * torch.finfo(g.dtype).tiny, 0.0)


def _segment_forward(x: torch.Tensor, W: torch.Tensor, pool: _BufferPool, start):
    """One segment x (B, L, D) from start (h, c) (None: zeros); returns its end (h, c), (B, H) each."""
    B, L, D = x.shape
    H = W.shape[0] // 4
    lease = pool.lease(x, L, B, D, H)
    buf = lease.buffers
    _run_forward(x, W, buf, start)
    end = buf.Z[L, :, D + 1 :].clone(), buf.C[L] * -0.5  # C keeps -2c
    lease.release()
    return end


def _segment_backward(x, W, pool: _BufferPool, start, dh, dc, dW_T, dx):
    """Recompute segment x (B, L, D) from start, backpropagate (dh, dc) from its end through it,
    add its weight gradient to dW_T (D+1+H, 4H) and write its dL/dx into dx (B, L, D) unless None.
    Returns (dh, dc) at its start, (B, H) each."""
    B, L, D = x.shape
    H = W.shape[0] // 4
    lease = pool.lease(x, L, B, D, H)
    buf = lease.buffers
    _run_forward(x, W, buf, start)
    d, M = _backward_pass(W, buf.acts, buf.C, buf.S, buf, dh, dc)  # (L, B, 4H) scaled
    d_flat = d.view(L * B, 4 * H)  # (L·B, 4H)
    dW_T.addmm_(buf.Z[:L].reshape(L * B, -1).T, d_flat)  # (D+1+H, 4H)
    if dx is not None:
        dx.copy_(_input_grad(d_flat, W, buf.scales[1], L, B, D))  # (B, L, D)
    dh, dc = M[:, 0].clone(), M[:, 1].clone()  # (B, H) each
    lease.release()
    return dh, dc


class _SegmentedLSTMFunction(torch.autograd.Function):
    """h_T (B, H) as ``_FusedLSTMFunction``, saving only the start of every segment of steps."""

    @staticmethod
    def forward(ctx, x, pool, segment, *params):
        H = params[0].shape[0]
        W = _fuse(params)  # (4H, D+1+H)
        with torch.inference_mode():
            W[3 * H :].mul_(2.0)  # g rows doubled: tanh z = 2σ(2z) - 1
        ctx.starts, start = [], None
        for a in range(0, x.shape[1], segment):
            ctx.starts.append(start)
            start = _segment_forward(x[:, a : a + segment], W, pool, start)
        ctx.pool, ctx.segment = pool, segment
        ctx.save_for_backward(x, W)
        return start[0]  # (B, H)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dh_T):
        x, W = ctx.saved_tensors
        B, T, D = x.shape
        H, S = W.shape[0] // 4, ctx.segment
        dW_T = W.new_zeros(D + 1 + H, 4 * H)  # summed over the segments
        dx = torch.empty_like(x) if ctx.needs_input_grad[0] else None  # (B, T, D)
        dh, dc = dh_T.contiguous(), dh_T.new_zeros(B, H)  # nothing reaches c_T
        for k in reversed(range(len(ctx.starts))):
            part = slice(k * S, (k + 1) * S)
            dx_k = None if dx is None else dx[:, part]
            dh, dc = _segment_backward(
                x[:, part], W, ctx.pool, ctx.starts[k], dh, dc, dW_T, dx_k
            )
            _flush_tiny(dh, dc)  # see the module docstring: subnormals are slow
        scales = _gate_scales(W, H)  # (4H, 1)
        return (dx, None, None, *_parameter_grads(dW_T, D, H, scales))
