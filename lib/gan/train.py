"""Training the GAN of chapter 03: the run's state, and the epoch loop around ``lib.gan.steps``.

Each batch is one discriminator step, then ``config.g_steps`` non-saturating generator steps
(``lib.gan.steps``, with the losses of ``lib.gan.losses``). With ``config.ema`` > 0 a moving average
of the generator's weights follows along, and it is the generator the run delivers
(``TrainState.sampler``): snapshots, tracked samples and the saved file come from it.

All randomness comes from explicit generators held in ``TrainState`` (the data order, the training
noise, the fixed noise of the snapshots); together with the weights and Adam's moments they are
what a checkpoint stores, so a resumed run continues bit for bit where the interrupted one stopped.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable

import torch

from lib.core.device import pick_device
from lib.core.progress import progress
from lib.core.seeded import seeded
from lib.gan.config import GANConfig
from lib.gan.models import Discriminator, Generator, sample
from lib.gan.steps import gan_step, refresh_statistics

SNAPSHOT_COUNT = 25  # a 5×5 grid
SNAPSHOT_NAMES = ("begin", "middle", "final")


@dataclass
class TrainState:
    """Everything a run needs to continue: networks, optimisers, generators, counters and records."""

    config: GANConfig
    generator: Generator
    discriminator: Discriminator
    opt_g: torch.optim.Adam
    opt_d: torch.optim.Adam
    data_rng: torch.Generator  # the order of the digits in each epoch
    noise_rng: torch.Generator  # the z of each training step
    # (25, latent) noise of the snapshot grids, the same all run long
    fixed_z: torch.Tensor
    epoch: int = 0  # epochs completed
    # training steps completed: one D update and config.g_steps G updates each
    step: int = 0
    history: dict[str, list[float]] = field(
        default_factory=lambda: {
            "loss_d": [],
            "loss_g": [],
            "d_real": [],
            "d_fake": [],
            "epoch_end_step": [],
        }
    )
    # name -> (25, 1, 28, 28)
    snapshots: dict[str, torch.Tensor] = field(default_factory=dict)
    # uint8 samples from fixed noise, for FID over training
    tracked: dict[str, list] = field(
        default_factory=lambda: {"epoch": [], "images": []}
    )
    # the moving average of the generator's weights (config.ema > 0), else None
    averaged: Generator | None = None

    @property
    def sampler(self) -> Generator:
        """The generator this run delivers: the weight average when there is one, else G itself."""
        return self.generator if self.averaged is None else self.averaged


# what builds the optimisers and how the average is delivered, beside the config: part of the cache
# key (lib.gan.cache) and of the seeds file's header, so a run of the previous implementation is
# trained again instead of reused
OPTIMIZER = "Adam, fused on cpu and cuda; the average's own batch-norm statistics"


def fused_adam(device: torch.device) -> bool | None:
    """Whether Adam runs as one fused kernel per step on ``device`` (True on the CPU and CUDA).

    On two CPU cores the default (one kernel per operation and tensor) spent 40% of a step in Adam;
    fused, a step takes 10 ms instead of 14 (benchmarks/gan_step.py). Same update, other rounding.
    """
    return True if device.type in ("cpu", "cuda") else None


def delivered(state: TrainState) -> Generator:
    """``state.sampler``, ready to sample: the weight average first gets batch-norm statistics of
    its own (``lib.gan.steps.refresh_statistics``)."""
    refresh_statistics(state)
    return state.sampler


def new_state(config: GANConfig) -> TrainState:
    """Fresh networks and optimisers, everything seeded from ``config.seed``."""
    device = pick_device(config.device)
    generator, discriminator = seeded(
        config.seed, lambda: (Generator(config.latent_dim), Discriminator())
    )
    generator, discriminator = generator.to(device), discriminator.to(device)
    adam = dict(lr=config.lr, betas=config.betas, fused=fused_adam(device))
    averaged = copy.deepcopy(generator).requires_grad_(False) if config.ema else None
    return TrainState(
        config=config,
        generator=generator,
        discriminator=discriminator,
        opt_g=torch.optim.Adam(generator.parameters(), **adam),
        opt_d=torch.optim.Adam(discriminator.parameters(), **adam),
        data_rng=torch.Generator().manual_seed(config.seed + 1),
        noise_rng=torch.Generator().manual_seed(config.seed + 2),
        fixed_z=torch.randn(
            SNAPSHOT_COUNT,
            config.latent_dim,
            generator=torch.Generator().manual_seed(config.seed + 3),
        ),
        averaged=averaged,
    )


def steps_per_epoch(n_images: int, batch_size: int) -> int:
    """Whole batches per epoch (the last partial batch is dropped: batch norm needs more than one row)."""
    return n_images // batch_size


def _record_tracked(state: TrainState) -> None:
    """Keep samples from fixed noise as bytes, for FID over training without storing weights."""
    cfg = state.config
    z = torch.randn(
        cfg.track_samples,
        cfg.latent_dim,
        generator=torch.Generator().manual_seed(cfg.seed + 4),
    )
    images = sample(
        delivered(state), cfg.track_samples, z=z
    )  # (N, 1, 28, 28) in [-1, 1]
    as_bytes = ((images + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
    state.tracked["epoch"].append(state.epoch)
    state.tracked["images"].append(as_bytes)


def _tracking_due(state: TrainState) -> bool:
    every, cfg = state.config.track_every, state.config
    return bool(every) and (state.epoch % every == 0 or state.epoch == cfg.epochs)


def run_epoch(
    state: TrainState,
    data: torch.Tensor,
    bar=None,
    stop: Callable[[], bool] | None = None,
) -> bool:
    """One pass over ``data`` (N, 1, 28, 28) in an order drawn from ``state.data_rng``.

    ``stop()`` is asked after every step; when it says so the pass ends there and does not count as
    an epoch (benchmarks/gan_recipes.py stops runs on a time budget this way). Returns whether the
    pass was completed.
    """
    cfg = state.config
    per_epoch = steps_per_epoch(len(data), cfg.batch_size)
    middle_step = max(1, per_epoch * cfg.epochs // 2)
    order = torch.randperm(len(data), generator=state.data_rng)  # (N,)
    state.generator.train()
    state.discriminator.train()
    for b in range(per_epoch):
        real = data[
            order[b * cfg.batch_size : (b + 1) * cfg.batch_size].to(data.device)
        ]  # (B, 1, 28, 28)
        for name, value in zip(
            ("loss_d", "loss_g", "d_real", "d_fake"), gan_step(state, real)
        ):
            state.history[name].append(value)
        state.step += 1
        if state.step == middle_step:
            state.snapshots["middle"] = sample(
                delivered(state), SNAPSHOT_COUNT, z=state.fixed_z
            )
        if bar is not None:
            bar.update(1)
        if stop is not None and stop():
            return False
    state.epoch += 1
    state.history["epoch_end_step"].append(state.step)
    return True


def epoch_means(history: dict[str, list[float]]) -> dict[str, list[float]]:
    """Per-epoch means of the per-step losses and verdicts in ``history`` (one value per finished epoch)."""
    ends = [0, *history["epoch_end_step"]]
    return {
        name: [
            sum(history[name][a:b]) / max(1, b - a) for a, b in zip(ends[:-1], ends[1:])
        ]
        for name in ("loss_d", "loss_g", "d_real", "d_fake")
    }


def train(
    state: TrainState,
    images: torch.Tensor,
    save: Callable[[TrainState], None] | None = None,
    desc: str = "GAN",
) -> TrainState:
    """Train from ``state.epoch`` to ``config.epochs`` on ``images`` (N, 1, 28, 28) in [-1, 1].

    ``save(state)`` is called after every epoch (the CLI writes the checkpoint there). Returns the
    same ``state``, trained, with the begin/middle/final snapshots filled in.
    """
    cfg = state.config
    data = images.to(next(state.generator.parameters()).device)
    per_epoch = steps_per_epoch(len(data), cfg.batch_size)
    if per_epoch == 0:
        raise ValueError(
            f"{len(data)} digits is fewer than one batch of {cfg.batch_size}"
        )
    if state.epoch == 0 and "begin" not in state.snapshots:
        state.snapshots["begin"] = sample(
            delivered(state), SNAPSHOT_COUNT, z=state.fixed_z
        )
        if cfg.track_every:
            _record_tracked(state)
    remaining = (cfg.epochs - state.epoch) * per_epoch
    with progress(total=remaining, desc=desc) as bar:
        while state.epoch < cfg.epochs:
            run_epoch(state, data, bar)
            if _tracking_due(state):
                _record_tracked(state)
            if state.epoch == cfg.epochs:
                state.snapshots["final"] = sample(
                    delivered(state), SNAPSHOT_COUNT, z=state.fixed_z
                )
            bar.set_postfix(
                epoch=state.epoch,
                loss_d=f"{state.history['loss_d'][-1]:.3f}",
                loss_g=f"{state.history['loss_g'][-1]:.3f}",
            )
            if save is not None:
                save(state)
    return state
