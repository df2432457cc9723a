"""Figures of chapters 03 and 04; they only read what training and evaluation returned."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from lib.gan.snapshots import grid, show_grid


def plot_loss_gradients(logits: torch.Tensor, grads: dict[str, torch.Tensor]):
    """The two generator losses' gradients against D(G(z)) = σ(l) (left) and against the logit l (right)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    d = torch.sigmoid(logits)
    for name, g in grads.items():
        axes[0].plot(d, g, label=name)
        axes[1].plot(logits, g, label=name)
    axes[0].set(
        title="Gradient of the generator's loss vs D(G(z))",
        xlabel="D(G(z))",
        ylabel="d loss / d logit",
    )
    axes[1].set(
        title="... vs the discriminator's logit",
        xlabel="logit l, with D(G(z)) = σ(l)",
        ylabel="d loss / d logit",
    )
    for ax in axes:
        ax.axhline(0, color="grey", lw=0.5)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_snapshots(snapshots: dict[str, torch.Tensor], epochs: dict[str, str]):
    """The begin / middle / final 5×5 grids side by side (the same fixed noise in each)."""
    fig, axes = plt.subplots(1, len(snapshots), figsize=(4 * len(snapshots), 4.4))
    for ax, (name, images) in zip(axes, snapshots.items()):
        show_grid(ax, images, f"{name} ({epochs[name]})")
        ax.set_xlabel("25 digits from one fixed noise batch")
    fig.tight_layout()
    return fig


def _finish(fig, ax, title: str, xlabel: str, ylabel: str):
    """Title and axis labels, the legend and a tight layout: the end of a one-panel figure."""
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    fig.tight_layout()
    return fig


def _smooth(values: list[float], width: int) -> torch.Tensor:
    x = torch.tensor(values, dtype=torch.float64)
    width = max(1, min(width, len(x)))
    # the moving average
    return torch.nn.functional.avg_pool1d(x[None, None], width, stride=1)[0, 0]


def plot_history(
    history: dict[str, list[float]], steps_per_epoch: int, width: int = 100
):
    """Losses (left) and D(x), D(G(z)) (right) against epochs, as moving averages over ``width`` steps."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, names, title, ylabel in (
        (axes[0], ("loss_d", "loss_g"), "Losses", "BCE loss"),
        (
            axes[1],
            ("d_real", "d_fake"),
            "The discriminator's verdicts",
            "mean probability of 'real'",
        ),
    ):
        for name in names:
            y = _smooth(history[name], width)
            x = (torch.arange(len(y)) + width / 2) / steps_per_epoch
            ax.plot(
                x,
                y,
                label={
                    "loss_d": "D loss",
                    "loss_g": "G loss (non-saturating)",
                    "d_real": "D(x), real digits",
                    "d_fake": "D(G(z)), fakes",
                }[name],
            )
        ax.set(
            title=f"{title} ({width}-step moving average)",
            xlabel="epoch",
            ylabel=ylabel,
        )
        ax.legend()
    axes[1].axhline(0.5, color="grey", lw=0.5, ls="--")
    fig.tight_layout()
    return fig


def plot_fid(
    epochs: list[int],
    fids: list[float],
    floor: float,
    seeds: dict[int, tuple[list[int], list[float]]] | None = None,
):
    """FID of the tracked samples over training, with the real-vs-real floor; ``seeds`` maps a seed to
    the (epochs, fids) of a saved run, drawn as a faint line behind this run's."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for k, (seed, (seed_epochs, seed_fids)) in enumerate(sorted((seeds or {}).items())):
        ax.plot(
            seed_epochs,
            seed_fids,
            color="grey",
            alpha=0.45,
            lw=1,
            label="saved seeds" if k == 0 else None,
        )
    ax.plot(epochs, fids, marker="o", label="generated vs test digits")
    ax.axhline(floor, color="grey", ls="--", label="floor: real train vs test digits")
    ax.set_yscale("log")
    return _finish(
        fig, ax, "FID over training (classifier features)", "epoch", "FID (log scale)"
    )


def plot_class_counts(counts: list[int], real_counts: list[int] | None = None):
    """How many generated digits the classifier puts in each class (and the same share of real ones)."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    digits = torch.arange(10)
    ax.bar(digits - 0.2, counts, width=0.4, label="generated")
    if real_counts is not None:
        total, real_total = sum(counts), sum(real_counts)
        ax.bar(
            digits + 0.2,
            [c * total / real_total for c in real_counts],
            width=0.4,
            label="test split (rescaled)",
        )
    ax.set_xticks(digits.tolist())
    return _finish(
        fig,
        ax,
        "Class distribution of generated digits",
        "digit (the classifier's label)",
        "count",
    )


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
    axes[-1, 0].set_xlabel("x = n … 0  (begin → end)")
    fig.tight_layout()
    return fig


def plot_norms(norms: dict[str, list[float]], expected: float):
    """‖z‖ along the linear and the spherical paths."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for name, values in norms.items():
        ax.plot(range(len(values)), values, marker="o", label=name)
    ax.axhline(expected, color="grey", ls="--", label="typical ‖z‖ of N(0, I)")
    return _finish(
        fig,
        ax,
        "Length of the noise vector along the path",
        "image in the strip (begin → end)",
        "‖z‖",
    )
