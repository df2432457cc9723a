"""Figures of chapter 02, drawn from run dicts (``History.to_dict()`` or a loaded sweep)."""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from lib.palindrome.data import DIGITS
from lib.palindrome.sweep import final_accuracy

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


def plot_accuracy_vs_length(runs: list[dict[str, Any]], models: tuple[str, ...] = ("lstm", "rnn"),
                            title: str = "Final held-out accuracy against palindrome length") -> Figure:
    """Final held-out accuracy against T for each model, with the chance level of 10%."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for model, marker in zip(models, "os^"):
        acc = final_accuracy(runs, model)
        ax.plot(list(acc), list(acc.values()), marker=marker, label=MODEL_NAMES[model])
    ax.axhline(CHANCE, color="grey", linestyle=":", linewidth=1, label="chance (10%)")
    ax.set(title=title, xlabel="palindrome length T", ylabel="held-out accuracy", ylim=(0, 1.03))
    ax.legend()
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


def plot_accuracy_by_recipe(groups: dict[str, list[dict[str, Any]]],
                            models: tuple[str, ...] = ("lstm", "rnn")) -> Figure:
    """Final held-out accuracy against T, one line per model and recipe; ``groups`` maps a recipe to its runs."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    colours = {"lstm": "tab:blue", "rnn": "tab:red"}
    for (recipe, runs), style in zip(groups.items(), ("-", "--", ":")):
        for model, marker in zip(models, "os"):
            acc = final_accuracy(runs, model)
            if acc:
                ax.plot(list(acc), list(acc.values()), linestyle=style, marker=marker, color=colours.get(model),
                        label=f"{MODEL_NAMES[model]}, {recipe}")
    ax.axhline(CHANCE, color="grey", linestyle=":", linewidth=1, label="chance (10%)")
    ax.set(title="Final held-out accuracy against palindrome length", xlabel="palindrome length T",
           ylabel="held-out accuracy", ylim=(-0.02, 1.03))
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
