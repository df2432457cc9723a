"""Transfer (chapter 02): does a memory learnt at one length work at other lengths?

Each model is trained at one length, plainly or with the curriculum, for several seeds, and then
evaluated, without further training, on held-out palindromes of many lengths
(``accuracy_by_length``, which streams long ones one step at a time, so that T = 100,000 costs
time but not memory). ``study`` saves every seed's curve in one JSON file
after each run, so an interrupted study resumes with the seeds it has not done yet.

    python -m lib.palindrome transfer --seeds 0-4 --length 20
    python -m lib.palindrome transfer --seeds 0-4 --length 100 --curriculum \
        --at 10,100,1000,10000,100000 --size 300 --out results/palindrome_long.json
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Iterable

from lib.palindrome.memory import memory_stats
from lib.palindrome.sweep import read_sweep, save_sweep
from lib.palindrome.train import TrainConfig, accuracy_by_length, train

# where the trained models are evaluated
LENGTHS = (*range(10, 31), 35, 40, 50, 60, 80, 100)


def transfer_run(
    base: TrainConfig,
    model: str,
    seed: int,
    trained_at: int,
    lengths: Iterable[int] = LENGTHS,
    size: int = 500,
    memory_at: int | None = None,
) -> dict[str, Any]:
    """Train ``model`` at ``trained_at`` and measure its accuracy at every length.

    Plainly, unless ``base.curriculum`` is True (None, the automatic choice, counts as plain).
    With ``memory_at``, also ``memory_stats`` at that length (what the units hold over time).
    """
    config = dataclasses.replace(
        base,
        model=model,
        seed=seed,
        length=trained_at,
        curriculum=bool(base.curriculum),
    )
    history = train(config, show_progress=False)
    accuracy = accuracy_by_length(
        history.model.cpu(), list(lengths), seed, config.encoding, size
    )
    run = {
        "model": model,
        "seed": seed,
        "length": trained_at,
        "steps": history.steps,
        "seconds": round(history.seconds, 2),
        "trained_accuracy": history.accuracy,
        "accuracy": {str(t): acc for t, acc in accuracy.items()},
        "config": dataclasses.asdict(config),
    }
    if memory_at is not None:
        stats = memory_stats(
            history.model.cpu(), memory_at, size, seed, encoding=config.encoding
        )
        run["memory"] = stats
    return run


def study(
    base: TrainConfig,
    models: Iterable[str],
    seeds: Iterable[int],
    trained_at: int,
    path: str | os.PathLike,
    command: str = "",
    size: int = 500,
    lengths: Iterable[int] = LENGTHS,
    memory_at: int | None = None,
) -> list[dict[str, Any]]:
    """Every model and seed of a transfer study, saved to ``path`` after each run (resumable)."""
    path = Path(path)
    runs = read_sweep(path)["runs"] if path.exists() else []
    runs = [r for r in runs if r["length"] == trained_at]
    done = {(r["model"], r["seed"]) for r in runs}
    for model in models:
        for seed in seeds:
            if (model, seed) in done:
                continue
            runs.append(
                transfer_run(base, model, seed, trained_at, lengths, size, memory_at)
            )
            save_sweep(runs, path, command=command)
    return runs


def curves(runs: list[dict[str, Any]], model: str) -> dict[int, list[float]]:
    """Length -> the accuracies of every seed of ``model`` (seeds in increasing order)."""
    mine = sorted((r for r in runs if r["model"] == model), key=lambda r: r["seed"])
    lengths = sorted({int(t) for r in mine for t in r["accuracy"]})
    return {t: [r["accuracy"][str(t)] for r in mine] for t in lengths}
