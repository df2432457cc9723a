"""Seeded construction: build a module under a fixed seed without touching the caller's random state.

Used by chapter 02's models (``lib.palindrome.train.make_model``), chapter 03's GAN and the MNIST judge:
a layer's default initialisation draws from torch's global generator, so the same seed gives the
same weights, and the code around keeps the random stream it had.
"""

from __future__ import annotations

from typing import Callable, TypeVar

import torch

T = TypeVar("T")


def seeded(seed: int, build: Callable[[], T]) -> T:
    """``build()`` run with torch's global CPU generator seeded by ``seed``, restored afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()
