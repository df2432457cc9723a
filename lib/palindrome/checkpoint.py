"""A trained palindrome model on disk (chapter 02): its weights and the ``TrainConfig`` that made it.

Written by ``python -m lib.palindrome train ... --save model.pt`` and read by ``python -m
lib.palindrome evaluate --model-file model.pt``. The file is a plain dict of kind "palindrome"
written through ``lib.core.files`` (atomically) and read with ``weights_only=True``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from torch import nn

from lib.core.device import pick_device
from lib.core.files import FORMAT, load_checked, save_atomic
from lib.palindrome.config import TrainConfig
from lib.palindrome.train import make_model

KIND = "palindrome"
HOW = "train one with `python -m lib.palindrome train ... --save FILE`"


def save_model(
    model: nn.Module,
    config: TrainConfig,
    path: str | os.PathLike,
    info: dict[str, Any] | None = None,
) -> Path:
    """Write ``model``'s weights, ``config`` and ``info`` (accuracy, steps ...) to ``path``."""
    return save_atomic(
        {
            "kind": KIND,
            "format": FORMAT,
            "config": dataclasses.asdict(config),
            "model": {k: v.cpu() for k, v in model.state_dict().items()},
            "info": dict(info or {}),
        },
        path,
    )


def load_model(
    path: str | os.PathLike, device: str = "cpu"
) -> tuple[nn.Module, TrainConfig, dict[str, Any]]:
    """The model of ``path`` in eval mode on ``device``, its config and the saved info.

    FileNotFoundError for a missing file; ValueError, saying what to do, for a truncated file,
    another kind of checkpoint, or weights that do not fit the config's model.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {str(path)!r}: {HOW}")
    try:
        ckpt = load_checked(path, KIND)
        config = TrainConfig(**{**ckpt["config"], "device": device})
        model = make_model(config)
        model.load_state_dict(ckpt["model"])
    except (ValueError, TypeError, KeyError, RuntimeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ValueError(f"cannot use {str(path)!r} ({first}); {HOW}") from None
    return model.to(pick_device(device)).eval(), config, dict(ckpt.get("info", {}))
