"""argparse types and shared flags of ``python -m lib.gan`` (chapters 03-04's command line)."""

from __future__ import annotations

import argparse

from lib.core.cli import existing_file, output_path, positive_int


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


def parse_seeds(text: str) -> tuple[int, ...]:
    """'0-2', '0,1,2' or a mix such as '0-2,5' -> distinct seeds >= 0 in the order given."""
    seeds: list[int] = []
    for part in text.split(","):
        first, dash, last = (piece.strip() for piece in part.partition("-"))
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ValueError(
                f"{text!r} is not a list of seeds: give whole numbers >= 0, e.g. 0-2 or 0,1,2"
            )
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            raise ValueError(
                f"the range {part.strip()!r} counts down: write it as {high}-{low}"
            )
        seeds.extend(range(low, high + 1))
    twice = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    if twice:
        raise ValueError(
            f"seed {twice[0]} appears twice in {text!r}: give each seed once"
        )
    return tuple(seeds)


def seed_list(text: str) -> tuple[int, ...]:
    """argparse type: seeds as a range 0-2, a list 0,1,2, or both (``parse_seeds``)."""
    try:
        return parse_seeds(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


ROOT_HELP = "folder with the prepared MNIST (`make data`; default $DLBOOK_DATA, else <repo>/data)"


DEVICE_HELP = "auto (the accelerator when present), cpu, cuda, cuda:N or mps"


def add_common(p: argparse.ArgumentParser, data: bool = False) -> None:
    """--device, and with ``data`` the --root and --cache folders."""
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    if data:
        p.add_argument("--root", default=None, help=ROOT_HELP)
        p.add_argument(
            "--cache",
            default=None,
            help="folder of cached models such as the classifier (default $DLBOOK_CACHE, else <repo>/cache)",
        )


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
