"""Train once, then load: the cache of chapter 03's GAN and of the MNIST judge (chapters 03-04).

A cache file is named by a hash of what changes the trained weights: the config, the prepared data's
digest and the numeric context (device type; on the CPU the thread count, see
``lib.core.repro.numeric_context``). Changing any of them trains a new model instead of reusing a
stale one. The folder defaults to ``lib.core.paths.cache_dir()`` (``DLBOOK_CACHE``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable, TypeVar

from lib.core.device import pick_device
from lib.core.files import FORMAT
from lib.core.paths import cache_dir
from lib.core.repro import numeric_context

T = TypeVar("T")


def digest(*parts: Any) -> str:
    """A short, stable hash of JSON-able ``parts`` (dict keys sorted)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_path(
    name: str,
    config: dict[str, Any],
    data: str | None,
    device: str = "auto",
    folder: str | os.PathLike | None = None,
) -> Path:
    """``<folder>/<name>-<key>.pt`` for a model of ``config`` trained on ``data`` (a digest) on ``device``."""
    key = digest(config, data, numeric_context(pick_device(device)), FORMAT)
    return Path(cache_dir() if folder is None else folder) / f"{name}-{key}.pt"


def cached(
    path: Path,
    train: Callable[[], T],
    save: Callable[[T, Path], Any],
    load: Callable[[Path], T],
) -> T:
    """``load(path)`` when the file is there; otherwise ``train()``, ``save`` it to ``path`` and return it."""
    if path.is_file():
        return load(path)
    value = train()
    path.parent.mkdir(parents=True, exist_ok=True)
    save(value, path)
    return value
