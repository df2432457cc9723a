"""Does longer training close the gap? Chapter 03's recipe trained for the reports' 200 epochs, per seed.

Chapter 03 trains ``lib.gan.DEFAULT_CONFIG`` for its epochs (80 since the lazy-penalty stage, about
three minutes on two cores; 100 before), and its digits reach about 90% of the real test digits'
Inception-style score (the target). This
trains the same recipe for --epochs (default 200) with every seed, keeping 1,000 samples from fixed
noise every 10 epochs (``GANConfig.track_every``), and scores each kept set with the project's
classifier: the score over the real digits', the FID against the test split and the rarest digit's
share. Runs go through the cache of ``lib.gan.cache`` (keyed by the config and thread count), so
several processes with different --seeds can share the work and a last one writes the summary.

    python benchmarks/gan_long.py                    # seeds 0 1 2, 200 epochs, 1 thread (8 to 19 min a seed, by CPU and recipe)
    python benchmarks/gan_long.py --seeds 0 --epochs 120

The summary goes to results/gan_long.json (recipe M's, read by chapter 03). No thresholds: it
records. Chapter 03 also reads the runs of its earlier recipes, made by this command while each was
the chapter's recipe and renamed after it: results/gan_long_recipe_h.json and
results/gan_long_recipe_e.json.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path
from typing import Sequence

import torch

from lib.core.cli import Parser, positive_int, print_summary, run
from lib.core.repro import pin_threads
from lib.gan.cache import DEFAULT_CONFIG, default_run
from lib.gan.evaluate import score_samples, tracked_sets
from lib.gan.seeds import machine_info
from lib.mnist.fid import inception_score

TRACK_EVERY = 10


def curve(
    tracked: dict, classifier, test_images: torch.Tensor, real_score: float
) -> dict:
    """Score, FID and rarest digit's share of every kept sample set (bytes from fixed noise)."""
    rows = {"epoch": [], "inception_ratio": [], "fid": [], "min_class_fraction": []}
    for epoch, images in tracked_sets(tracked):  # (1000, 1, 28, 28) in [-1, 1]
        scores = score_samples(classifier, images, test_images)
        rows["epoch"].append(epoch)
        rows["inception_ratio"].append(round(scores["inception_score"] / real_score, 4))
        rows["fid"].append(round(scores["fid"], 2))
        rows["min_class_fraction"].append(scores["min_class_fraction"])
    return rows


def at(rows: dict, key: str, epoch: int) -> float:
    """The value of ``key`` at ``epoch`` of one seed's curve."""
    return rows[key][rows["epoch"].index(epoch)]


def summarise(runs: list[dict], epochs: int, half: int) -> dict:
    """Per-seed figures at half the run and at its end, and the best score anywhere on the curve."""

    def over_seeds(key: str, epoch: int) -> list[float]:
        return [at(r["curve"], key, epoch) for r in runs]

    ratios_end, ratios_half = (
        over_seeds("inception_ratio", epochs),
        over_seeds("inception_ratio", half),
    )
    return {
        f"inception_ratio_at_{half}": ratios_half,
        f"inception_ratio_at_{epochs}": ratios_end,
        "inception_ratio_best": [max(r["curve"]["inception_ratio"]) for r in runs],
        f"fid_at_{half}": over_seeds("fid", half),
        f"fid_at_{epochs}": over_seeds("fid", epochs),
        "seeds_better_at_end": sum(e > h for e, h in zip(ratios_end, ratios_half)),
        "mean_change": round(
            statistics.fmean(e - h for e, h in zip(ratios_end, ratios_half)), 4
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    import json

    from lib.mnist import mnist_tensors
    from lib.mnist.classifier import get_classifier

    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0, 1, 2], help="default 0 1 2"
    )
    parser.add_argument(
        "--epochs", type=positive_int, default=200, help="default 200 (the reports')"
    )
    parser.add_argument(
        "--threads", type=positive_int, default=1, help="torch threads (default 1)"
    )
    parser.add_argument(
        "--root", default="data", help="prepared MNIST root (default data)"
    )
    parser.add_argument("--out", default="results/gan_long.json", help="summary JSON")
    args = parser.parse_args(argv)
    if args.epochs % (2 * TRACK_EVERY):
        raise ValueError(
            f"--epochs must be a multiple of {2 * TRACK_EVERY}, got {args.epochs}"
        )
    threads = pin_threads(args.threads)
    config = dataclasses.replace(
        DEFAULT_CONFIG, epochs=args.epochs, track_every=TRACK_EVERY
    )
    classifier = get_classifier(args.root, device="cpu")
    test_images, _ = mnist_tensors(args.root, train=False)
    real_score = inception_score(classifier, test_images)
    runs = []
    for seed in args.seeds:
        start = time.perf_counter()
        state = default_run(
            args.root, device="cpu", config=dataclasses.replace(config, seed=seed)
        )
        runs.append(
            {
                "seed": seed,
                "wall_seconds_with_cache": round(time.perf_counter() - start, 1),
                "curve": curve(state.tracked, classifier, test_images, real_score),
            }
        )
    summary = {
        "about": __doc__.splitlines()[0],
        "config": {
            k: v for k, v in config.to_dict().items() if k not in ("seed", "device")
        },
        "seeds": args.seeds,
        "tracked_samples": config.track_samples,
        "real_inception_score": round(real_score, 3),
        "machine": machine_info(threads),
        "summary": summarise(runs, args.epochs, args.epochs // 2),
        "runs": runs,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=1) + "\n")
    print_summary(summary["summary"])
    return 0


if __name__ == "__main__":
    run(main, prog="python benchmarks/gan_long.py")
