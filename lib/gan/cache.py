"""The chapters' default GAN: trained once, then loaded from the cache by chapters 03 and 04 alike.

The cache (``lib.core.cache``) is keyed by the training config, the prepared data's digest
(SOURCE.json) and the numeric context, so changing any of them trains a new generator instead of
reusing a stale one. The folders default to ``lib.core.paths.data_dir()`` and ``cache_dir()``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from lib.core import cache
from lib.core.paths import data_dir
from lib.gan.checkpoints import load_state, save_state
from lib.gan.config import GANConfig
from lib.gan.models import Generator
from lib.gan.train import OPTIMIZER, TrainState, new_state, train

# A data or cache folder; None stands for the book's (``lib.core.paths``).
Folder = str | os.PathLike | None

# 80 epochs over the 8,500 npm training digits is 10,560 steps: about three minutes on two threads
# of an AMD EPYC (benchmarks/gan_step.py gives ms per step), with Adam fused
# (lib.gan.train.fused_adam) and D frozen in G's step (lib.gan.steps.generator_step). The recipe
# (Adam with learning rate 8e-4 and betas (0, 0.999), one-sided label smoothing 0.1, one G step per
# D step, a moving average of G's weights with decay 0.999 as the delivered generator, and the R1
# penalty with gamma 1 on D, applied on every 4th D step and weighted 4 times) is the winner of
# benchmarks/gan_recipes.py: its screening at 75 CPU seconds per run (results/gan_recipes.json)
# picked betas 0.5 and smoothing, where the reports' betas collapsed and 2 G steps per D step did
# worse; its final stage at 300 CPU seconds picked the weight average
# (results/gan_recipes_final.json); its momentum stage kept beta1 = 0.5 against 0 on a tie in FID,
# though beta1 = 0 scores higher (results/gan_recipes_momentum.json,
# results/gan_seeds_recipe_g.json); its R1 stage picked beta1 = 0 with the penalty, at about half
# the FID (results/gan_recipes_r1.json); its learning-rate stage doubled the reports' 2e-4
# (results/gan_recipes_lr.json). Its second learning-rate stage's winner, 8e-4
# (results/gan_recipes_lr8.json), was not adopted then: over 100 epochs it put fewer seeds on the
# score target than 4e-4 (results/gan_seeds_recipe_k.json against results/gan_seeds_recipe_j.json).
# Its lazy-penalty stage (results/gan_recipes_lazy.json) picked 8e-4 with the penalty on every 4th
# D step, whose cheaper steps fit the three-minute budget: over 80 epochs all five seeds reach the
# score target (results/gan_seeds.json). The average is sampled with batch-norm statistics of its
# own (lib.gan.steps.refresh_statistics), which lowered the FID of all five seeds of the earlier
# recipes E and J (results/gan_seeds_recipe_e.json, results/gan_seeds_recipe_j.json, chapter 03).
# tests/test_gan_train.py checks that these fields equal the newest adopted stage's winner.
DEFAULT_CONFIG = GANConfig(
    epochs=80,
    lr=8e-4,
    betas=(0.0, 0.999),
    label_smoothing=0.1,
    g_steps=1,
    ema=0.999,
    r1_gamma=1.0,
    r1_every=4,
    track_every=10,
    track_samples=1000,
)


def cache_path(
    config: GANConfig,
    root: Folder = None,
    cache_dir: Folder = None,
) -> Path:
    """Where the run of ``config`` on the data under ``root`` is cached (None: the book's folders)."""
    from lib.mnist import source_info

    weights = {
        k: v for k, v in config.to_dict().items() if k != "device"
    }  # the name alone changes nothing
    weights["optimizer"] = OPTIMIZER
    data = source_info(data_dir() if root is None else root).get("sha256")
    return cache.cache_path("gan", weights, data, config.device, cache_dir)


def default_run(
    root: Folder = None,
    cache_dir: Folder = None,
    device: str = "auto",
    config: GANConfig | None = None,
) -> TrainState:
    """The trained default run (weights, history, snapshots, tracked samples), trained or from the cache.

    ``root`` and ``cache_dir`` default to ``lib.core.paths.data_dir()`` and ``cache_dir()``. Pass
    ``config`` (e.g. ``dataclasses.replace(DEFAULT_CONFIG, epochs=200)``) for another run.
    """
    from lib.mnist import mnist_tensors, source_info

    root = data_dir() if root is None else root
    config = dataclasses.replace(config or DEFAULT_CONFIG, device=device)

    def train_it() -> TrainState:
        images, _ = mnist_tensors(
            root, train=True
        )  # (N, 1, 28, 28) in [-1, 1]; raises with what to run
        return train(new_state(config), images, desc="training the GAN")

    state = cache.cached(
        cache_path(config, root, cache_dir),
        train_it,
        save=lambda state, path: save_state(state, path, source_info(root)),
        load=lambda path: load_state(path, device=device, restore_global_rng=False)[0],
    )
    state.generator.eval()
    state.discriminator.eval()
    state.sampler.eval()
    return state


def default_generator(
    root: Folder = None, cache_dir: Folder = None, device: str = "auto", config=None
) -> Generator:
    """The chapters' trained generator, in eval mode (``default_run``'s sampler, with the same
    arguments: the weight average when the recipe keeps one)."""
    return default_run(root, cache_dir, device, config).sampler
