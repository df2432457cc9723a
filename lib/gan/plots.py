"""Figures of chapters 03 and 04; they only read what training and evaluation returned.

Every figure is drawn in ``STYLE``: the Okabe–Ito colours, which stay distinct under the common
forms of colour blindness, and fonts large enough to read when the book shrinks a figure to its
page column (about 750 px).
"""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import torch
from cycler import cycler

from lib.gan.snapshots import grid, show_grid

OKABE_ITO = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#000000",
]
STYLE = {
    "axes.prop_cycle": cycler(color=OKABE_ITO),
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "legend.fontsize": 11,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
}


def book_style(plot):
    """Draw the figure that ``plot`` returns under ``STYLE`` (ticks and text are fixed at drawing)."""

    @functools.wraps(plot)
    def styled(*args, **kwargs):
        with plt.rc_context(STYLE):
            fig = plot(*args, **kwargs)
            fig.canvas.draw()
        return fig

    return styled


def _legend_outside(ax) -> None:
    """The legend to the right of the axes, where it cannot hide a curve or a reference line."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)


@book_style
def plot_loss_gradients(logits: torch.Tensor, grads: dict[str, torch.Tensor]):
    """The two generator losses' gradients against D(G(z)) = σ(l) (left) and against the logit l (right)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    d = torch.sigmoid(logits)
    for (name, g), style in zip(grads.items(), ("-", "--")):
        axes[0].plot(d, g, style, lw=2, label=name)
        axes[1].plot(logits, g, style, lw=2, label=name)
    axes[0].set(
        title="Against D(G(z))",
        xlabel="D(G(z)), the verdict on a fake",
        ylabel="d loss / d l",
    )
    axes[1].set(title="Against the logit l", xlabel="logit l, where D(G(z)) = σ(l)")
    for ax in axes:
        ax.axhline(0, color="grey", lw=0.5)
    axes[1].legend(loc="center right")
    fig.tight_layout()
    return fig


@book_style
def plot_snapshots(snapshots: dict[str, torch.Tensor], epochs: dict[str, str]):
    """The begin / middle / final 5×5 grids side by side (the same fixed noise in each)."""
    fig, axes = plt.subplots(1, len(snapshots), figsize=(3.3 * len(snapshots), 3.6))
    for ax, (name, images) in zip(axes, snapshots.items()):
        show_grid(ax, images, epochs[name])
    fig.tight_layout()
    return fig


def _finish(fig, ax, title: str, xlabel: str, ylabel: str, outside: bool = False):
    """Title and axis labels, the legend and a tight layout: the end of a one-panel figure."""
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    _legend_outside(ax) if outside else ax.legend()
    fig.tight_layout()
    return fig


def _smooth(values: list[float], width: int) -> torch.Tensor:
    x = torch.tensor(values, dtype=torch.float64)
    width = max(1, min(width, len(x)))
    # the moving average
    return torch.nn.functional.avg_pool1d(x[None, None], width, stride=1)[0, 0]


_HISTORY_LABELS = {
    "loss_d": "D loss",
    "loss_g": "G loss (non-saturating)",
    "d_real": "D(x), real digits",
    "d_fake": "D(G(z)), fakes",
}


@book_style
def plot_history(
    history: dict[str, list[float]], steps_per_epoch: int, width: int = 100
):
    """Losses (left) and D(x), D(G(z)) (right) against epochs, as moving averages over ``width`` steps."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, names, title, ylabel in (
        (axes[0], ("loss_d", "loss_g"), "Losses", "BCE loss"),
        (axes[1], ("d_real", "d_fake"), "D's verdicts", "mean probability of 'real'"),
    ):
        for name, style in zip(names, ("-", "--")):
            y = _smooth(history[name], width)
            x = (torch.arange(len(y)) + width / 2) / steps_per_epoch
            ax.plot(x, y, style, label=_HISTORY_LABELS[name])
        ax.set(title=f"{title}, {width}-step average", xlabel="epoch", ylabel=ylabel)
        ax.legend()
    axes[1].axhline(0.5, color="grey", lw=0.8, ls=":")
    fig.tight_layout()
    return fig


@book_style
def plot_fid(
    epochs: list[int],
    fids: list[float],
    floor: float,
    seeds: dict[int, tuple[list[int], list[float]]] | None = None,
):
    """FID of the tracked samples over training, with the real-vs-real floor; ``seeds`` maps a seed to
    the (epochs, fids) of a saved run, drawn as a faint line behind this run's."""
    fig, ax = plt.subplots(figsize=(9, 3.8))
    for k, (seed, (seed_epochs, seed_fids)) in enumerate(sorted((seeds or {}).items())):
        ax.plot(
            seed_epochs,
            seed_fids,
            color="grey",
            alpha=0.5,
            lw=1,
            label="saved seeds" if k == 0 else None,
        )
    ax.plot(epochs, fids, marker="o", color=OKABE_ITO[0], label="this run")
    ax.axhline(floor, color="k", ls="--", label="floor: real vs\nreal digits")
    ax.set_yscale("log")
    return _finish(
        fig,
        ax,
        "FID of 1,000 samples vs the test digits",
        "epoch",
        "FID (log scale)",
        True,
    )


@book_style
def plot_class_counts(counts: list[int], real_counts: list[int] | None = None):
    """How many generated digits the classifier puts in each class (and the same share of real ones)."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    digits = torch.arange(10)
    ax.bar(digits - 0.2, counts, width=0.4, label="generated")
    if real_counts is not None:
        total, real_total = sum(counts), sum(real_counts)
        ax.bar(
            digits + 0.2,
            [c * total / real_total for c in real_counts],
            width=0.4,
            hatch="//",
            label="test digits\n(rescaled)",
        )
    ax.set_xticks(digits.tolist())
    return _finish(
        fig,
        ax,
        "Class distribution of generated digits",
        "digit (the classifier's label)",
        "count",
        True,
    )


@book_style
def plot_strips(rows: list[tuple[str, torch.Tensor]], title: str):
    """One interpolation strip per row, each labelled on the left."""
    fig, axes = plt.subplots(
        len(rows), 1, figsize=(9, 1.25 * len(rows) + 0.6), squeeze=False
    )
    for ax, (label, images) in zip(axes[:, 0], rows):
        ax.imshow(grid(images, nrow=len(images)).permute(1, 2, 0).numpy())  # (H, W, 3)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
    axes[0, 0].set_title(title)
    n = len(rows[0][1]) - 1
    axes[-1, 0].set_xlabel(f"x = {n}, {n - 1}, …, 0   (begin → end)")
    fig.tight_layout()
    return fig


@book_style
def plot_norms(norms: dict[str, list[float]], expected: float):
    """‖z‖ along the linear and the spherical paths, against the typical length of a noise vector."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for (name, values), marker in zip(norms.items(), ("o", "s")):
        ax.plot(range(len(values)), values, marker=marker, label=name)
    ax.axhline(
        expected, color="k", ls="--", label=f"typical ‖z‖\nof N(0, I): {expected:.1f}"
    )
    ax.set_ylim(0, 1.15 * max(expected, *(max(v) for v in norms.values())))
    return _finish(
        fig,
        ax,
        "Length of the noise vector along the path",
        "image in the strip (begin → end)",
        "‖z‖",
        True,
    )
