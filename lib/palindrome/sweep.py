"""Sweeps: both models over many lengths, saved as JSON so that chapter 02 can show runs too long to redo.

``python -m lib.palindrome sweep --out results`` writes ``results/palindrome_sweep.json`` and
``results/palindrome_sweep.png``; ``load_sweep`` reads the JSON back.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable

from lib.palindrome.train import History, TrainConfig, train

SWEEP_FILE = "palindrome_sweep.json"
FORMAT = 1
RESULTS = Path(__file__).resolve().parents[2] / "results"  # the repository's committed results (editable install)


def results_path(name: str = "palindrome_sweep") -> Path:
    """Path of the committed results ``results/<name>.json``, wherever the caller runs from."""
    return RESULTS / f"{name}.json"


def run_sweep(lengths: Iterable[int], models: Iterable[str], base: TrainConfig,
              steps: dict[str, int] | None = None, show_progress: bool | None = None,
              on_run: Callable[[History], None] | None = None) -> list[History]:
    """Train every model at every length (``base`` with ``model``, ``length`` and ``steps`` replaced).

    ``steps`` caps the steps per model (e.g. fewer for an RNN that will not learn); ``on_run`` sees
    each finished run, so a long sweep can save as it goes. ``History.to_dict()`` gives plain data.
    """
    runs = []
    for length in lengths:
        for model in models:
            config = dataclasses.replace(base, model=model, length=length,
                                         steps=(steps or {}).get(model, base.steps))
            run = train(config, show_progress=show_progress)
            runs.append(run)
            if on_run is not None:
                on_run(run)
    return runs


def save_sweep(runs: list[dict[str, Any]], path: str | os.PathLike, **meta: Any) -> Path:
    """Write the runs (and any metadata, e.g. the command) to ``path`` as JSON, atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"format": FORMAT, **meta, "runs": runs}, indent=1) + "\n")
    os.replace(tmp, path)
    return path


def load_sweep(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Read the runs of a sweep written by ``save_sweep``; FileNotFoundError if absent, ValueError if foreign."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no sweep results at {str(path)!r}: run `python -m lib.palindrome sweep` first")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{str(path)!r} is not valid JSON ({err}); run the sweep again") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("runs"), list):
        raise ValueError(f"{str(path)!r} is not a palindrome sweep of format {FORMAT}")
    return data["runs"]


def final_accuracy(runs: list[dict[str, Any]], model: str) -> dict[int, float]:
    """Length -> final held-out accuracy of ``model`` (the last run wins if a length repeats)."""
    return {r["length"]: r["accuracy"] for r in sorted(runs, key=lambda r: r["length"]) if r["model"] == model}


def longest_learned(runs: list[dict[str, Any]], model: str, threshold: float = 0.99) -> int | None:
    """The longest length up to which ``model`` reached ``threshold`` at every length tried (None if none)."""
    best = None
    for length, acc in sorted(final_accuracy(runs, model).items()):
        if acc < threshold:
            break
        best = length
    return best


def merge_runs(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All runs of ``first``, plus those of ``second`` at a (model, length) that ``first`` lacks."""
    have = {(r["model"], r["length"]) for r in first}
    return [*first, *(r for r in second if (r["model"], r["length"]) not in have)]
