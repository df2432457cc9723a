"""Figures of chapter 03's recipe comparison (benchmarks/gan_recipes.py): the screening's FID per recipe,
and the final stage against its targets. Drawn in ``lib.gan.plots``' style."""

from __future__ import annotations

import matplotlib.pyplot as plt

from lib.gan.plots import OKABE_ITO, book_style


@book_style
def plot_recipes(results: list[dict], budget: float, labels: list[str]):
    """FID of each recipe's seeds (dots) with mean ± sd (bars), one row per recipe, named by ``labels``."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for row, r in enumerate(results):
        fids = [run["fid"] for run in r["runs"]]
        ax.plot(fids, [row] * len(fids), "o", alpha=0.6, color=OKABE_ITO[0])
        ax.errorbar(
            r["fid_mean"],
            row,
            xerr=r["fid_std"],
            fmt="|",
            color="k",
            capsize=4,
            markersize=14,
        )
    ax.set_yticks(range(len(results)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("FID, 2,000 generated vs test digits (lower is better)")
    ax.set_title(f"{budget:g} CPU seconds each: seeds (dots), mean ± sd (bars)")
    fig.tight_layout()
    return fig


@book_style
def plot_final_recipes(
    results: list[dict], real_score: float, targets: dict, labels: list[str]
):
    """The final stage per recipe (rows) and seed (dots): FID, the score against the real digits'
    and the rarest class's share, with the targets as dashed lines."""
    panels = [
        ("FID (lower is better)", lambda run: run["fid"], None),
        (
            "Inception-style score / real digits'",
            lambda run: run["inception_score"] / real_score,
            targets["inception_ratio"],
        ),
        (
            "rarest digit's share of samples",
            lambda run: run["min_class_fraction"],
            targets["min_class_fraction"],
        ),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(10, 2.8), sharey=True)
    for ax, (title, value, target) in zip(axes, panels):
        for row, r in enumerate(results):
            values = [value(run) for run in r["runs"]]
            ax.plot(values, [row] * len(values), "o", alpha=0.7, color=OKABE_ITO[0])
        if target is not None:
            ax.axvline(target, color="k", linestyle="--", linewidth=1)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(results)), labels)
    axes[0].invert_yaxis()
    fig.tight_layout()
    return fig


@book_style
def plot_long_training(
    runs: list[dict],
    target: float,
    chapter_epochs: int,
    others: list[dict] = (),
    others_label: str = "",
):
    """Score over the real digits' (left) and FID (right) against epochs, one line per seed, from
    benchmarks/gan_long.py's curves; the score target dashed, the chapter's length dotted, and the
    seeds of another recipe (``others``, named ``others_label``) as thin grey lines."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    panels = [
        ("inception_ratio", "Inception-style score / real digits'", target),
        ("fid", "FID, 1,000 samples vs test digits", None),
    ]
    for ax, (key, title, line) in zip(axes, panels):
        for i, run in enumerate(others):
            curve = run["curve"]
            ax.plot(
                curve["epoch"][1:],
                curve[key][1:],
                color="0.6",
                linewidth=0.8,
                label=others_label if i == 0 else None,
            )
        for i, run in enumerate(runs):
            curve = run["curve"]
            epochs, values = (
                curve["epoch"][1:],
                curve[key][1:],
            )  # from epoch 10: the untrained
            ax.plot(
                epochs,
                values,
                color=OKABE_ITO[i % len(OKABE_ITO)],
                label=f"seed {run['seed']}",
            )
        if line is not None:
            ax.axhline(line, color="k", linestyle="--", linewidth=1, label="target")
        ax.axvline(chapter_epochs, color="grey", linestyle=":", linewidth=1)
        ax.set_xlabel("epoch")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylim(0.5, 0.95)
    axes[1].set_yscale("log")
    axes[0].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
