"""Files written whole or not at all, and checkpoints loaded without running pickled code.

Used by every chapter that writes: chapter 02's sweep results (JSON), chapter 03's prepared digits,
classifier and GAN checkpoints, snapshot PNGs and the seed table.

A write goes to a temporary file in the target's folder, is flushed to disk (fsync) and then renamed
over the target, so a crash never leaves a half-written file behind. A checkpoint is a plain dict
``{"kind": str, "format": int, "config": dict, ...}`` of tensors, numbers and strings, so that
``torch.load(..., weights_only=True)`` can read it without running any pickled code.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import re
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any, Iterator

import torch

from lib.core.cli import require_folder

FORMAT = 1
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def umask_mode(mode: int) -> int:
    """``mode`` filtered by the process umask (mkdtemp/mkstemp create private 0700/0600 entries)."""
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on a clean exit sync it and rename it over ``path``.

    Raises FileNotFoundError, with what to do, when the folder of ``path`` does not exist.
    """
    path = Path(path)
    require_folder(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, umask_mode(0o666))  # the permissions open() would have given
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_atomic(obj: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``obj`` with ``torch.save`` to ``path`` atomically; return the path."""
    with atomic_file(path) as file:
        torch.save(obj, file)
    return Path(path)


def save_json(
    data: Any, path: str | os.PathLike, indent: int = 1, sort_keys: bool = False
) -> Path:
    """Write ``data`` to ``path`` as JSON, atomically: a crash leaves the old file or the new one."""
    with atomic_file(path, "w") as file:
        file.write(json.dumps(data, indent=indent, sort_keys=sort_keys) + "\n")
    return Path(path)


def _first_words(err: BaseException, limit: int = 120) -> str:
    """The first line of an error, without terminal colour codes, cut at a word boundary."""
    line = (
        _ANSI.sub("", str(err)).strip().splitlines()[0]
        if str(err).strip()
        else type(err).__name__
    )
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0] + " ..."


def load_checked(
    path: str | os.PathLike, kind: str | tuple[str, ...]
) -> dict[str, Any]:
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
        raise ValueError(
            f"refused to load {str(path)!r}: it holds objects other than tensors and plain data "
            f"(a pickle that could run code); only load checkpoints written by this book "
            f"[{_first_words(err)}]"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as err:
        raise ValueError(
            f"checkpoint {str(path)!r} is truncated or corrupt "
            f"({_first_words(err)}); delete it and train again"
        ) from None
    if not isinstance(obj, dict) or "kind" not in obj:
        raise ValueError(
            f"{str(path)!r} is not a checkpoint of this book (no 'kind' field)"
        )
    if obj["kind"] not in kinds:
        raise ValueError(
            f"{str(path)!r} holds a {obj['kind']!r} checkpoint, not {' or '.join(map(repr, kinds))}"
        )
    return obj
