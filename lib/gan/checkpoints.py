"""GAN checkpoints as plain dicts: the full training state (kind "gan") and the generator alone
(kind "gan-generator", the ``mnist_generator.pt`` file). Both go through ``lib.core.files``:
atomic writes, and loads with ``weights_only=True`` that refuse pickled code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from lib.core.device import pick_device
from lib.core.files import FORMAT, load_checked, save_atomic
from lib.gan.config import GANConfig
from lib.gan.models import Generator
from lib.gan.steps import own_statistics
from lib.gan.train import TrainState, new_state

KIND = "gan"
GENERATOR_KIND = "gan-generator"


def _rng_states(state: TrainState) -> dict[str, Any]:
    states = {
        "torch_cpu": torch.get_rng_state(),
        "data": state.data_rng.get_state(),
        "noise": state.noise_rng.get_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def to_checkpoint(
    state: TrainState, data_info: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The whole training state as a plain dict of tensors, numbers and strings."""
    return {
        "kind": KIND,
        "format": FORMAT,
        "config": state.config.to_dict(),
        "data": dict(data_info or {}),
        "epoch": state.epoch,
        "step": state.step,
        "generator": state.generator.state_dict(),
        "discriminator": state.discriminator.state_dict(),
        "averaged": None if state.averaged is None else state.averaged.state_dict(),
        "opt_g": state.opt_g.state_dict(),
        "opt_d": state.opt_d.state_dict(),
        "rng": _rng_states(state),
        "fixed_z": state.fixed_z,
        "history": state.history,
        "snapshots": state.snapshots,
        "tracked": state.tracked,
    }


def from_checkpoint(
    ckpt: dict[str, Any], device: str | None = None, restore_global_rng: bool = True
) -> TrainState:
    """Rebuild a ``TrainState`` that continues exactly where ``ckpt`` was written.

    ``restore_global_rng`` also puts torch's global generators back as they were (what a resumed
    run wants; a notebook that only reads a cached run does not want its own RNG reset).
    """
    config = GANConfig.from_dict(ckpt["config"])
    if device is not None:
        config = GANConfig.from_dict({**config.to_dict(), "device": device})
    state = new_state(config)
    try:
        state.generator.load_state_dict(ckpt["generator"])
        state.discriminator.load_state_dict(ckpt["discriminator"])
        state.opt_g.load_state_dict(ckpt["opt_g"])
        state.opt_d.load_state_dict(ckpt["opt_d"])
        if state.averaged is not None:
            state.averaged.load_state_dict(ckpt["averaged"])
    except (RuntimeError, KeyError, ValueError, TypeError, AttributeError) as err:
        raise ValueError(
            f"the GAN checkpoint does not match lib.gan's networks: {str(err).splitlines()[0]}"
        ) from None
    state.data_rng.set_state(ckpt["rng"]["data"])
    state.noise_rng.set_state(ckpt["rng"]["noise"])
    if restore_global_rng:
        torch.set_rng_state(ckpt["rng"]["torch_cpu"])
        if "cuda" in ckpt["rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(ckpt["rng"]["cuda"])
    state.fixed_z = ckpt["fixed_z"]
    state.epoch, state.step = int(ckpt["epoch"]), int(ckpt["step"])
    state.history = {k: list(v) for k, v in ckpt["history"].items()}
    state.snapshots = dict(ckpt["snapshots"])
    state.tracked = {k: list(v) for k, v in ckpt["tracked"].items()}
    return state


def save_state(
    state: TrainState, path: str | os.PathLike, data_info: dict[str, Any] | None = None
) -> Path:
    """Write the training checkpoint atomically (a crash leaves the previous one intact)."""
    return save_atomic(to_checkpoint(state, data_info), path)


def load_state(
    path: str | os.PathLike, device: str | None = None, restore_global_rng: bool = True
) -> tuple[TrainState, dict[str, Any]]:
    """Load a kind "gan" checkpoint; return the state and the data description it was trained on."""
    ckpt = load_checked(path, kind=KIND)
    _check_keys(
        ckpt,
        ("config", "generator", "discriminator", "opt_g", "opt_d", "rng", "history"),
        path,
    )
    return from_checkpoint(ckpt, device, restore_global_rng), dict(ckpt.get("data", {}))


def save_generator(
    generator: Generator, config: GANConfig, path: str | os.PathLike
) -> Path:
    """Write ``mnist_generator.pt``: the generator's weights and the config that trained it."""
    return save_atomic(
        {
            "kind": GENERATOR_KIND,
            "format": FORMAT,
            "config": config.to_dict(),
            "generator": generator.state_dict(),
        },
        path,
    )


def load_generator(
    path: str | os.PathLike, device: str = "cpu"
) -> tuple[Generator, GANConfig]:
    """A generator in eval mode from either a "gan-generator" or a full "gan" checkpoint (whose weight
    average, when the run kept one)."""
    ckpt = load_checked(path, kind=(GENERATOR_KIND, KIND))
    _check_keys(ckpt, ("config", "generator"), path)
    config = GANConfig.from_dict(ckpt["config"])
    generator = Generator(config.latent_dim)
    averaged = ckpt.get("averaged")
    try:
        # a full checkpoint of a run with a weight average delivers the average
        generator.load_state_dict(averaged or ckpt["generator"])
    except RuntimeError as err:
        raise ValueError(
            f"{str(path)!r}: weights do not fit lib.gan's Generator ({str(err).splitlines()[0]})"
        ) from None
    generator = generator.to(pick_device(device))
    if averaged is not None:
        # a checkpoint written mid-run holds the statistics of the last refresh, not of these weights
        own_statistics(generator, config)
    return generator.eval(), config


def _check_keys(ckpt: dict[str, Any], keys: tuple[str, ...], path) -> None:
    missing = [k for k in keys if k not in ckpt]
    if missing:
        raise ValueError(
            f"{str(path)!r} is missing {missing}: not a complete lib.gan checkpoint"
        )
