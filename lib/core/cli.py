"""Command-line plumbing shared by ``python -m lib.<module>``: one-line errors and JSON summaries.

Used by every command of chapters 02-04 (``python -m lib.palindrome``, ``lib.mnist``, ``lib.gan``) and
by the benchmarks. Every entry point reports bad input as a single line on stderr and exits with status 2,
without a traceback; its last stdout line is one JSON object summarising the run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

USAGE_ERROR = 2


class UsageError(ValueError):
    """Bad input found after parsing (an invalid value, a missing file); becomes exit status 2."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def whole_number(text: str, minimum: int, too_small: str) -> int:
    """Parse a whole number of at least ``minimum``; ``too_small`` (with ``{value}``) says why not."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(too_small.format(value=value))
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number above zero."""
    return whole_number(text, 1, "{value} must be above zero")


def non_negative_int(text: str) -> int:
    """argparse type: a whole number of at least 0 (a seed, an interval that 0 turns off)."""
    return whole_number(text, 0, "{value} is negative: give 0 or more")


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


def _number(text: str) -> float:
    """``text`` as a float, or the argparse error that says it is not a number."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def positive_float(text: str) -> float:
    """argparse type: a finite number above zero."""
    value = _number(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be a finite number above zero")
    return value


def non_negative_float(text: str) -> float:
    """argparse type: a finite number of at least zero."""
    value = _number(text)
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"{text} must be a finite number of at least zero"
        )
    return value


def require_folder(folder: str | Path) -> Path:
    """Return ``folder`` as a Path; FileNotFoundError, with what to do, when it does not exist."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"folder {str(folder)!r} does not exist: create it first"
        )
    return folder


def output_path(text: str) -> Path:
    """argparse type: a file path whose folder exists (the file itself may not)."""
    path = Path(text)
    if not path.parent.exists():
        raise argparse.ArgumentTypeError(
            f"folder {str(path.parent)!r} does not exist: create it first"
        )
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give a file name")
    return path


def existing_file(text: str) -> Path:
    """argparse type: a path to a file that exists."""
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no file at {text!r}")
    return path


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


def print_summary(summary: dict[str, Any]) -> None:
    """Print the run's JSON summary as the last stdout line."""
    print(json.dumps(summary, sort_keys=True), flush=True)


def run(
    main: Callable[[Sequence[str] | None], int | None],
    argv: Sequence[str] | None = None,
    prog: str | None = None,
) -> None:
    """Run ``main(argv)``; turn ValueError and FileNotFoundError into one stderr line and exit 2.

    ``prog`` names the command in error lines; by default the calling module's package, e.g.
    ``python -m lib.gan`` (whose ``sys.argv[0]`` is ``.../lib/gan/__main__.py``).
    """
    if prog is None:
        path = Path(sys.argv[0])
        prog = (
            f"python -m lib.{path.parent.name}"
            if path.stem == "__main__"
            else f"python -m lib.{path.stem}"
        )
    try:
        code = main(argv)
    except (ValueError, FileNotFoundError) as err:
        print(f"{prog}: error: {err}", file=sys.stderr, flush=True)
        sys.exit(USAGE_ERROR)
    except KeyboardInterrupt:
        print(
            f"{prog}: interrupted; rerun with --resume to continue from the last checkpoint",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(130)
    sys.exit(code or 0)
