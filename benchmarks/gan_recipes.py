"""Which GAN recipe should chapter 03 use? The reports' recipe against better ones, at an equal time budget.

Every run trains the same networks from scratch until it has spent --budget-seconds of CPU time, with
torch on one thread and the clock read after every training step. A recipe whose steps cost more
(here: two generator updates per discriminator update) therefore gets fewer of them, which is the
point of a time budget. The clock is the process's CPU time: on an idle core it equals wall-clock
time, and unlike wall-clock time it does not stretch when other jobs share the machine. Every run
records both, and the D and G updates it reached.

The recipes (same networks, batch and data; RECIPES below):
  A. the reports': Adam with its default betas (0.9, 0.999), lr 2e-4;
  B. betas (0.5, 0.999);
  C. betas (0.5, 0.999) and one-sided label smoothing 0.1;
  D. C with two generator updates per discriminator update (``GANConfig.g_steps`` 2).
     Why this ratio and not 2 D per G: the generator is the network being scored and the larger one
     (1.5 M parameters against D's 0.53 M), and its update costs more than D's, so 2 G per D buys
     more generator updates per second (2 D per G would buy fewer), while the smaller D is the quick
     learner that risks winning outright;
  E. C with an exponential moving average of the generator's weights (decay 0.999), which is the
     generator the run delivers (``GANConfig.ema``);
  F. E with the learning rate doubled to 4e-4 for both players;
  G. E with no momentum in Adam: betas (0, 0.999);
  H. G with the R1 penalty on D, γ = 1 (``GANConfig.r1_gamma``): (γ/2)·E‖∇ₓ D_logit(x)‖² on the real
     digits, which keeps D's verdict from turning steep around the data;
  I. H with the penalty on every 4th D step only, weighted 4 times (``GANConfig.r1_every``): the
     same penalty on average, at a quarter of its cost;
  J. H with the learning rate doubled to 4e-4 for both players (F's change, which lost without
     the penalty: with it, D's gradient stays gentle enough for larger steps);
  K. H with the learning rate 8e-4, twice J's: can a larger step still buy the targets within the
     budget? (1.6e-3 broke down in a trial run: FID 43 at 60 epochs.)
  M. K with the penalty on every 4th D step, weighted 4 times (I's change): a step costs 0.87
     times K's on two threads (benchmarks/gan_step.py), so the budget buys more of them;
  N. J with the penalty on every 4th D step, weighted 4 times: the same for the chapter's recipe.

They run in two stages. The screening (A-D, 75 CPU s per run) weeds out the recipes that fail
outright. The final stage trains the screening's winner C and the two refinements E and F for
300 CPU s, which bought 102 to 119 epochs of them on the Xeon (about the chapter's 100) and 50
to 100 epochs on the AMD EPYC of the later stages, by recipe and session. A third
stage, "momentum", sets the final stage's winner E against G at the same budget, a fourth, "r1",
sets the momentum stage's winner E against G, H and I, a fifth, "lr", sets the R1 stage's
winner H against J, a sixth, "lr8", sets J against K, and a seventh, "lazy", sets K against
the cheaper-per-step M and N.

Each run is scored on 2,000 generated digits with the MNIST classifier (``lib.mnist``):
  - the FID against the test split, on the classifier's penultimate features;
  - class coverage: how many digit classes the classifier finds, how evenly (the normalised
    entropy of the counts), and the share of the rarest one;
  - the Inception-style score exp(E KL(p(y|x) || p(y))), set against the same score of the real
    test digits.
A run is on target when its score is at least 0.9 times the real digits' and every class holds at
least 5% of its digits (issue 13's targets). The winner is the recipe with the most seeds on target,
then the most classes in its worst seed, then the lowest mean FID.

    python benchmarks/gan_recipes.py --stage screening   # A-D x 3 seeds, 75 s each (~17 min)
    python benchmarks/gan_recipes.py                     # C, E, F x 3 seeds, 300 s each (~45 min)
    python benchmarks/gan_recipes.py --stage momentum    # E, G x 3 seeds, 300 s each (~30 min)
    python benchmarks/gan_recipes.py --stage r1          # E, G, H, I x 3 seeds (~60 min)
    python benchmarks/gan_recipes.py --stage lr          # H, J x 3 seeds (~30 min)
    python benchmarks/gan_recipes.py --stage lr8         # J, K x 3 seeds (~30 min)
    python benchmarks/gan_recipes.py --stage lazy        # K, M, N x 3 seeds (~45 min)
    python benchmarks/gan_recipes.py --budget-seconds 120 --seeds 0 1 2 3 4

Finished runs are kept under --work (generator weights and timings), so an interrupted benchmark
continues where it stopped, and several processes with different --seeds or --recipes can share
the work folder (two processes halve the wall time on two cores; a run of the whole stage then
collects their runs and writes the summary). The summaries go to results/gan_recipes.json
(screening), results/gan_recipes_final.json (final), results/gan_recipes_momentum.json,
results/gan_recipes_r1.json, results/gan_recipes_lr.json, results/gan_recipes_lr8.json and
results/gan_recipes_lazy.json, which chapter 03 reads.
"""

from __future__ import annotations

import os
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
from lib.gan.evaluate import score_samples
from lib.gan.models import Generator, sample
from lib.gan.seeds import machine_info
from lib.gan.train import delivered, new_state, run_epoch, steps_per_epoch

_C = dict(betas=(0.5, 0.999), label_smoothing=0.1, g_steps=1)
_G = {**_C, "ema": 0.999, "betas": (0.0, 0.999)}
RECIPES = {  # letter -> (name, the GANConfig fields that make the recipe; all else: GANConfig's defaults)
    "A": (
        "reports: Adam betas (0.9, 0.999)",
        dict(betas=(0.9, 0.999), label_smoothing=0.0, g_steps=1),
    ),
    "B": (
        "betas (0.5, 0.999)",
        dict(betas=(0.5, 0.999), label_smoothing=0.0, g_steps=1),
    ),
    "C": ("betas (0.5, 0.999) + label smoothing 0.1", _C),
    "D": (
        "betas (0.5, 0.999) + label smoothing 0.1 + 2 G steps per D step",
        {**_C, "g_steps": 2},
    ),
    "E": ("C + weight average 0.999", {**_C, "ema": 0.999}),
    "F": ("C + weight average 0.999 + lr 4e-4", {**_C, "ema": 0.999, "lr": 4e-4}),
    "G": ("E + Adam betas (0, 0.999)", _G),
    "H": ("G + R1 penalty, gamma 1", {**_G, "r1_gamma": 1.0}),
    "I": (
        "G + R1 penalty, gamma 1, every 4th D step",
        {**_G, "r1_gamma": 1.0, "r1_every": 4},
    ),
    "J": ("H + lr 4e-4", {**_G, "r1_gamma": 1.0, "lr": 4e-4}),
    "K": ("H + lr 8e-4", {**_G, "r1_gamma": 1.0, "lr": 8e-4}),
    "M": (
        "K + R1 penalty on every 4th D step",
        {**_G, "r1_gamma": 1.0, "lr": 8e-4, "r1_every": 4},
    ),
    "N": (
        "J + R1 penalty on every 4th D step",
        {**_G, "r1_gamma": 1.0, "lr": 4e-4, "r1_every": 4},
    ),
}
STAGES = {  # the screening at a short budget, then the finalists at the chapter's budget
    "screening": (("A", "B", "C", "D"), 75.0, "results/gan_recipes.json"),
    "final": (("C", "E", "F"), 300.0, "results/gan_recipes_final.json"),
    "momentum": (("E", "G"), 300.0, "results/gan_recipes_momentum.json"),
    "r1": (("E", "G", "H", "I"), 300.0, "results/gan_recipes_r1.json"),
    "lr": (("H", "J"), 300.0, "results/gan_recipes_lr.json"),
    "lr8": (("J", "K"), 300.0, "results/gan_recipes_lr8.json"),
    "lazy": (("K", "M", "N"), 300.0, "results/gan_recipes_lazy.json"),
}
TARGETS = {"inception_ratio": 0.9, "min_class_fraction": 0.05}  # issue 13's, per seed
EVAL_SAMPLES = 2000
# format 3: fused Adam; 4: the average's own batch-norm statistics
RUN_KIND, RUN_FORMAT = "gan-recipe-run", 4


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
    return delivered(state), timing


def run_one(
    config: GANConfig, budget: float, images: torch.Tensor, work: Path, desc: str
) -> tuple[Generator, dict]:
    """Train one recipe with one seed, or reuse the finished run saved under ``work``."""
    # made before training, so that a finished run always has somewhere to go
    work.mkdir(parents=True, exist_ok=True)
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
    """FID against the test split, class coverage and the Inception-style score of EVAL_SAMPLES
    generated digits (``lib.gan.evaluate.score_samples``, under this file's names)."""
    fake = sample(
        generator, EVAL_SAMPLES, rng=torch.Generator().manual_seed(10_000 + seed)
    )
    row = score_samples(classifier, fake, test_images)
    row["class_evenness"] = row.pop("evenness")
    del row["missing_classes"]
    return row


def on_target(row: dict, real_score: float) -> bool:
    """Whether one run meets TARGETS: its score against the real digits', and its rarest class."""
    return (
        row["inception_score"] >= TARGETS["inception_ratio"] * real_score
        and row["min_class_fraction"] >= TARGETS["min_class_fraction"]
    )


def evaluate_recipe(
    name: str, overrides: dict, args, images, classifier, test_images, real_score
) -> dict[str, Any]:
    """Train (or reuse) and score every seed of one recipe; summarise over the seeds."""
    rows = []
    for seed in args.seeds:
        config = GANConfig(seed=seed, device="cpu", **overrides)
        generator, timing = run_one(
            config, args.budget_seconds, images, Path(args.work), f"{name}, seed {seed}"
        )
        row = {
            "seed": seed,
            **timing,
            **score(generator, classifier, test_images, seed),
        }
        row["on_target"] = on_target(row, real_score)
        rows.append(row)
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
        "inception_ratio_min": round(
            min(row["inception_score"] for row in rows) / real_score, 3
        ),
        "min_class_fraction_min": min(row["min_class_fraction"] for row in rows),
        "seeds_on_target": sum(row["on_target"] for row in rows),
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
    """Best first: the most seeds on target, then the most classes covered by the worst seed, then
    the lowest mean FID."""
    return sorted(
        results,
        key=lambda r: (-r["seeds_on_target"], -r["min_classes_present"], r["fid_mean"]),
    )


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


def _parser() -> Parser:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--stage",
        choices=sorted(STAGES),
        default="final",
        help="screening: recipes A-D at 75 CPU s (results/gan_recipes.json); final: C, E, F at "
        "300 CPU s (results/gan_recipes_final.json; default); momentum: E, G at 300 CPU s "
        "(results/gan_recipes_momentum.json); r1: E, G, H, I at 300 CPU s "
        "(results/gan_recipes_r1.json); lr: H, J at 300 CPU s (results/gan_recipes_lr.json); "
        "lr8: J, K at 300 CPU s (results/gan_recipes_lr8.json)",
    )
    parser.add_argument(
        "--budget-seconds",
        type=positive_float,
        help="CPU seconds of training per run, the equal budget (default: the stage's)",
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
        "--recipes",
        nargs="+",
        choices=sorted(RECIPES),
        help="train only these of the stage's recipes, for a second process sharing --work; "
        "the summary is written only by a run of the whole stage",
    )
    parser.add_argument("--out", help="summary JSON (default: the stage's)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import json

    from lib.mnist import mnist_tensors, source_info
    from lib.mnist.classifier import get_classifier
    from lib.mnist.fid import inception_score

    args = _parser().parse_args(argv)
    letters, budget, out = STAGES[args.stage]
    unknown = sorted(set(args.recipes or ()) - set(letters))
    if unknown:
        raise ValueError(
            f"recipes {unknown} are not in stage {args.stage!r} ({', '.join(letters)})"
        )
    args.budget_seconds = args.budget_seconds or budget
    args.out = args.out or out
    # one thread: CPU time is then the time of the steps, whatever else runs
    threads = pin_threads(1)
    images, _ = mnist_tensors(args.root, train=True)
    test_images, _ = mnist_tensors(args.root, train=False)
    classifier = get_classifier(args.root, device="cpu")
    real_score = inception_score(classifier, test_images)
    started, load_start = (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        os.getloadavg()[0],
    )
    context = (args, images, classifier, test_images, real_score)
    if args.recipes:
        for letter in args.recipes:
            evaluate_recipe(*RECIPES[letter], *context)
        print(f"trained {', '.join(args.recipes)}; run the whole stage for the summary")
        return 0
    results = [evaluate_recipe(*RECIPES[letter], *context) for letter in letters]
    order = ranked(results)
    summary = {
        "stage": args.stage,
        "letters": list(letters),
        "budget_seconds": args.budget_seconds,
        "clock": "CPU time of the training process (torch on 1 thread), read after every training step",
        "seeds": args.seeds,
        "eval_samples": EVAL_SAMPLES,
        "real_inception_score": round(real_score, 3),
        "targets": TARGETS,
        "base_config": GANConfig(device="cpu").to_dict(),
        "data": source_info(args.root),
        "note": "each recipe sets only its overrides; runs stop on the budget, so 'epochs' of "
        "base_config is unused. Winner: most seeds on target, then most classes in the worst "
        "seed, then lowest mean FID.",
        "machine": machine_info(threads),
        "started": started,
        "load_average": {
            "start": round(load_start, 2),
            "end": round(os.getloadavg()[0], 2),
        },
        "results": results,
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
            "seeds_on_target": {r["recipe"]: r["seeds_on_target"] for r in results},
            "inception_ratio_min": {
                r["recipe"]: r["inception_ratio_min"] for r in results
            },
        }
    )
    return 0


if __name__ == "__main__":
    run(main, prog="python benchmarks/gan_recipes.py")
