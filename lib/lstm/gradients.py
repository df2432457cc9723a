"""Gradient diagnostics of chapter 01: autograd as the referee, and how ∂L/∂h_t fades back in time.

The models here (``lib.lstm.LSTM`` and ``lib.lstm.rnn.RNN``) both read the class from their last hidden
state with ``p = W_ph h_T + b_p``; the loss is the batch-mean cross-entropy of p.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from lib.lstm.cell import LSTM
from lib.lstm.rnn import RNN


def autograd_loss_and_grads(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The loss of ``model(x)`` against ``y`` and every parameter's gradient, from autograd."""
    names, params = zip(*model.named_parameters())
    loss = F.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, params)
    return loss.detach(), dict(zip(names, grads))


class GradCheck(NamedTuple):
    """One row of the comparison table: a parameter and how far two gradients of it lie apart."""

    name: str
    shape: tuple[int, ...]
    max_abs_diff: float
    matches: bool


def compare_grads(
    mine: dict[str, torch.Tensor],
    reference: dict[str, torch.Tensor],
    atol: float = 1e-10,
    rtol: float = 1e-10,
) -> list[GradCheck]:
    """Compare two gradient dicts name by name (``torch.allclose`` with the given tolerances)."""
    if mine.keys() != reference.keys():
        raise ValueError(
            f"the two dicts name different parameters: {sorted(mine.keys() ^ reference.keys())}"
        )
    rows = []
    for name, ref in reference.items():
        got = mine[name]
        same_shape = got.shape == ref.shape
        diff = (got - ref).abs().max().item() if same_shape else float("inf")
        ok = same_shape and torch.allclose(got, ref, atol=atol, rtol=rtol)
        rows.append(GradCheck(name, tuple(ref.shape), diff, ok))
    return rows


def first_digit_task(
    batch: int, T: int, generator: torch.Generator, dtype: torch.dtype = torch.float64
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random digits 0-9, one-hot, as x (batch, T, 10); the target y (batch,) is the first digit.

    Like the palindrome task, the answer sits at the far end of the sequence, so the gradient
    that could teach it must travel back through all T steps.
    """
    digits = torch.randint(0, 10, (batch, T), generator=generator)  # (B, T)
    x = F.one_hot(digits, 10).to(dtype)  # (B, T, 10)
    return x, digits[:, 0]


def _hidden_states(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    if isinstance(model, LSTM):
        return [s.h for s in model.states(x)]
    if isinstance(model, RNN):
        return model.hiddens(x)
    raise ValueError(
        f"expected a lib.lstm.LSTM or lib.lstm.rnn.RNN, got {type(model).__name__}"
    )


def hidden_grad_norms(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> torch.Tensor:
    """‖∂L/∂h_t‖ for t = 1..T, a (T,) tensor; the norm is taken over the whole (B, H) gradient.

    ∂L/∂h_t is the total derivative: every path from h_t to the loss, through later steps and (for
    the LSTM) through the cell state as well. ``torch.autograd.grad`` with respect to the
    intermediate h_t gives exactly that, and leaves the parameters' ``.grad`` untouched.
    """
    hs = _hidden_states(model, x)  # T tensors, each (B, H)
    p = hs[-1] @ model.W_ph.T + model.b_p  # (B, O)
    grads = torch.autograd.grad(F.cross_entropy(p, y), hs)
    return torch.stack([g.norm() for g in grads]).detach()  # (T,)


def decay_per_step(norms: torch.Tensor) -> float:
    """The average factor by which ‖∂L/∂h_t‖ shrinks per step back in time (geometric mean)."""
    T = norms.shape[0]
    if T < 2:
        raise ValueError("need at least two steps to measure a decay")
    return (norms[0] / norms[-1]).item() ** (1.0 / (T - 1))


def plot_grad_norms(norms: dict[str, torch.Tensor], ax=None):
    """Plot ‖∂L/∂h_t‖ against t, one line per model, on a log y-axis; returns the Axes."""
    import matplotlib.pyplot as plt  # only the notebooks need matplotlib

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    styles = ["-", "--", "-.", ":"]  # tell the lines apart in grey print as well
    for k, (label, values) in enumerate(norms.items()):
        ax.semilogy(
            range(1, len(values) + 1),
            values.cpu().numpy(),
            styles[k % 4],
            label=label,
            lw=2,
        )
    ax.set_title("How far the loss reaches back: gradient norm per time step")
    ax.set_xlabel("time step t (the loss is read at the last step)")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$ (log scale)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    return ax
