"""The prepared digits on disk: where they are, what they are (SOURCE.json), and loading them.

Used by chapters 03 and 04 (``mnist_tensors``, ``source_info``) and by the classifier and FID.
``python -m lib.mnist prepare`` (``lib.mnist.prepare``) writes the files these functions read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

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


# ---------------------------------------------------------------------------------------- paths


def raw_folder(root: str | os.PathLike = "data") -> Path:
    """The folder torchvision reads: ``root/MNIST/raw``."""
    return Path(root) / "MNIST" / "raw"


def is_prepared(root: str | os.PathLike = "data") -> bool:
    """True when the four raw files and ``SOURCE.json`` are all in place."""
    folder = raw_folder(root)
    return (folder.parent / SOURCE_FILE).is_file() and all(
        (folder / n).is_file() for n in RAW_FILES.values()
    )


def require_prepared(root: str | os.PathLike) -> None:
    """FileNotFoundError, saying what to run, unless the prepared digits are under ``root``."""
    if not is_prepared(root):
        raise FileNotFoundError(
            f"no prepared MNIST under {str(Path(root) / 'MNIST')!r}: {MISSING_HINT}"
        )


# -------------------------------------------------------------------------------- loading


def source_info(root: str | os.PathLike = "data") -> dict[str, Any]:
    """The contents of ``root/MNIST/SOURCE.json``: source, version, counts per split and per class."""
    require_prepared(root)
    return json.loads((raw_folder(root).parent / SOURCE_FILE).read_text())


def load_mnist(
    root: str | os.PathLike = "data", train: bool = True, normalize: bool = True
):
    """torchvision's MNIST dataset over the prepared files (never downloads).

    Items are ``(image, label)`` with image a float tensor (1, 28, 28): in [-1, 1] when ``normalize``
    (the GAN's and the classifier's convention), in [0, 1] otherwise.
    """
    import torchvision
    from torchvision import transforms

    require_prepared(root)
    steps = [transforms.ToTensor()] + (
        [transforms.Normalize((0.5,), (0.5,))] if normalize else []
    )
    return torchvision.datasets.MNIST(
        str(root), train=train, transform=transforms.Compose(steps), download=False
    )


def mnist_tensors(
    root: str | os.PathLike = "data", train: bool = True, flatten: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """A whole split as tensors: images float32 in [-1, 1] and labels int64.

    Images are (N, 1, 28, 28) by default, (N, 784) with ``flatten=True`` (the GAN's layout, row-major).
    Pixel p in 0..255 maps to p / 127.5 - 1, the same as ``load_mnist(normalize=True)``.
    """
    dataset = load_mnist(root, train=train, normalize=False)
    images = (
        dataset.data.float().div(255).sub(0.5).div(0.5).unsqueeze(1)
    )  # (N, 1, 28, 28)
    if flatten:
        images = images.flatten(1)  # (N, 784)
    return images, dataset.targets.long()  # ..., (N,)
