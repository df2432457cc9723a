"""Which GAN recipe should chapter 03 use? The reports' Adam (default betas) against improved ones.

Every recipe trains the same networks for the same number of epochs, so each gets the same number of
optimiser steps of the same cost: an equal wall-clock budget (the measured seconds of every run are
recorded to show it). Each run is scored by the FID of 2,000 generated digits against the test split
(on the MNIST classifier's penultimate features) and by its class coverage (how many digit classes
the classifier finds among the generated images, and how evenly: the normalised entropy of the counts).

    python benchmarks/gan_recipes.py                       # 3 recipes x 3 seeds, 10 epochs each
    python benchmarks/gan_recipes.py --epochs 40 --seeds 0 1 2 3 4

Finished runs are kept under --work (generator weights + seconds), so an interrupted benchmark
continues where it stopped. The summary goes to results/gan_recipes.json, which chapter 03 reads.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from pathlib import Path

import torch

from lib.checkpoint import load_checked, save_atomic
from lib.gan.config import GANConfig
from lib.gan.models import Generator, sample
from lib.gan.train import new_state, train
from lib.mnist import mnist_tensors, source_info
from lib.repro import pin_threads

RECIPES = {  # name -> the GANConfig fields that differ from the reports' recipe
    "reports: Adam betas (0.9, 0.999)": dict(betas=(0.9, 0.999)),
    "betas (0.5, 0.999)": dict(betas=(0.5, 0.999)),
    "betas (0.5, 0.999) + label smoothing 0.1": dict(betas=(0.5, 0.999), label_smoothing=0.1),
}
EVAL_SAMPLES = 2000


def run_one(name: str, seed: int, epochs: int, images: torch.Tensor, work: Path) -> dict:
    """Train one recipe with one seed (or reuse the finished run) and return its record."""
    path = work / f"{list(RECIPES).index(name)}-seed{seed}-e{epochs}.pt"
    config = GANConfig(epochs=epochs, seed=seed, device="cpu", **RECIPES[name])
    if path.is_file():
        saved = load_checked(path, "gan-recipe-run")
        generator = Generator(config.latent_dim)
        generator.load_state_dict(saved["generator"])
        return {"generator": generator, "seconds": saved["seconds"], "threads": saved.get("threads")}
    start = time.perf_counter()
    state = train(new_state(config), images, desc=f"{name} seed {seed}")
    seconds = time.perf_counter() - start
    threads = torch.get_num_threads()
    save_atomic({"kind": "gan-recipe-run", "format": 1, "config": config.to_dict(), "seconds": seconds,
                 "threads": threads, "generator": state.generator.state_dict()}, path)
    return {"generator": state.generator, "seconds": seconds, "threads": threads}


def score(generator: Generator, classifier, test_images: torch.Tensor, seed: int) -> dict:
    """FID against the test split and class coverage of EVAL_SAMPLES generated digits."""
    from lib.metrics import class_distribution, fid

    fake = sample(generator, EVAL_SAMPLES, rng=torch.Generator().manual_seed(10_000 + seed))
    spread = class_distribution(classifier.predict(fake))
    return {"fid": round(fid(classifier, fake, test_images), 3), "classes_present": spread["classes_present"],
            "class_evenness": round(spread["evenness"], 4), "class_counts": spread["counts"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (the equal budget; default 10)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds per recipe (default 0 1 2)")
    parser.add_argument("--root", default="data", help="prepared MNIST root (default data)")
    parser.add_argument("--work", default="runs/gan_recipes", help="folder for finished runs (default runs/gan_recipes)")
    parser.add_argument("--out", default="results/gan_recipes.json", help="summary JSON (default results/gan_recipes.json)")
    parser.add_argument("--train-only", action="store_true", help="train the runs, skip scoring")
    args = parser.parse_args()
    threads = pin_threads()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    images, _ = mnist_tensors(args.root, train=True)
    runs = {name: {seed: run_one(name, seed, args.epochs, images, work) for seed in args.seeds} for name in RECIPES}
    if args.train_only:
        return
    from lib.classifier import get_classifier

    classifier = get_classifier(args.root, device="cpu")
    test_images, _ = mnist_tensors(args.root, train=False)
    results = []
    for name, by_seed in runs.items():
        rows = [{"seed": seed, "seconds": round(r["seconds"], 1), "threads": r["threads"], **score(r["generator"], classifier, test_images, seed)}
                for seed, r in by_seed.items()]
        fids = torch.tensor([row["fid"] for row in rows], dtype=torch.float64)
        results.append({"recipe": name, "overrides": {k: list(v) if isinstance(v, tuple) else v
                                                      for k, v in RECIPES[name].items()},
                        "fid_mean": round(fids.mean().item(), 3), "fid_std": round(fids.std().item(), 3),
                        "min_classes_present": min(row["classes_present"] for row in rows),
                        "class_evenness_mean": round(sum(r["class_evenness"] for r in rows) / len(rows), 4),
                        "runs": rows})
    winner = min(results, key=lambda r: (-r["min_classes_present"], r["fid_mean"]))
    summary = {"epochs": args.epochs, "seeds": args.seeds, "eval_samples": EVAL_SAMPLES,
               "base_config": dataclasses.asdict(GANConfig(epochs=args.epochs)), "data": source_info(args.root),
               "note": "equal budget = equal epochs and steps; 'seconds' is wall-clock on a shared machine",
               "machine": {"scoring_threads": threads, "processor": platform.processor() or platform.machine(),
                           "torch": torch.__version__},
               "results": results, "winner": winner["recipe"]}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({"winner": winner["recipe"], "fid": {r["recipe"]: r["fid_mean"] for r in results}}))


if __name__ == "__main__":
    main()
