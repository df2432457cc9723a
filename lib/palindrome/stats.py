"""What the seeds of a sweep say together (chapter 02): medians, spreads and how many seeds solved.

One training run is a chaotic function of float rounding, so chapter 02 states no result of one run:
for each recipe, model and length it reports the median over seeds, the range, and how many seeds
reached ``SOLVED`` held-out accuracy.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from lib.core.tables import markdown_table

SOLVED = 0.99  # held-out accuracy that counts as "solved"


@dataclass(frozen=True)
class Cell:
    """The seeds of one recipe, model and length."""

    recipe: str
    model: str
    length: int
    seeds: tuple[int, ...]  # in increasing order
    accuracies: tuple[float, ...]  # final held-out accuracy, one per seed
    steps: tuple[int, ...]  # training steps each seed took (early stop at 100%)

    @property
    def median(self) -> float:
        return statistics.median(self.accuracies)

    @property
    def low(self) -> float:
        return min(self.accuracies)

    @property
    def high(self) -> float:
        return max(self.accuracies)

    @property
    def solved(self) -> int:
        """How many seeds reached ``SOLVED``."""
        return sum(acc >= SOLVED for acc in self.accuracies)

    @property
    def n(self) -> int:
        return len(self.seeds)


def summarize(runs: list[dict[str, Any]]) -> dict[tuple[str, str, int], Cell]:
    """Group runs (dicts of ``load_runs``) by (recipe, model, length), seeds in order."""
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["recipe"], run["model"], run["length"]), []).append(run)
    cells = {}
    for key, group in sorted(groups.items()):
        group.sort(key=lambda r: r["seed"])
        seeds = tuple(r["seed"] for r in group)
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seed repeated among the runs of {key}: {seeds}")
        cells[key] = Cell(
            *key,
            seeds,
            tuple(r["accuracy"] for r in group),
            tuple(r["steps"] for r in group),
        )
    return cells


def series(
    cells: dict[tuple[str, str, int], Cell], recipe: str, model: str
) -> list[Cell]:
    """The cells of one recipe and model, by increasing length."""
    return sorted(
        (c for c in cells.values() if (c.recipe, c.model) == (recipe, model)),
        key=lambda c: c.length,
    )


def longest_solved(
    cells: dict[tuple[str, str, int], Cell], recipe: str, model: str, quorum: int
) -> int | None:
    """The longest T such that at least ``quorum`` seeds solved every length up to it."""
    best = None
    for cell in series(cells, recipe, model):
        if cell.solved < quorum:
            break
        best = cell.length
    return best


def solved_table(
    cells: dict[tuple[str, str, int], Cell],
    recipes: tuple[str, ...],
    models: tuple[str, ...],
) -> str:
    """A Markdown table: one row per length, "k/n" seeds solved per recipe and model."""
    names = {"lstm": "LSTM", "rnn": "RNN"}
    columns = [(r, m) for r in recipes for m in models]
    header = ["T"] + [f"{names.get(m, m)}, {r}" for r, m in columns]
    rows = []
    for t in sorted({c.length for c in cells.values()}):
        found = [cells.get((r, m, t)) for r, m in columns]
        rows.append([t] + [f"{c.solved}/{c.n}" if c else "-" for c in found])
    return markdown_table(header, rows)
