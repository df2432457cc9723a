"""Where the book keeps its files: data, caches and results, found the same way by every chapter.

The project is installed in editable mode (``pip install -e .``), so the repository's root is two
folders above this file. Two environment variables move the writable folders elsewhere:

    DLBOOK_DATA   -- the prepared MNIST digits (default ``<repo>/data``)
    DLBOOK_CACHE  -- trained models kept between runs (default ``<repo>/cache``); the portability
                     pass of ``make test`` points it at an empty folder, so that no stored output
                     can depend on a model that only this machine could have trained
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """The folder of the prepared digits (``make data`` fills it)."""
    return Path(os.environ.get("DLBOOK_DATA") or ROOT / "data")


def cache_dir() -> Path:
    """The folder of cached models (safe to delete: they are retrained on demand)."""
    return Path(os.environ.get("DLBOOK_CACHE") or ROOT / "cache")


def web_dir() -> Path:
    """The exported models that the book's static pages run (``python -m lib.web export``)."""
    return ROOT / "book" / "_extra" / "web"


def results_dir() -> Path:
    """The committed results that the book's figures and claims come from."""
    return ROOT / "results"
