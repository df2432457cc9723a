"""Choosing where tensors live: ``auto`` picks the machine's accelerator (CUDA, MPS) when present.

Used by every command-line tool and config of chapters 02-04 (``--device``).
"""

from __future__ import annotations

import torch

NAMES = "auto, cpu, cuda, cuda:N or mps"
_TYPES = ("cpu", "cuda", "mps")


def check_device_name(name: str) -> str:
    """Return ``name`` if it is one of auto, cpu, cuda, cuda:N, mps; ValueError otherwise.

    Only the name is checked, not this machine: a config saved on a GPU machine still loads elsewhere.
    """
    if name == "auto":
        return name
    try:
        device = torch.device(name) if isinstance(name, str) else None
    except RuntimeError:
        device = None
    if (
        device is None
        or device.type not in _TYPES
        or (device.index is not None and device.type != "cuda")
    ):
        raise ValueError(f"unknown device {name!r}: use {NAMES}")
    return name


def pick_device(name: str = "auto") -> torch.device:
    """The torch device named by ``name`` (see ``check_device_name``), via ``torch.accelerator``.

    Raises ValueError for an unknown name, or for an accelerator this machine does not have.
    """
    check_device_name(name)
    accelerator = torch.accelerator.current_accelerator(
        check_available=True
    )  # None on a CPU-only machine
    if name == "auto":
        return (
            accelerator
            if accelerator is not None and accelerator.type in _TYPES
            else torch.device("cpu")
        )
    device = torch.device(name)
    if device.type == "cpu":
        return device
    if accelerator is None or accelerator.type != device.type:
        raise ValueError(
            f"device {name!r} asked for, but {device.type.upper()} is not available here: "
            f"use --device cpu or auto"
        )
    if device.index is not None and device.index >= torch.accelerator.device_count():
        raise ValueError(
            f"device {name!r} does not exist: this machine has "
            f"{torch.accelerator.device_count()} {device.type.upper()} device(s)"
        )
    return device
