"""Which GAN recipe should chapter 03 use? The reports' recipe against better ones, at an equal time budget.

Every run trains the same networks from scratch until it has spent --budget-seconds of CPU time, with
torch on one thread and the clock read after every training step. A recipe whose steps cost more
(here: two generator updates per discriminator update) therefore gets fewer of them, which is the
point of a time budget. The clock is the process's CPU time: on an idle core it equals wall-clock
time, and unlike wall-clock time it does not stretch when other jobs share the machine. Every run
records both, and the D and G updates it reached.

The recipes (same networks, learning rate, batch and data):
  1. the reports': Adam with its default betas (0.9, 0.999);
  2. betas (0.5, 0.999);
  3. betas (0.5, 0.999) and one-sided label smoothing 0.1;
  4. the best of 1-3 with two generator updates per discriminator update (``GANConfig.g_steps`` 2).
     Why this ratio and not 2 D per G: the generator is the network being scored and the larger one
     (1.5 M parameters against D's 0.53 M), and on this CPU its update costs 18 ms against D's 11 ms,
     so 2 G per D buys about a fifth more generator updates per second (2 D per G would buy about a
     quarter fewer), while the smaller D is the quick learner that risks winning outright.

Each run is scored by the FID of 2,000 generated digits against the test split (on the MNIST
classifier's penultimate features) and by its class coverage (how many digit classes the classifier
finds among them, and how evenly: the normalised entropy of the counts). The winner is the recipe
whose worst seed covers the most classes, then the lowest mean FID.

    python benchmarks/gan_recipes.py                         # 4 recipes x 3 seeds, 75 s each (~17 min)
    python benchmarks/gan_recipes.py --budget-seconds 120 --seeds 0 1 2 3 4

Finished runs are kept under --work (generator weights and timings), so an interrupted benchmark
continues where it stopped. The summary goes to results/gan_recipes.json, which chapter 03 reads.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any, Sequence

import torch

from lib.core.cache import digest
from lib.core.cli import Parser, positive_float, print_summary, run
from lib.core.files import load_checked, save_atomic
from lib.core.progress import progress
from lib.core.repro import pin_threads
from lib.gan.config import GANConfig
from lib.gan.models import Generator, sample
from lib.gan.train import new_state, run_epoch, steps_per_epoch

BASE_RECIPES = {  # name -> the GANConfig fields that make the recipe (all else: GANConfig's defaults)
    "reports: Adam betas (0.9, 0.999)": dict(
        betas=(0.9, 0.999), label_smoothing=0.0, g_steps=1
    ),
    "betas (0.5, 0.999)": dict(betas=(0.5, 0.999), label_smoothing=0.0, g_steps=1),
    "betas (0.5, 0.999) + label smoothing 0.1": dict(
        betas=(0.5, 0.999), label_smoothing=0.1, g_steps=1
    ),
}
STEP_RATIO = (
    "2 G steps per D step",
    dict(g_steps=2),
)  # added on top of the best base recipe
EVAL_SAMPLES = 2000
DEFAULT_BUDGET = (
    75.0  # CPU seconds per run: 12 runs plus scoring stay under ~20 minutes
)
RUN_KIND, RUN_FORMAT = "gan-recipe-run", 2


def train_for(
    config: GANConfig, images: torch.Tensor, budget: float, desc: str
) -> tuple[Generator, dict]:
    """Train a fresh run of ``config`` until ``budget`` seconds of this process's CPU time are spent."""
    state = new_state(config)
    data = images
    cpu_start, wall_start = time.process_time(), time.perf_counter()

    def spent() -> float:
        return time.process_time() - cpu_start

    with progress(
        total=budget,
        desc=desc,
        unit="cpu s",
        bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} cpu s",
    ) as bar:
        while spent() < budget:
            run_epoch(state, data, stop=lambda: spent() >= budget)
            bar.update(min(spent(), budget) - bar.n)
    per_epoch = steps_per_epoch(len(data), config.batch_size)
    timing = {
        "cpu_seconds": round(spent(), 2),
        "wall_seconds": round(time.perf_counter() - wall_start, 2),
        "d_updates": state.step,
        "g_updates": state.step * config.g_steps,
        "epochs": round(state.step / per_epoch, 2),
        "load_average": round(os.getloadavg()[0], 2),
    }
    return state.generator, timing


def run_one(
    config: GANConfig, budget: float, images: torch.Tensor, work: Path, desc: str
) -> tuple[Generator, dict]:
    """Train one recipe with one seed, or reuse the finished run saved under ``work``."""
    path = work / f"seed{config.seed}-{digest(config.to_dict(), 'budget', budget)}.pt"
    if path.is_file():
        saved = load_checked(path, RUN_KIND)
        if saved.get("format") == RUN_FORMAT and saved["config"] == config.to_dict():
            generator = Generator(config.latent_dim)
            generator.load_state_dict(saved["generator"])
            return generator, saved["timing"]
    generator, timing = train_for(config, images, budget, desc)
    timing["threads"] = torch.get_num_threads()
    save_atomic(
        {
            "kind": RUN_KIND,
            "format": RUN_FORMAT,
            "config": config.to_dict(),
            "budget_seconds": budget,
            "timing": timing,
            "generator": generator.state_dict(),
        },
        path,
    )
    return generator, timing


def score(
    generator: Generator, classifier, test_images: torch.Tensor, seed: int
) -> dict:
    """FID against the test split and class coverage of EVAL_SAMPLES generated digits."""
    from lib.mnist.fid import class_distribution, fid

    fake = sample(
        generator, EVAL_SAMPLES, rng=torch.Generator().manual_seed(10_000 + seed)
    )
    spread = class_distribution(classifier.predict(fake))
    return {
        "fid": round(fid(classifier, fake, test_images), 3),
        "classes_present": spread["classes_present"],
        "class_evenness": round(spread["evenness"], 4),
        "class_counts": spread["counts"],
    }


def evaluate_recipe(
    name: str, overrides: dict, args, images, classifier, test_images
) -> dict[str, Any]:
    """Train (or reuse) and score every seed of one recipe; summarise over the seeds."""
    rows = []
    for seed in args.seeds:
        config = GANConfig(seed=seed, device="cpu", **overrides)
        generator, timing = run_one(
            config, args.budget_seconds, images, Path(args.work), f"{name}, seed {seed}"
        )
        rows.append(
            {"seed": seed, **timing, **score(generator, classifier, test_images, seed)}
        )
    fids = [row["fid"] for row in rows]

    def mean(key: str) -> float:
        return round(statistics.fmean(row[key] for row in rows), 2)

    return {
        "recipe": name,
        "overrides": {
            k: list(v) if isinstance(v, tuple) else v for k, v in overrides.items()
        },
        "fid_mean": round(statistics.fmean(fids), 3),
        "fid_std": round(statistics.stdev(fids), 3) if len(fids) > 1 else 0.0,
        "min_classes_present": min(row["classes_present"] for row in rows),
        "class_evenness_mean": round(
            statistics.fmean(row["class_evenness"] for row in rows), 4
        ),
        **{
            f"{key}_mean": mean(key)
            for key in (
                "d_updates",
                "g_updates",
                "epochs",
                "cpu_seconds",
                "wall_seconds",
            )
        },
        "runs": rows,
    }


def ranked(results: list[dict]) -> list[dict]:
    """Best first: the most classes covered by the worst seed, then the lowest mean FID."""
    return sorted(results, key=lambda r: (-r["min_classes_present"], r["fid_mean"]))


def lead(winner: dict, runner_up: dict) -> dict[str, Any]:
    """How far ahead the winner is, and whether that is inside the spread between seeds."""
    gap = runner_up["fid_mean"] - winner["fid_mean"]
    return {
        "runner_up": runner_up["recipe"],
        "fid_gap": round(gap, 3),
        "more_classes": winner["min_classes_present"]
        > runner_up["min_classes_present"],
        # mean ± one standard deviation over seeds of the two recipes overlap
        "within_seed_spread": winner["min_classes_present"]
        == runner_up["min_classes_present"]
        and gap < winner["fid_std"] + runner_up["fid_std"],
    }


def machine(threads: int) -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo")
    models = [
        line.split(":", 1)[1].strip()
        for line in (cpuinfo.read_text().splitlines() if cpuinfo.is_file() else [])
        if line.startswith("model name")
    ]
    return {
        "cpu": models[0] if models else platform.processor(),
        "cores": os.cpu_count(),
        "threads": threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def _parser() -> Parser:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--budget-seconds",
        type=positive_float,
        default=DEFAULT_BUDGET,
        help=f"CPU seconds of training per run, the equal budget (default {DEFAULT_BUDGET:g})",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="seeds per recipe (default 0 1 2)",
    )
    parser.add_argument(
        "--root", default="data", help="prepared MNIST root (default data)"
    )
    parser.add_argument(
        "--work",
        default="runs/gan_recipes",
        help="folder for finished runs (default runs/gan_recipes)",
    )
    parser.add_argument(
        "--out",
        default="results/gan_recipes.json",
        help="summary JSON (default results/gan_recipes.json)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import json

    from lib.mnist import mnist_tensors, source_info
    from lib.mnist.classifier import get_classifier

    args = _parser().parse_args(argv)
    threads = pin_threads(
        1
    )  # one thread: CPU time is then the time of the steps, whatever else runs
    Path(args.work).mkdir(parents=True, exist_ok=True)
    images, _ = mnist_tensors(args.root, train=True)
    test_images, _ = mnist_tensors(args.root, train=False)
    classifier = get_classifier(args.root, device="cpu")
    started, load_start = (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        os.getloadavg()[0],
    )
    context = (args, images, classifier, test_images)
    results = [
        evaluate_recipe(name, overrides, *context)
        for name, overrides in BASE_RECIPES.items()
    ]
    best_base = ranked(results)[0]
    ratio_name, ratio = STEP_RATIO
    results.append(
        evaluate_recipe(
            f"{best_base['recipe']} + {ratio_name}",
            {**BASE_RECIPES[best_base["recipe"]], **ratio},
            *context,
        )
    )
    order = ranked(results)
    summary = {
        "budget_seconds": args.budget_seconds,
        "clock": "CPU time of the training process (torch on 1 thread), read after every training step",
        "seeds": args.seeds,
        "eval_samples": EVAL_SAMPLES,
        "base_config": GANConfig(device="cpu").to_dict(),
        "data": source_info(args.root),
        "note": "each recipe sets only its overrides; runs stop on the budget, so 'epochs' of base_config "
        "is unused. Winner: most classes in the worst seed, then lowest mean FID.",
        "machine": machine(threads),
        "started": started,
        "load_average": {
            "start": round(load_start, 2),
            "end": round(os.getloadavg()[0], 2),
        },
        "results": results,
        "best_base_recipe": best_base["recipe"],
        "winner": order[0]["recipe"],
        "winner_overrides": order[0]["overrides"],
        "lead": lead(order[0], order[1]),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
    print_summary(
        {
            "winner": order[0]["recipe"],
            "within_seed_spread": summary["lead"]["within_seed_spread"],
            "fid": {r["recipe"]: [r["fid_mean"], r["fid_std"]] for r in results},
            "g_updates": {r["recipe"]: r["g_updates_mean"] for r in results},
        }
    )
    return 0


if __name__ == "__main__":
    run(main, prog="python benchmarks/gan_recipes.py")
