"""Reproducibility: seeds and thread counts, pinned in one place.

Used by every chapter's first cell (``pin_threads``, ``seed_everything``) and by the caches of
chapters 03-04, whose keys include the numeric context a model was trained in.
"""

from __future__ import annotations

import contextlib
import os
import random
from typing import Iterator

import torch

DEFAULT_THREADS = (
    2  # the CI machine's core count; results are compared against runs made with it
)


def pin_threads(n: int | None = None) -> int:
    """Fix torch's intra-op thread count and return it: ``n``, else ``DLBOOK_THREADS``, else 2.

    Float reductions split across threads may round differently with another count, so a
    notebook whose outputs are compared run to run pins the count first.
    """
    if n is None:
        n = int(os.environ.get("DLBOOK_THREADS", DEFAULT_THREADS))
    n = max(1, min(n, os.cpu_count() or 1))
    torch.set_num_threads(n)
    return n


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[int]:
    """Run a block with torch on exactly ``n`` threads, then restore the count it had before."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield n
    finally:
        torch.set_num_threads(before)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's and torch's global generators; return a fresh ``torch.Generator`` seeded likewise."""
    random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def numeric_context(device: torch.device | str) -> str:
    """What, besides the config and the data, changes trained weights in their last bits: the device
    type and, on the CPU, torch's thread count (float sums split across threads round differently).
    Cache keys include it, so that a model trained with 1 thread is not reused where a notebook run
    with 2 threads must reproduce its stored outputs."""
    device_type = torch.device(device).type
    return (
        f"cpu, {torch.get_num_threads()} threads"
        if device_type == "cpu"
        else device_type
    )
