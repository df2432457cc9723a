"""The results file of ``python -m lib.gan seeds`` (results/gan_seeds.json), read by chapters 03 and 04.

One entry per seed, sorted by seed, and a summary (median, min and max over the seeds of every
statistic in ``METRICS``). A file resumes only with the header it was started with: the same recipe,
data and scoring.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any, Callable

FORMAT = 1
RESULTS_FILE = "gan_seeds.json"  # under lib.core.paths.results_dir()
ABOUT = (
    "lib.gan.DEFAULT_CONFIG trained once per seed and scored as chapter 03 scores its own run; "
    "chapter 04's digit pairs measured on each generator. Written by `python -m lib.gan seeds`."
)

# How each summary statistic reads one seed's entry.
METRICS: dict[str, Callable[[dict[str, Any]], float]] = {
    "fid": lambda e: e["fid"],
    "real_floor": lambda e: e["real_floor"],
    "classes_present": lambda e: e["classes_present"],
    "min_class_count": lambda e: e["min_class_count"],
    "evenness": lambda e: e["evenness"],
    "inception_score": lambda e: e["inception_score"],
    # the score against the real test digits' (issue 13's target: at least 0.9)
    "inception_ratio": lambda e: e["inception_score"] / e["real_inception_score"],
    **{
        name: (lambda e, name=name: e["last_epoch"][name])
        for name in ("d_real", "d_fake", "loss_d", "loss_g")
    },
    "first_tracked_fid": lambda e: e["fid_over_training"]["fid"][0],
    "final_tracked_fid": lambda e: e["fid_over_training"]["fid"][-1],
    "pairs_with_endpoints_labelled": lambda e: sum(
        p["endpoints_labelled"] for p in e["paths"]
    ),
    "pairs_spherical_middle_firmer": lambda e: sum(
        p["middle_contrast"]["spherical"] > p["middle_contrast"]["linear"]
        for p in e["paths"]
    ),
    "classifier_test_accuracy": lambda e: e["classifier_test_accuracy"],
    "wall_seconds": lambda e: e["wall_seconds"],
}


def summarise(entries: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Median, min and max over the seeds of every statistic in ``METRICS``."""
    summary = {}
    for name, read in METRICS.items():
        values = [read(entry) for entry in entries]
        summary[name] = {
            "median": round(statistics.median(values), 4),
            "min": min(values),
            "max": max(values),
        }
    return summary


def load_results(path: Path, head: dict[str, Any]) -> dict[str, Any]:
    """The results already in ``path`` (none when it does not exist); refuses a file of another recipe."""
    if not path.exists():
        return {"about": ABOUT, **head, "commands": [], "seeds": []}
    try:
        saved = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError(
            f"{str(path)!r} is not a results JSON: move it away or give another --out"
        ) from None
    differs = [
        key
        for key in head
        if not isinstance(saved, dict) or saved.get(key) != head[key]
    ]
    if differs:
        raise ValueError(
            f"{str(path)!r} holds seeds of another {differs[0]} than this run's: "
            f"move it away or give another --out"
        )
    return saved
