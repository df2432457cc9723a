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


# Okabe-Ito colours (safe with the common colour-vision deficiencies) and line styles that
# still tell the curves apart in grey print.
COLOURS = ("#000000", "#D55E00", "#009E73", "#0072B2")
STYLES = ("-", "--", "-.", ":")


def _draw_norms(ax, norms: dict[str, torch.Tensor], keys: list[str]) -> None:
    """One line per model, coloured and styled by its position in ``norms``."""
    for k, label in enumerate(norms):
        if label in keys:
            values = norms[label].cpu().numpy()  # (T,)
            style = dict(color=COLOURS[k % 4], linestyle=STYLES[k % 4], lw=2)
            ax.semilogy(range(1, len(values) + 1), values, label=label, **style)
    ax.set_xlabel("time step t (the loss is read at t = T)")
    ax.grid(True, which="major", alpha=0.3)


def plot_grad_norms(norms: dict[str, torch.Tensor], zoom: str | None = None):
    """‖∂L/∂h_t‖ against t, one line per model, on a log y-axis (chapter 01's figure).

    With ``zoom``, a second panel shows that one model alone on its own, much narrower
    log axis, where shapes that the wide axis flattens become visible. Returns the Figure.
    """
    import matplotlib.pyplot as plt  # only the notebooks need matplotlib

    if zoom is None:
        fig, ax = plt.subplots(figsize=(7.5, 4))
        axes = [ax]
    else:
        fig, axes = plt.subplots(
            1, 2, figsize=(9, 4), gridspec_kw={"width_ratios": [3, 2]}
        )
    _draw_norms(axes[0], norms, list(norms))
    axes[0].set_title("All models")
    for ax in axes:
        ax.set_ylabel(r"$\|\partial L / \partial h_t\|$ (log scale)")
    axes[0].legend(loc="lower right")
    if zoom is not None:
        _draw_norms(axes[1], norms, [zoom])
        axes[1].set_title(f"{zoom} alone, zoomed in")
        axes[1].grid(True, which="minor", alpha=0.15)
    fig.tight_layout()
    return fig
