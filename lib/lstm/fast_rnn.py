"""A fast training path for chapter 02's vanilla RNN: the same equations, a hand-derived backward.

``FastRNN`` has the constructor, the parameters and the logits of ``lib.lstm.rnn.RNN``; only the time
loop differs. With a_t = W_hx x_t + W_hh h_{t-1} + b_h and h_t = tanh(a_t), the loss L depends on
h_T only (the read-out of the last step), and back-propagation through time is

    δa_t = δh_t ⊙ (1 - h_t²),      δh_{t-1} = δa_t W_hh,      ∂L/∂W_hh = Σ_t δa_tᵀ h_{t-1}.

The loop does two calls per step in each direction, instead of autograd's graph of several nodes per
step, and the weight gradient is one matrix product over all steps after the loop. The input
projections ``x W_hxᵀ + b_h`` stay with autograd, which turns δa into the gradients of W_hx and b_h.
"""

from __future__ import annotations

import torch

from lib.lstm.cell import check_input
from lib.lstm.rnn import RNN


class _Recurrence(torch.autograd.Function):
    """h_T from the input projections xw (T, B, H) and W_hh (H, H), starting at h_0 = 0."""

    @staticmethod
    def forward(ctx, xw: torch.Tensor, W_hh: torch.Tensor) -> torch.Tensor:
        T, B, H = xw.shape
        hs = xw.new_zeros(T + 1, B, H)  # h_0 .. h_T
        for t in range(T):
            torch.addmm(xw[t], hs[t], W_hh.T, out=hs[t + 1])  # (B, H): a_t
            hs[t + 1].tanh_()  # h_t
        ctx.save_for_backward(hs, W_hh)
        return hs[T].clone()  # (B, H)

    @staticmethod
    def backward(ctx, dh: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hs, W_hh = ctx.saved_tensors
        T, B, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
        slope = 1 - hs[1:] ** 2  # (T, B, H): tanh'(a_t), for all steps at once
        da = torch.empty_like(slope)  # (T, B, H): δa_t
        for t in range(T - 1, -1, -1):
            torch.mul(dh, slope[t], out=da[t])
            dh = da[t] @ W_hh  # (B, H): δh_{t-1}
        dW_hh = da.reshape(T * B, H).T @ hs[:-1].reshape(T * B, H)  # (H, H)
        return da, dW_hh


class FastRNN(RNN):
    """``lib.lstm.rnn.RNN`` with the hand-derived backward pass above (same parameters, same logits)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, D) -> logits p (B, O) of the last step."""
        check_input(x, self.input_dim)
        xw = (x @ self.W_hx.T + self.b_h).transpose(0, 1).contiguous()  # (T, B, H)
        h = _Recurrence.apply(xw, self.W_hh)  # (B, H)
        return h @ self.W_ph.T + self.b_p  # (B, O)
