"""Argument types of ``python -m lib.palindrome`` (chapter 02): lengths, seeds, names, folders.

Each type turns bad input into one line naming the flag (argparse's error, exit status 2).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lib.core import cli
from lib.core.device import pick_device
from lib.palindrome.config import MODELS
from lib.palindrome.sweep import RECIPES


def length_type(text: str) -> int:
    """argparse type: a palindrome length, a whole number of at least 2."""
    return cli.whole_number(
        text, 2, "{value} is too short: a palindrome needs at least 2 digits"
    )


def device_type(text: str) -> str:
    """argparse type: a device name that this machine has."""
    try:
        pick_device(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def folder_type(text: str) -> Path:
    """argparse type: an existing folder."""
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(
            f"folder {text!r} does not exist: create it first"
        )
    return Path(text)


def lengths_type(text: str) -> list[int]:
    """argparse type: comma-separated lengths, e.g. 5,10,20."""
    return [length_type(part) for part in text.split(",") if part.strip()] or [
        length_type("")
    ]


def _names(kind: str, allowed: tuple[str, ...]):
    """An argparse type for comma-separated names out of ``allowed``, e.g. lstm,rnn."""

    def parse(text: str) -> list[str]:
        names = [part.strip() for part in text.split(",") if part.strip()]
        bad = [n for n in names if n not in allowed] or ([] if names else [text])
        if bad:
            raise argparse.ArgumentTypeError(
                f"unknown {kind} {bad[0]!r}: use {' and/or '.join(allowed)}"
            )
        return names

    return parse


models_type = _names("model", MODELS)
recipes_type = _names("recipe", RECIPES)
