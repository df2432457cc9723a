"""Figures of chapter 02, drawn from run dicts (``History.to_dict()`` or a loaded sweep)."""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from lib.palindrome.data import DIGITS
from lib.palindrome.stats import Cell, series
from lib.palindrome.sweep import RECIPES

CHANCE = 1 / DIGITS
MODEL_NAMES = {"lstm": "LSTM", "rnn": "vanilla RNN"}


def plot_curves(runs: list[dict[str, Any]], models: tuple[str, ...] = ("lstm", "rnn")) -> Figure:
    """Held-out accuracy against training step, one panel per model and one line per length."""
    fig, axes = plt.subplots(1, len(models), figsize=(5.5 * len(models), 4), sharey=True, squeeze=False)
    lengths = sorted({r["length"] for r in runs})
    colours = plt.cm.viridis([k / max(1, len(lengths) - 1) for k in range(len(lengths))])
    for ax, model in zip(axes[0], models):
        for run in sorted((r for r in runs if r["model"] == model), key=lambda r: r["length"]):
            steps = [rec["step"] for rec in run["records"]]
            accs = [rec["accuracy"] for rec in run["records"]]
            ax.plot(steps, accs, color=colours[lengths.index(run["length"])], label=f"T={run['length']}")
        ax.axhline(CHANCE, color="grey", linestyle=":", linewidth=1, label="chance")
        ax.set(title=f"{MODEL_NAMES[model]}: held-out accuracy while training", xlabel="training step",
               ylabel="held-out accuracy", ylim=(0, 1.03))
        ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    return fig


def plot_curriculum(run: dict[str, Any]) -> Figure:
    """One curriculum run: held-out accuracy (left axis) and the length being trained (right axis) per step."""
    steps = [rec["step"] for rec in run["records"]]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(steps, [rec["accuracy"] for rec in run["records"]], marker=".", label="held-out accuracy at current T")
    ax.set(title=f"{MODEL_NAMES[run['model']]} curriculum to T={run['length']}", xlabel="training step",
           ylabel="held-out accuracy", ylim=(0, 1.03))
    twin = ax.twinx()
    twin.step(steps, [rec["length"] for rec in run["records"]], where="pre", color="tab:orange", label="current T")
    twin.set_ylabel("length T being trained")
    twin.set_ylim(0, run["length"] * 1.05)
    lines = ax.get_lines()[:1] + twin.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="lower right")
    fig.tight_layout()
    return fig


def plot_transfer(accuracy: dict[str, dict[int, float]], trained_at: int) -> Figure:
    """Accuracy at many lengths of models trained at one length; ``accuracy`` maps model -> {T: accuracy}."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for (model, acc), marker in zip(accuracy.items(), "os^"):
        ax.plot(list(acc), list(acc.values()), marker=marker, markersize=4, label=MODEL_NAMES[model])
    ax.axvline(trained_at, color="black", linestyle="--", linewidth=1, label=f"trained at T={trained_at}")
    ax.axhline(CHANCE, color="grey", linestyle=":", linewidth=1, label="chance (10%)")
    ax.set(title=f"Models trained at T={trained_at}, evaluated at other lengths", xlabel="palindrome length T",
           ylabel="held-out accuracy", ylim=(-0.02, 1.03))
    ax.legend()
    fig.tight_layout()
    return fig


MODEL_COLOURS = {"lstm": "#0072B2", "rnn": "#D55E00"}  # Okabe-Ito blue and vermillion


def plot_seeds(cells: dict[tuple[str, str, int], Cell], recipes: tuple[str, ...] = RECIPES,
               models: tuple[str, ...] = ("lstm", "rnn")) -> Figure:
    """Final held-out accuracy against T over seeds: one panel per recipe, the median of each
    model as a line, the seeds' range as a band, and every seed as a faint dot."""
    fig, axes = plt.subplots(1, len(recipes), figsize=(5 * len(recipes), 3.8), sharey=True,
                             squeeze=False)
    for ax, recipe in zip(axes[0], recipes):
        for shift, model in zip((-0.03, 0.03), models):
            cells_ = series(cells, recipe, model)
            if not cells_:
                continue
            t = [c.length for c in cells_]
            colour = MODEL_COLOURS[model]
            ax.fill_between(t, [c.low for c in cells_], [c.high for c in cells_], color=colour,
                            alpha=0.15, linewidth=0)
            for c in cells_:  # dots nudged sideways per model, so that both stay visible
                ax.plot([c.length * (1 + shift)] * c.n, c.accuracies, ".", color=colour,
                        alpha=0.45, markersize=5)
            n = max(c.n for c in cells_)
            ax.plot(t, [c.median for c in cells_], "-o" if model == "lstm" else "--s",
                    color=colour, markersize=4, label=f"{MODEL_NAMES[model]}: median of {n} seeds")
        ax.axhline(CHANCE, color="grey", linestyle=":", linewidth=1, label="chance (10%)")
        ax.set_xscale("log")
        lengths = sorted({c.length for c in cells.values()})
        ax.set_xticks(lengths, [str(t) for t in lengths], fontsize="small")
        ax.minorticks_off()
        ax.set(title=f"{recipe} training", xlabel="palindrome length T", ylim=(-0.02, 1.03))
    axes[0][0].set_ylabel("final held-out accuracy")
    axes[0][0].legend(fontsize="small", loc="lower left")
    fig.tight_layout()
    return fig
