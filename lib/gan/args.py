"""argparse types and shared flags of ``python -m lib.gan`` (chapters 03-04's command line)."""

from __future__ import annotations

import argparse

from lib.core.cli import existing_file, non_negative_int, output_path, positive_int


def digit(text: str) -> int:
    """argparse type: a digit 0..9."""
    if not text.strip().isdigit() or int(text) > 9:
        raise argparse.ArgumentTypeError(f"{text!r} is not a digit from 0 to 9")
    return int(text)


def unit_interval(text: str) -> float:
    """argparse type: a number in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be in [0, 1)")
    return value


def add_files(p: argparse.ArgumentParser, *flags: str) -> None:
    """--checkpoint (the generator to read) and --out (the PNG to write), as ``flags`` order."""
    files = {
        "--checkpoint": (existing_file, "mnist_generator.pt or checkpoint.pt"),
        "--out": (output_path, "PNG file to write (its folder must exist)"),
    }
    for flag in flags:
        kind, text = files[flag]
        p.add_argument(flag, type=kind, required=True, help=text)


def add_count(p: argparse.ArgumentParser, flag: str, default: int, help: str) -> None:
    """A count of digits, above zero: --count of sample, --samples of evaluate and seeds."""
    p.add_argument(flag, type=positive_int, default=default, help=help)


def add_noise_seed(
    p: argparse.ArgumentParser, help: str = "seed of the noise (default 0)"
) -> None:
    """--seed: the seed of the noise vectors (sample, interpolate, evaluate)."""
    p.add_argument("--seed", type=non_negative_int, default=0, help=help)
