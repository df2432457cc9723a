"""Palindrome data of chapter 02: remember the first digit until the end of the sequence.

A palindrome of ``T`` digits 0–9 reads the same both ways: ``d[j] == d[T-1-j]``. The model reads the
first ``T-1`` digits and predicts the last one, which equals the first. Everything between them is a
distraction, so the task measures how long a network keeps one digit in memory.

Two encodings of a digit ``d``:
    ``onehot`` -- a vector of 10 with a 1 at position ``d`` (the default; input_dim 10)
    ``scalar`` -- the value ``d`` itself as one float (input_dim 1), as in the original reports

Randomness is explicit: every function takes a ``torch.Generator``. Training and held-out data come from
two disjoint seed streams (``train_seed`` and ``heldout_seed``), so a held-out set never replays a
training batch's random draws.
"""

from __future__ import annotations

import torch

DIGITS = 10  # digits 0..9, also the number of classes
ENCODINGS = {"onehot": DIGITS, "scalar": 1}  # encoding -> input_dim


def check_length(length: object) -> int:
    """Return ``length`` if it is a whole number of at least 2 (bools refused); else raise ValueError."""
    if isinstance(length, bool) or not isinstance(length, int):
        raise ValueError(f"length must be a whole number of at least 2, got {length!r}")
    if length < 2:
        raise ValueError(
            f"length must be at least 2 (one digit to read, one to predict), got {length}"
        )
    return length


def check_encoding(encoding: object) -> str:
    """Return ``encoding`` if it is one of ENCODINGS; else raise ValueError."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}: use {' or '.join(ENCODINGS)}")
    return encoding  # type: ignore[return-value]


def input_dim(encoding: str) -> int:
    """Width of one encoded digit: 10 for ``onehot``, 1 for ``scalar``."""
    return ENCODINGS[check_encoding(encoding)]


def _check_count(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"{name} must be a whole number above zero, got {n!r}")
    return n


def train_seed(seed: int) -> int:
    """Seed of the training-batch stream (even numbers; the held-out stream takes the odd ones)."""
    return 2 * seed


def heldout_seed(seed: int) -> int:
    """Seed of the held-out stream; never equal to any ``train_seed``."""
    return 2 * seed + 1


def palindromes(n: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """Draw ``n`` uniform palindromes of ``length`` digits: a LongTensor of shape (n, length)."""
    _check_count("n", n)
    check_length(length)
    half = (
        length + 1
    ) // 2  # the free digits; the middle one of an odd length is its own mirror
    front = torch.randint(0, DIGITS, (n, half), generator=generator)  # (n, ⌈T/2⌉)
    back = front[:, : length // 2].flip(1)  # (n, ⌊T/2⌋)
    return torch.cat([front, back], dim=1)  # (n, T)


def encode(digits: torch.Tensor, encoding: str = "onehot") -> torch.Tensor:
    """Digits (n, L) -> float inputs (n, L, input_dim) in the chosen encoding."""
    check_encoding(encoding)
    if encoding == "onehot":
        return torch.nn.functional.one_hot(digits, DIGITS).float()  # (n, L, 10)
    return digits.float().unsqueeze(-1)  # (n, L, 1)


def split(
    digits: torch.Tensor, encoding: str = "onehot"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Palindromes (n, T) -> inputs x (n, T-1, input_dim) and targets y (n,), the last digit."""
    return encode(digits[:, :-1], encoding), digits[:, -1].clone()


def batch(
    n: int,
    length: int,
    generator: torch.Generator,
    encoding: str = "onehot",
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """A fresh batch: ``n`` new palindromes, split into (x, y) and moved to ``device``."""
    x, y = split(palindromes(n, length, generator), encoding)  # (n, T-1, D), (n,)
    return x.to(device), y.to(device)


def heldout(
    n: int,
    length: int,
    seed: int,
    encoding: str = "onehot",
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """The held-out set of a run with ``seed``: drawn from the held-out stream, the same on every call."""
    generator = torch.Generator().manual_seed(heldout_seed(seed))
    return batch(n, length, generator, encoding, device)


class Batches:
    """An endless stream of fresh training batches from the training seed stream of ``seed``."""

    def __init__(
        self,
        batch_size: int,
        seed: int,
        encoding: str = "onehot",
        device: torch.device | str = "cpu",
    ):
        self.batch_size = _check_count("batch_size", batch_size)
        self.encoding = check_encoding(encoding)
        self.device = device
        self.generator = torch.Generator().manual_seed(train_seed(seed))

    def next(self, length: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The next batch of palindromes of ``length`` digits (the length may change between calls)."""
        return batch(
            self.batch_size, length, self.generator, self.encoding, self.device
        )
