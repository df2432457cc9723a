"""``python -m lib.gan seeds``: chapter 03's recipe over several seeds (chapters 03 and 04 cite it)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from lib.core.cli import add_common, output_path, positive_int, seed_list
from lib.core.device import pick_device
from lib.gan.args import add_count

HELP = "train chapter 03's recipe once per seed and score every run"
DESCRIPTION = (
    "Train lib.gan.DEFAULT_CONFIG once per seed (or load it from the cache), "
    "score it as chapter 03 does (FID, floor, classes, D's verdicts, FID over "
    "training; chapter 04's pairs), and rewrite --out after every seed. Seeds "
    "already in --out are skipped, so a killed run continues where it stopped."
)


def add_flags(p) -> None:
    """The flags of ``seeds``."""
    p.add_argument(
        "--seeds",
        type=seed_list,
        default=(0, 1, 2),
        help="seeds to train: a range 0-2, a list 0,1,2, or both as in 0-2,5 (default 0-2)",
    )
    p.add_argument(
        "--out",
        type=output_path,
        default=None,
        help="results JSON, its folder must exist (default results/gan_seeds.json in the repository)",
    )
    p.add_argument(
        "--threads",
        type=positive_int,
        default=1,
        help="torch threads for training and scoring (default 1, for a batch job beside other work; "
        "cached runs are keyed by it, so chapter 03's 2-thread run is reused only with 2)",
    )
    add_count(
        p,
        "--samples",
        2000,
        "generated digits scored per seed (default 2000, as chapter 03)",
    )
    add_common(p, data=True)


def run(args) -> dict:
    """Train and score the seeds of ``args`` missing from --out; return the JSON summary."""
    from lib.core.paths import results_dir
    from lib.gan.seed_results import RESULTS_FILE
    from lib.gan.seeds import SeedsConfig, run_seeds

    # an unknown or missing device fails before anything is written
    pick_device(args.device)
    job = SeedsConfig(
        seeds=args.seeds,
        out=args.out or results_dir() / RESULTS_FILE,
        root=Path(args.root),
        cache=Path(args.cache),
        device=args.device,
        threads=args.threads,
        samples=args.samples,
        command=args.command_line,
    )
    start = time.perf_counter()
    try:
        results = run_seeds(job)
    except KeyboardInterrupt:
        print(
            f"python -m lib.gan seeds: interrupted; {str(job.out)!r} keeps every finished seed: "
            f"rerun the same command to train the rest",
            file=sys.stderr,
            flush=True,
        )
        raise SystemExit(130) from None
    stats = results["summary"]
    return {
        "command": "seeds",
        "out": str(job.out),
        "trained": results["trained"],
        "skipped": results["skipped"],
        "seeds": [entry["seed"] for entry in results["seeds"]],
        "seconds": round(time.perf_counter() - start, 1),
        **{
            name: stats[name]
            for name in ("fid", "real_floor", "classes_present", "evenness")
        },
    }
