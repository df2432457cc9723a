"""The rows of chapters 03-04's tables: the two networks' layers and the recipe comparison.

The tables themselves are Markdown, made by ``lib.core.tables.markdown_table``.
"""

from __future__ import annotations

from typing import Sequence

from torch import nn

from lib.core.tables import markdown_table


def layer_rows(net: nn.Module) -> list[tuple[str, str, str]]:
    """(index, layer, parameters) for each layer of ``net.net`` (the GAN's Sequential), in order."""
    rows = []
    for index, layer in enumerate(net.net):
        if isinstance(layer, nn.Linear):
            what = f"Linear {layer.in_features} → {layer.out_features}"
        elif isinstance(layer, nn.BatchNorm1d):
            what = f"BatchNorm1d {layer.num_features}"
        elif isinstance(layer, nn.LeakyReLU):
            what = f"LeakyReLU, slope {layer.negative_slope:g}"
        else:
            what = type(layer).__name__
        count = sum(p.numel() for p in layer.parameters())
        rows.append((str(index), what, f"{count:,}" if count else ""))
    return rows


def recipe_tables(results: Sequence[dict], names: Sequence[str]) -> tuple[str, str]:
    """Chapter 03's recipe comparison as two narrow tables: what each recipe reached (quality),
    and what it spent (cost). ``names`` are short names of the recipes, in the order of ``results``."""
    quality = [
        (
            name,
            f"{r['fid_mean']:.0f} ± {r['fid_std']:.0f}",
            r["min_classes_present"],
            f"{r['class_evenness_mean']:.3f}",
        )
        for name, r in zip(names, results)
    ]
    cost = [
        (
            name,
            f"{r['d_updates_mean']:,.0f}",
            f"{r['g_updates_mean']:,.0f}",
            f"{r['epochs_mean']:.1f}",
            f"{r['cpu_seconds_mean']:.1f}",
            f"{r['wall_seconds_mean']:.1f}",
        )
        for name, r in zip(names, results)
    ]
    return (
        markdown_table(
            ["recipe", "FID,\nmean ± sd", "classes,\nworst seed", "evenness"],
            quality,
            caption="What each recipe reached (means over the seeds)",
        ),
        markdown_table(
            ["recipe", "D\nupdates", "G\nupdates", "epochs", "CPU s", "wall s"],
            cost,
            caption="What each recipe spent (means over the seeds)",
        ),
    )


def final_recipe_table(
    results: Sequence[dict],
    names: Sequence[str],
    real_score: float,
    caption: str = "The final stage (seeds in order)",
) -> str:
    """Chapter 03's final recipe comparison: quality, the targets and the cost, one row per recipe."""
    rows = [
        (
            name,
            # one decimal: the finalists' spreads are often below one
            f"{r['fid_mean']:.1f} ± {r['fid_std']:.1f}",
            " / ".join(
                f"{run['inception_score'] / real_score:.3f}" for run in r["runs"]
            ),
            " / ".join(f"{100 * run['min_class_fraction']:.1f}" for run in r["runs"]),
            f"{r['seeds_on_target']} of {len(r['runs'])}",
            f"{r['g_updates_mean']:,.0f}",
        )
        for name, r in zip(names, results)
    ]
    columns = [
        "recipe",
        "FID,\nmean ± sd",
        "score / real,\nper seed",
        "rarest digit %,\nper seed",
        "seeds on\ntarget",
        "G\nupdates",
    ]
    return markdown_table(columns, rows, caption=caption)


def stage_table(stage: dict, names: Sequence[str], title: str) -> str:
    """One saved stage of ``benchmarks/gan_recipes.py`` as a ``final_recipe_table``, its caption
    naming the stage, its budget and the machine it ran on."""
    caption = (
        f"{title}: {stage['budget_seconds']:g} CPU seconds per run on the "
        f"{stage['machine']['cpu']} (seeds in order)"
    )
    return final_recipe_table(
        stage["results"], names, stage["real_inception_score"], caption=caption
    )


def seed_files_table(
    files: Sequence[dict], names: Sequence[str], caption: str = ""
) -> str:
    """Recipes trained for the chapter's epochs, one row each, from ``python -m lib.gan seeds`` files."""
    rows = []
    for name, data in zip(names, files):
        seeds = data["seeds"]
        rows.append(
            (
                name,
                " / ".join(f"{s['fid']:.0f}" for s in seeds),
                " / ".join(
                    f"{s['inception_score'] / s['real_inception_score']:.3f}"
                    for s in seeds
                ),
                " / ".join(
                    f"{100 * s['min_class_count'] / sum(s['class_counts']):.1f}"
                    for s in seeds
                ),
            )
        )
    columns = [
        "recipe",
        "FID,\nper seed",
        "score / real,\nper seed",
        "rarest digit %,\nper seed",
    ]
    return markdown_table(columns, rows, caption=caption)
