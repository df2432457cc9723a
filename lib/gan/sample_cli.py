"""``python -m lib.gan sample``: a grid of digits from a trained generator (chapter 03's grids)."""

from __future__ import annotations

import torch

from lib.core.cli import add_common
from lib.gan.args import add_count, add_files, add_noise_seed
from lib.gan.checkpoints import load_generator
from lib.gan.models import sample
from lib.gan.snapshots import save_grid

HELP = "write a grid of generated digits"
DESCRIPTION = "Write a grid of digits generated from a checkpoint."


def add_flags(p) -> None:
    """--checkpoint, --out, --count, --seed and --device."""
    add_files(p, "--checkpoint", "--out")
    add_count(p, "--count", 25, "how many digits (default 25, a 5×5 grid)")
    add_noise_seed(p)
    add_common(p)


def run(args) -> dict:
    """Write the grid of ``args``; return the JSON summary."""
    generator, config = load_generator(args.checkpoint, device=args.device)
    images = sample(
        generator, args.count, rng=torch.Generator().manual_seed(args.seed)
    )  # (count, 1, 28, 28)
    save_grid(images, args.out, nrow=max(1, round(args.count**0.5)))
    return {
        "command": "sample",
        "checkpoint": str(args.checkpoint),
        "count": args.count,
        "out": str(args.out),
    }
