"""Figures of chapter 02, drawn from saved runs over seeds (``load_runs``) and transfer studies.

Colours are the Okabe-Ito palette, which stays distinguishable with the common colour-vision
deficiencies; the two models also differ in line style and marker.
"""

from __future__ import annotations

import statistics
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from lib.palindrome.data import DIGITS
from lib.palindrome.stats import SOLVED, Cell, series
from lib.palindrome.sweep import RECIPES

CHANCE = 1 / DIGITS
MODEL_NAMES = {"lstm": "LSTM", "rnn": "vanilla RNN"}
MODEL_COLOURS = {"lstm": "#0072B2", "rnn": "#D55E00"}  # Okabe-Ito blue and vermillion
LENGTH_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00")


def _chance(ax) -> None:
    ax.axhline(CHANCE, color="grey", linestyle=":", linewidth=1, label="chance (10%)")


def _panels(n: int, height: float = 3.6):
    """A figure with ``n`` panels side by side, sharing both axes."""
    return plt.subplots(
        1, n, figsize=(4.2 * n, height), sharey=True, sharex=True, squeeze=False
    )


def plot_curves(
    runs: list[dict[str, Any]],
    lengths: tuple[int, ...],
    models: tuple[str, ...] = ("lstm", "rnn"),
) -> Figure:
    """Held-out accuracy while training: one row per length, one column per model, one
    line per seed, ending in a dot if the seed solved its length and a cross if its budget
    ran out. Every panel has the same axes; faint lines every 10% show the plateaus."""
    fig, axes = plt.subplots(
        len(lengths),
        len(models),
        figsize=(7.5, 1.7 * len(lengths) + 0.6),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    for row, length in zip(axes, lengths):
        for ax, model in zip(row, models):
            mine = [r for r in runs if (r["model"], r["length"]) == (model, length)]
            for run in sorted(mine, key=lambda r: r["seed"]):
                steps = [0] + [rec["step"] for rec in run["records"]]
                accs = [CHANCE] + [rec["accuracy"] for rec in run["records"]]
                colour = MODEL_COLOURS[model]
                ax.plot(steps, accs, color=colour, linewidth=1.2, alpha=0.8)
                end = "o" if run["accuracy"] >= SOLVED else "x"
                ax.plot(steps[-1], accs[-1], end, color=colour, markersize=5)
            ax.axhline(CHANCE, color="grey", linestyle=":", linewidth=1)
            ax.set_yticks([0, 0.5, 1])
            ax.set_yticks([k / 10 for k in range(11)], minor=True)
            ax.grid(True, axis="y", which="both", alpha=0.25)
            ax.set_title(f"{MODEL_NAMES[model]}, T={length}", fontsize="medium")
        row[0].set_ylabel("accuracy")
    for ax in axes[-1]:
        ax.set_xlabel("training step")
    fig.tight_layout()
    return fig


def plot_seeds(
    cells: dict[tuple[str, str, int], Cell],
    recipes: tuple[str, ...] = RECIPES,
    models: tuple[str, ...] = ("lstm", "rnn"),
) -> Figure:
    """Final held-out accuracy against T over seeds: one panel per recipe, the median of each
    model as a line, the seeds' range as a band, and every seed as a faint dot."""
    fig, axes = _panels(len(recipes), height=3.8)
    lengths = sorted({c.length for c in cells.values()})
    for ax, recipe in zip(axes[0], recipes):
        for shift, model in zip((-0.03, 0.03), models):
            row = series(cells, recipe, model)
            if not row:
                continue
            t, colour = [c.length for c in row], MODEL_COLOURS[model]
            ax.fill_between(
                t,
                [c.low for c in row],
                [c.high for c in row],
                color=colour,
                alpha=0.15,
                linewidth=0,
            )
            for c in row:  # dots nudged sideways per model, so that both stay visible
                ax.plot(
                    [c.length * (1 + shift)] * c.n,
                    c.accuracies,
                    ".",
                    color=colour,
                    alpha=0.5,
                    markersize=5,
                )
            ax.plot(
                t,
                [c.median for c in row],
                "-o" if model == "lstm" else "--s",
                color=colour,
                markersize=4,
                label=f"{MODEL_NAMES[model]}, median of {max(c.n for c in row)}",
            )
        _chance(ax)
        ax.set_xscale("log")
        ax.set_xticks(lengths, [str(t) for t in lengths], fontsize="small")
        ax.minorticks_off()
        ax.set(
            title=f"{recipe} training", xlabel="palindrome length T", ylim=(-0.02, 1.03)
        )
    axes[0][0].set_ylabel("final held-out accuracy")
    axes[0][0].legend(fontsize="small", loc="lower left")
    fig.tight_layout()
    return fig


def plot_transfer(
    curves: dict[str, dict[int, list[float]]],
    trained_at: int,
    live: dict[str, dict[int, float]] | None = None,
) -> Figure:
    """Accuracy at other lengths of models trained at ``trained_at``: every seed as a thin line
    and the median as a thick one (``curves`` maps model -> {T: accuracies}), and optionally
    one live run per model as dots."""
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for model, acc in curves.items():
        t, colour = sorted(acc), MODEL_COLOURS[model]
        for seed in range(len(acc[t[0]])):
            ax.plot(
                t, [acc[k][seed] for k in t], color=colour, alpha=0.3, linewidth=0.8
            )
        ax.plot(
            t,
            [statistics.median(acc[k]) for k in t],
            "-" if model == "lstm" else "--",
            color=colour,
            linewidth=2,
            label=f"{MODEL_NAMES[model]}: {len(acc[t[0]])} seeds (thin), median (thick)",
        )
        if live and model in live:
            ax.plot(
                list(live[model]),
                list(live[model].values()),
                ".",
                color=colour,
                markersize=5,
                label=f"{MODEL_NAMES[model]}: this page's run",
            )
    ax.axvline(
        trained_at,
        color="black",
        linestyle="--",
        linewidth=1,
        label=f"trained at T={trained_at}",
    )
    _chance(ax)
    ax.set(xlabel="palindrome length T", ylabel="held-out accuracy", ylim=(-0.02, 1.03))
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    fig.tight_layout()
    return fig


def plot_curriculum(
    runs: list[dict[str, Any]], models: tuple[str, ...] = ("lstm", "rnn")
) -> Figure:
    """Curriculum runs to one length: the length being trained against the step, one line per
    seed; a dot where a seed solved the full length, a cross where its budget ran out."""
    fig, axes = _panels(len(models))
    for ax, model in zip(axes[0], models):
        colour = MODEL_COLOURS[model]
        for run in sorted(
            (r for r in runs if r["model"] == model), key=lambda r: r["seed"]
        ):
            steps = [0] + [rec["step"] for rec in run["records"]]
            lengths = [run["stages"][0]] + [rec["length"] for rec in run["records"]]
            ax.step(
                steps, lengths, where="post", color=colour, alpha=0.7, linewidth=1.2
            )
            done = run["accuracy"] >= SOLVED
            ax.plot(
                steps[-1], lengths[-1], "o" if done else "x", color=colour, markersize=6
            )
        ax.set(
            title=f"{MODEL_NAMES[model]}: {sum(r['model'] == model for r in runs)} seeds",
            xlabel="training step",
        )
    axes[0][0].set_ylabel("length T being trained")
    fig.tight_layout()
    return fig


def plot_memory(runs: list[dict[str, Any]]) -> Figure:
    """What the units hold over a long palindrome (``memory_stats`` of each run, one line per seed).

    Left: the share of units whose state tells the first digit apart (η² ≥ 0.9), against the step.
    Right: each LSTM unit's mean forget gate over the palindrome, all seeds together.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    for model in ("lstm", "rnn"):
        mine = [r for r in runs if r["model"] == model and "memory" in r]
        for k, run in enumerate(sorted(mine, key=lambda r: r["seed"])):
            eta2 = run["memory"]["eta2"]
            steps = [int(t) for t in eta2]
            share = [
                sum(v >= 0.9 for v in eta2[str(t)]) / len(eta2[str(t)]) for t in steps
            ]
            left.plot(
                steps,
                share,
                marker="o" if model == "lstm" else "s",
                linestyle="-" if model == "lstm" else "--",
                color=MODEL_COLOURS[model],
                alpha=0.7,
                label=MODEL_NAMES[model] if k == 0 else None,
            )
    left.set(
        xscale="log",
        ylim=(-0.03, 1.03),
        xlabel="step t (digits read)",
        ylabel="share of units with η² ≥ 0.9",
        title="Which units still tell the first digit",
    )
    left.legend()
    means = [
        f
        for r in runs
        if r["model"] == "lstm" and "memory" in r
        for f in r["memory"]["forget"]["mean"]
    ]
    right.hist(means, bins=40, range=(0, 1), color=MODEL_COLOURS["lstm"])
    right.set(
        xlabel="mean forget gate of a unit over the palindrome",
        ylabel="units (all seeds)",
        title="LSTM forget gates",
    )
    fig.tight_layout()
    return fig
