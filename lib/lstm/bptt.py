"""The backward pass of chapter 01, derived by hand: backpropagation through time, gate by gate.

For the loss L = cross-entropy(p, y), averaged over the batch, of the logits p = W_ph h_T + b_p of
the last step, the gradients flow back as

    dp      = (softmax(p) - onehot(y)) / B
    dh_T    = dp W_ph                                   (W_ph^T dp for one column vector)
    and for t = T, ..., 1, with dc_{T+1} ⊙ f_{T+1} read as 0:
    do      = dh ⊙ tanh(c)
    dc      = dc_next ⊙ f_next + dh ⊙ o ⊙ (1 - tanh²(c))
    dg, di, df = dc ⊙ i, dc ⊙ g, dc ⊙ c_prev
    da_g    = dg ⊙ (1 - g²);  da_i, da_f, da_o = di ⊙ i(1-i), df ⊙ f(1-f), do ⊙ o(1-o)
    dh_prev = Σ_gates da_gate W_gate,h

where ``da_gate`` is the gradient of the gate's pre-activation (what goes into σ or tanh). The weight
gradients add up over the steps: dW_gate,x += da_gate^T x_t, dW_gate,h += da_gate^T h_prev,
db_gate += Σ_batch da_gate. Everything is plain tensor algebra; autograd is not used here, which is
what lets the chapter check this file against autograd.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from lib.lstm.cell import GATES, LSTM, LSTMState


class StepGrads(NamedTuple):
    """What the backward pass of one step hands on."""

    da: dict[str, torch.Tensor]  # gate name -> gradient of its pre-activation, (B, H)
    dh_prev: torch.Tensor  # ∂L/∂h_{t-1} along every path, (B, H)
    dc_prev: torch.Tensor  # ∂L/∂c_{t-1} through the cell's additive path only, (B, H)


def head_backward(
    model: LSTM, h_T: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, dict, torch.Tensor]:
    """Loss of the read-out p = W_ph h_T + b_p, its parameter gradients, and dh_T."""
    p = h_T @ model.W_ph.T + model.b_p  # (B, O)
    loss = F.cross_entropy(p, y)  # mean over the batch
    onehot = F.one_hot(y, model.output_dim).to(p.dtype)  # (B, O)
    dp = (torch.softmax(p, dim=-1) - onehot) / p.shape[0]  # (B, O): the mean's 1/B
    grads = {"W_ph": dp.T @ h_T, "b_p": dp.sum(0)}  # (O, H), (O,)
    dh_T = dp @ model.W_ph  # (B, H)
    return loss, grads, dh_T


def step_backward(
    s: LSTMState, c_prev: torch.Tensor, dh: torch.Tensor, dc: torch.Tensor, model: LSTM
) -> StepGrads:
    """Back through one step (chapter 01, "One step backwards").

    ``dh`` is ∂L/∂h_t; ``dc`` is what reaches c_t along the cell from step t+1.
    """
    tanh_c = torch.tanh(s.c)  # (B, H)
    do = dh * tanh_c  # h = tanh(c) ⊙ o
    dc = dc + dh * s.o * (1 - tanh_c**2)  # both ways into c_t
    dg, di, df = dc * s.i, dc * s.g, dc * c_prev  # c = g ⊙ i + c_prev ⊙ f
    da = {
        "g": dg * (1 - s.g**2),  # tanh' = 1 - tanh²
        "i": di * s.i * (1 - s.i),  # σ' = σ(1 - σ)
        "f": df * s.f * (1 - s.f),
        "o": do * s.o * (1 - s.o),
    }
    dh_prev = sum(da[k] @ getattr(model, f"W_{k}h") for k in GATES)  # (B, H)
    dc_prev = dc * s.f  # ∂c_t/∂c_{t-1} = diag(f_t)
    return StepGrads(da, dh_prev, dc_prev)


def _gate_param_names() -> list[str]:
    """W_gx, W_gh, b_g, W_ix, ... in the order of the model's parameters."""
    return [name for k in GATES for name in (f"W_{k}x", f"W_{k}h", f"b_{k}")]


def _accumulate(grads: dict, da: dict, x_t: torch.Tensor, h_prev: torch.Tensor) -> None:
    """Add one step's share to the weight gradients (the same weights serve every step)."""
    for k in GATES:
        grads[f"W_{k}x"] += da[k].T @ x_t  # (H, D)
        grads[f"W_{k}h"] += da[k].T @ h_prev  # (H, H)
        grads[f"b_{k}"] += da[k].sum(0)  # (H,)


class BPTTResult(NamedTuple):
    """The loss, every parameter's gradient, and ∂L/∂h_t for t = 1..T."""

    loss: torch.Tensor  # scalar
    grads: dict[str, torch.Tensor]  # keyed like model.named_parameters()
    dh: list[torch.Tensor]  # T tensors, each (B, H)


@torch.no_grad()
def lstm_backward(model: LSTM, x: torch.Tensor, y: torch.Tensor) -> BPTTResult:
    """Forward over x (B, T, D), then the hand-derived backward pass for class targets y (B,)."""
    if y.dim() != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(
            f"expected y of shape ({x.shape[0]},) to match x, got {tuple(y.shape)}"
        )
    states = model.states(x)  # T states, each (B, H)
    loss, head_grads, dh = head_backward(model, states[-1].h, y)
    grads = {
        name: torch.zeros_like(getattr(model, name)) for name in _gate_param_names()
    }
    zeros = torch.zeros_like(dh)  # h_0 = c_0 = 0
    dc = zeros  # nothing flows in after step T
    dhs = []
    for t in reversed(range(len(states))):
        dhs.append(dh)
        h_prev = states[t - 1].h if t > 0 else zeros
        c_prev = states[t - 1].c if t > 0 else zeros
        back = step_backward(states[t], c_prev, dh, dc, model)
        _accumulate(grads, back.da, x[:, t], h_prev)
        dh, dc = back.dh_prev, back.dc_prev
    grads.update(head_grads)
    return BPTTResult(loss, grads, dhs[::-1])


def lstm_loss_and_grads(
    model: LSTM, x: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Cross-entropy of the last step's logits and its gradient for every parameter, by hand.

    x: (B, T, D) inputs, y: (B,) class indices. Returns ``(loss, grads)`` with ``grads`` keyed
    like ``model.named_parameters()`` (W_gx, W_gh, b_g, ..., W_ph, b_p).
    """
    result = lstm_backward(model, x, y)
    return result.loss, result.grads
