"""Choosing where tensors live: ``auto`` picks CUDA when present, else the CPU."""
from __future__ import annotations

import re

import torch

_DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda(:\d+)?|mps)$")


def pick_device(name: str = "auto") -> torch.device:
    """Return the torch device named by ``name``: ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.

    Raises ValueError for an unknown name, or for an accelerator this machine does not have.
    """
    if not isinstance(name, str) or not _DEVICE_PATTERN.match(name):
        raise ValueError(f"unknown device {name!r}: use auto, cpu, cuda, cuda:N or mps")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} asked for, but CUDA is not available here: use --device cpu or auto")
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise ValueError(f"device {name!r} does not exist: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("device 'mps' asked for, but MPS is not available here: use --device cpu or auto")
    return torch.device(name)
