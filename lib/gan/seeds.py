"""The default GAN over several seeds: what chapters 03 and 04 may claim about training, not one run.

    python -m lib.gan seeds --seeds 0-2          (writes results/gan_seeds.json)

One trained GAN is a chaotic function of its seed and of float rounding (another CPU, another thread
count): a statement about what training achieves needs several seeds. This module trains
``DEFAULT_CONFIG`` once per seed (through the cache of ``lib.gan.cache``), scores each run as chapter 03
scores its own (FID of 2,000 samples against the test digits, the real-data floor, the class counts,
D's verdicts over the last epoch, FID over training) and measures chapter 04's interpolation pairs on
it. Chapter 03 reads the file for its claims and for the bounds its live run is checked against;
chapter 04 likewise. The file is rewritten atomically after every seed; a killed run resumes, skipping
the seeds the file already holds (the file's format and summary: ``lib.gan.seed_results``).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from lib.core.files import save_json
from lib.core.progress import progress
from lib.core.repro import torch_threads
from lib.gan.cache import DEFAULT_CONFIG, cache_path, default_run
from lib.gan.seed_results import FORMAT, load_results, summarise
from lib.gan.train import OPTIMIZER, TrainState, epoch_means

PAIRS = ((3, 4), (1, 7), (0, 6), (5, 8), (2, 9))  # chapter 04's digit pairs
PATH_STEPS = 7  # images between the two endpoints, as in chapter 04
EVAL_NOISE_SEED = 0  # the noise of the scored samples, as in chapter 03


@dataclass(frozen=True)
class SeedsConfig:
    """One batch of seeds: which, where, and how they are trained and scored."""

    seeds: tuple[int, ...]  # distinct seeds >= 0 (``lib.core.cli.parse_seeds``)
    out: Path  # the results JSON; its folder must exist
    root: Path  # the prepared MNIST
    cache: Path  # trained runs and the classifier, reused when config, data and threads match
    device: str = "auto"  # auto (CUDA when present), cpu, cuda, cuda:N or mps
    threads: int = 1  # torch threads: 1 keeps a long batch job off the other cores
    samples: int = 2000  # generated digits scored per seed (chapter 03 scores 2,000)
    command: str = ""  # the command line, stored in the file


def machine_info(threads: int) -> dict[str, Any]:
    """The CPU model, its core count, torch's thread count and versions: what the numbers ran on."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []
    models = [
        line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")
    ]
    return {
        "cpu": models[0] if models else platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "threads": threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def score_run(
    state: TrainState,
    classifier: torch.nn.Module,
    root: Path,
    samples: int,
    test_images: torch.Tensor,
) -> dict[str, Any]:
    """Score one trained run as chapter 03 scores its own, and measure chapter 04's pairs on it."""
    from lib.gan.evaluate import evaluate_generator, fid_over_training
    from lib.gan.interpolate import compare_paths

    scores = evaluate_generator(
        state.sampler, classifier, root, samples=samples, seed=EVAL_NOISE_SEED
    )
    # 1,000 samples each
    epochs, fids = fid_over_training(state.tracked, classifier, test_images)
    kept = (
        "fid",
        "real_floor",
        "class_counts",
        "classes_present",
        "missing_classes",
        "evenness",
        "inception_score",
        "real_inception_score",
        "classifier_test_accuracy",
    )
    return {
        **{name: scores[name] for name in kept},
        "min_class_count": min(scores["class_counts"]),
        "last_epoch": {
            k: round(v[-1], 4) for k, v in epoch_means(state.history).items()
        },
        "fid_over_training": {"epoch": epochs, "fid": [round(f, 2) for f in fids]},
        "paths": [
            compare_paths(state.sampler, classifier, a, b, PATH_STEPS) for a, b in PAIRS
        ],
        "with_g_statistics": with_g_statistics(state, classifier, samples, test_images),
    }


def with_g_statistics(
    state: TrainState,
    classifier: torch.nn.Module,
    samples: int,
    test_images: torch.Tensor,
) -> dict[str, float] | None:
    """The same samples scored with the weight average normalising by G's batch-norm statistics,
    as it did before it got its own (``lib.gan.steps.refresh_statistics``): what its own buy,
    measured on the same run. None without an average."""
    from lib.gan.evaluate import score_samples
    from lib.gan.models import sample

    if state.averaged is None:
        return None
    borrowed = copy.deepcopy(state.averaged)
    for mine, theirs in zip(borrowed.buffers(), state.generator.buffers()):
        mine.copy_(theirs)
    rng = torch.Generator().manual_seed(EVAL_NOISE_SEED)  # evaluate_generator's noise
    scores = score_samples(classifier, sample(borrowed, samples, rng=rng), test_images)
    return {k: scores[k] for k in ("fid", "inception_score", "min_class_fraction")}


def run_seed(
    job: SeedsConfig, seed: int, classifier: torch.nn.Module, test_images: torch.Tensor
) -> dict[str, Any]:
    """Train (or load from the cache) the default recipe with ``seed``, score it, time the whole."""
    config = dataclasses.replace(DEFAULT_CONFIG, seed=seed, device=job.device)
    cached = cache_path(config, job.root, job.cache).is_file()
    start = time.perf_counter()
    state = default_run(job.root, job.cache, job.device, config)
    scores = score_run(state, classifier, job.root, job.samples, test_images)
    return {
        "seed": seed,
        "from_cache": cached,
        "wall_seconds": round(time.perf_counter() - start, 1),
        "machine": machine_info(torch.get_num_threads()),
        **scores,
    }


def header(job: SeedsConfig, data: dict[str, Any]) -> dict[str, Any]:
    """What every seed in one file must share: the recipe, the data and the scoring."""
    recipe = {
        k: v for k, v in DEFAULT_CONFIG.to_dict().items() if k not in ("seed", "device")
    }
    fields = {
        "format": FORMAT,
        "recipe": recipe,
        "optimizer": OPTIMIZER,  # the same recipe trained by other code is another experiment
        "data": {k: data.get(k) for k in ("source", "version", "sha256", "counts")},
        "scoring": {
            "samples": job.samples,
            "noise_seed": EVAL_NOISE_SEED,
            "pairs": PAIRS,
            "path_steps": PATH_STEPS,
        },
    }
    return json.loads(json.dumps(fields))  # tuples as lists, as the file holds them


def run_seeds(job: SeedsConfig) -> dict[str, Any]:
    """Train and score each seed of ``job`` missing from ``job.out``, rewriting the file after each one."""
    from lib.mnist import mnist_tensors, source_info
    from lib.mnist.classifier import get_classifier

    # no data: source_info says `make data`
    results = load_results(job.out, header(job, source_info(job.root)))
    done = {entry["seed"] for entry in results["seeds"]}
    todo = [seed for seed in job.seeds if seed not in done]
    if todo and job.command not in results["commands"]:
        results["commands"].append(job.command)
    with torch_threads(job.threads):
        test_images, _ = mnist_tensors(job.root, train=False)  # (N_test, 1, 28, 28)
        classifier = get_classifier(job.root, job.cache, job.device) if todo else None
        with progress(total=len(todo), desc="seeds") as bar:
            for seed in todo:
                entries = [
                    *results["seeds"],
                    run_seed(job, seed, classifier, test_images),
                ]
                results["seeds"] = sorted(entries, key=lambda entry: entry["seed"])
                results["summary"] = summarise(results["seeds"])
                save_json(results, job.out)
                bar.update(1)
    return {
        "trained": todo,
        "skipped": [seed for seed in job.seeds if seed in done],
        **results,
    }
