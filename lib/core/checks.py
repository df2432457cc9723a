"""Argument checks shared by every config and model: one message per kind of mistake.

Used by chapters 01-04 (LSTM sizes, palindrome and GAN configs, the classifier, interpolation).
Each check returns the value it accepted and raises ValueError naming the argument otherwise.
Booleans are refused where a number is expected: ``True`` is an int in Python, never a size.
"""

from __future__ import annotations

import math
from typing import Any


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def whole(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` if it is a whole number of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(
            f"{name} must be a whole number of at least {minimum}, got {value!r}"
        )
    return value


def positive(name: str, value: Any) -> float:
    """``value`` if it is a finite number above zero."""
    if not _is_number(value) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a finite number above zero, got {value!r}")
    return value


def nonnegative(name: str, value: Any) -> float:
    """``value`` if it is a finite number of at least zero."""
    if not _is_number(value) or not 0 <= value < math.inf:
        raise ValueError(
            f"{name} must be a finite number of at least zero, got {value!r}"
        )
    return value


def finite(name: str, value: Any) -> float:
    """``value`` if it is a finite number (of any sign)."""
    if not _is_number(value) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def fraction(
    name: str, value: Any, low: float = 0.0, high: float = 1.0, closed: bool = True
) -> float:
    """``value`` if it lies in (low, high] (``closed``) or [low, high) (not ``closed``)."""
    inside = _is_number(value) and (
        low < value <= high if closed else low <= value < high
    )
    if not inside:
        span = f"({low}, {high}]" if closed else f"[{low}, {high})"
        raise ValueError(f"{name} must be a number in {span}, got {value!r}")
    return value
