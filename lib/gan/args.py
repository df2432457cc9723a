"""argparse types and shared flags of ``python -m lib.gan`` (chapters 03-04's command line)."""
from __future__ import annotations

import argparse

from lib.core.cli import positive_int


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


def non_negative_int(text: str) -> int:
    """argparse type: a whole number of at least 0."""
    return 0 if text.strip() == "0" else positive_int(text)


ROOT_HELP = "folder with the prepared MNIST (`make data`; default $DLBOOK_DATA, else <repo>/data)"


DEVICE_HELP = "auto (the accelerator when present), cpu, cuda, cuda:N or mps"


def add_common(p: argparse.ArgumentParser, data: bool = False) -> None:
    """--device, and with ``data`` the --root and --cache folders."""
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    if data:
        p.add_argument("--root", default=None, help=ROOT_HELP)
        p.add_argument("--cache", default=None,
                       help="folder of cached models such as the classifier (default $DLBOOK_CACHE, else <repo>/cache)")


def seed_list(text: str) -> tuple[int, ...]:
    """argparse type: seeds as a range 0-2, a list 0,1,2, or both."""
    from lib.gan.seeds import parse_seeds

    try:
        return parse_seeds(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
