"""Checkpoints: a state dict with its config and a ``kind`` tag, written atomically, loaded safely.

A checkpoint is a plain dict ``{"kind": str, "format": int, "config": dict, ...}`` of tensors,
numbers and strings, so that ``torch.load(..., weights_only=True)`` can read it without running
any pickled code. Writes go to a temporary file in the same folder, are flushed to disk and then
renamed over the target, so a crash never leaves a half-written checkpoint behind.
"""
from __future__ import annotations

import os
import pickle
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch

from lib.cli import require_folder

FORMAT = 1
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _first_words(err: BaseException, limit: int = 120) -> str:
    """The first line of an error, without terminal colour codes, cut at a word boundary."""
    line = _ANSI.sub("", str(err)).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0] + " ..."


def save_atomic(obj: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``obj`` with ``torch.save`` to ``path`` atomically; return the path."""
    path = Path(path)
    require_folder(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checked(path: str | os.PathLike, kind: str | tuple[str, ...]) -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True`` and check that it holds a ``kind`` model.

    Raises FileNotFoundError for a missing file and ValueError, with what to do, for a truncated
    or corrupt file, one whose pickle would run code, or one holding another kind of model.
    """
    path = Path(path)
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {str(path)!r}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(f"refused to load {str(path)!r}: it holds objects other than tensors and plain data "
                         f"(a pickle that could run code); only load checkpoints written by this book "
                         f"[{_first_words(err)}]") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as err:
        raise ValueError(f"checkpoint {str(path)!r} is truncated or corrupt "
                         f"({_first_words(err)}); delete it and train again") from None
    if not isinstance(obj, dict) or "kind" not in obj:
        raise ValueError(f"{str(path)!r} is not a checkpoint of this book (no 'kind' field)")
    if obj["kind"] not in kinds:
        raise ValueError(f"{str(path)!r} holds a {obj['kind']!r} checkpoint, not {' or '.join(map(repr, kinds))}")
    return obj
