"""A small CNN that classifies MNIST digits: the judge behind the GAN's FID and class counts.

Input convention: images in [-1, 1] (the GAN's Tanh range, and ``lib.mnist.mnist_tensors``), shaped
(N, 1, 28, 28) or flattened (N, 784). ``forward`` gives logits (N, 10); ``features`` gives the
penultimate activations (N, 128) that the FID compares; ``predict`` gives labels (N,).

``get_classifier()`` trains it on the prepared train split, or loads it from the cache folder when a
checkpoint for the same config and the same data (by SOURCE.json's digest) is already there. The
folders default to ``lib.core.paths.data_dir()`` and ``cache_dir()`` (``DLBOOK_DATA``, ``DLBOOK_CACHE``).
``python -m lib.mnist classifier`` does the same from the shell and prints the test accuracy.

Measured on the npm split (8,500 train / 1,500 test digits): the default config reaches 98.9-99.0%
test accuracy for about 34 s of CPU time (8 epochs, 1,064 steps). On the full torchvision MNIST
(60,000 digits) an epoch costs seven times as much; pass fewer epochs there if time matters.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from lib.core import cache, checks
from lib.core.device import pick_device
from lib.core.files import FORMAT, load_checked, save_atomic
from lib.core.inference import chunked
from lib.core.paths import data_dir
from lib.core.progress import progress
from lib.core.seeded import seeded
from lib.mnist.load import mnist_tensors, source_info

KIND = "mnist-classifier"


@dataclass(frozen=True)
class ClassifierConfig:
    """The CNN's size and its training; every field feeds the cache key.

    Attributes:
        channels: filters of the two 5x5 conv layers (each halves the image)
        feature_dim: width of the penultimate layer, the space where FID is measured
        epochs: passes over the train split (6 pass 98 percent on npm's; 8 leave a margin)
        batch_size: digits per step (small: more steps per epoch on the small npm split)
        lr: Adam's learning rate, decayed by cosine to zero over the run
        weight_decay: mild L2 (AdamW) against overfitting 8,500 digits
        shift: random translation in pixels (augmentation); 0 turns it off
        seed: seed of the initialisation, the batch order and the augmentation
    """

    channels: tuple[int, int] = (16, 32)
    feature_dim: int = 128
    epochs: int = 8
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    shift: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        if len(self.channels) != 2:
            raise ValueError(
                f"channels must be two positive filter counts, got {self.channels!r}"
            )
        for value in self.channels:
            checks.whole("channels", value)
        for name in ("feature_dim", "epochs", "batch_size"):
            checks.whole(name, getattr(self, name))
        checks.positive("lr", self.lr)
        checks.fraction("weight_decay", self.weight_decay, closed=False)
        checks.whole("shift", self.shift, minimum=0)
        if self.shift >= 14:
            raise ValueError(
                f"shift must be between 0 and 13 pixels, got {self.shift!r}"
            )


class MnistClassifier(nn.Module):
    """conv5x5-ReLU-maxpool twice (28 -> 14 -> 7), then a 128-wide hidden layer and 10 logits."""

    def __init__(self, config: ClassifierConfig = ClassifierConfig()) -> None:
        super().__init__()
        self.config = config
        c1, c2 = config.channels
        self.conv1 = nn.Conv2d(1, c1, kernel_size=5, padding=2)
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=5, padding=2)
        self.hidden = nn.Linear(c2 * 7 * 7, config.feature_dim)
        self.out = nn.Linear(config.feature_dim, 10)

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(-1, 1, 28, 28)  # (N, 784) or (N, 1, 28, 28) -> (N, 1, 28, 28)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (N, c1, 14, 14)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (N, c2, 7, 7)
        return F.relu(self.hidden(x.flatten(1)))  # (N, feature_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, 10) of images in [-1, 1]; differentiable."""
        return self.out(self._features(x))  # (N, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations (N, feature_dim) of images in [-1, 1], in chunks, without gradients."""
        return chunked(self._features, x, self.device)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Predicted digits (N,) int64 of images in [-1, 1], in chunks, without gradients."""
        return chunked(lambda chunk: self(chunk).argmax(dim=1), x, self.device)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device


# ------------------------------------------------------------------------------------ training


def random_shift(
    x: torch.Tensor, shift: int, generator: torch.Generator
) -> torch.Tensor:
    """Translate each image by up to ``shift`` pixels in x and y, filling with background (-1)."""
    if shift == 0:
        return x
    n = x.shape[0]
    padded = F.pad(x, (shift,) * 4, value=-1.0)  # (N, 1, 28 + 2s, 28 + 2s)
    dy, dx = torch.randint(0, 2 * shift + 1, (2, n), generator=generator)  # (N,), (N,)
    rows = (dy[:, None] + torch.arange(28))[:, None, :, None]  # (N, 1, 28, 1)
    cols = (dx[:, None] + torch.arange(28))[:, None, None, :]  # (N, 1, 1, 28)
    batch = torch.arange(n)[:, None, None, None]  # (N, 1, 1, 1)
    return padded[batch, 0:1, rows, cols].reshape(n, 1, 28, 28)  # (N, 1, 28, 28)


def accuracy(
    model: MnistClassifier, images: torch.Tensor, labels: torch.Tensor
) -> float:
    """Fraction of ``images`` (in [-1, 1]) whose predicted digit is the label."""
    was_training = model.training
    model.eval()
    correct = (model.predict(images).cpu() == labels.cpu()).float().mean().item()
    model.train(was_training)
    return correct


def train_classifier(
    config: ClassifierConfig = ClassifierConfig(),
    root: str | os.PathLike | None = None,
    device: str = "auto",
) -> tuple[MnistClassifier, float]:
    """Train on the train split of ``root`` (default ``data_dir()``); return the model in eval mode and
    its test-split accuracy."""
    root = data_dir() if root is None else root
    generator = torch.Generator().manual_seed(config.seed)
    dev = pick_device(device)
    model = seeded(config.seed, lambda: MnistClassifier(config)).to(dev)
    images, labels = mnist_tensors(root, train=True)  # (N, 1, 28, 28), (N,)
    steps_per_epoch = -(-len(images) // config.batch_size)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, config.epochs * steps_per_epoch
    )
    model.train()
    with progress(
        config.epochs * steps_per_epoch, desc="training MNIST classifier"
    ) as bar:
        for _ in range(config.epochs):
            for batch in torch.randperm(len(images), generator=generator).split(
                config.batch_size
            ):
                x = random_shift(images[batch], config.shift, generator).to(
                    dev
                )  # (B, 1, 28, 28)
                loss = F.cross_entropy(model(x), labels[batch].to(dev))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                bar.update()
    model.eval()
    test_images, test_labels = mnist_tensors(root, train=False)
    return model, accuracy(model, test_images, test_labels)


# ---------------------------------------------------------------------------------- the cache


def cache_path(
    config: ClassifierConfig = ClassifierConfig(),
    root: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    device: str = "auto",
) -> Path:
    """Where ``get_classifier`` keeps the checkpoint for this config, data and device (None: the
    book's folders); see ``lib.core.cache``."""
    data = source_info(data_dir() if root is None else root).get("sha256")
    return cache.cache_path(
        "mnist_classifier", dataclasses.asdict(config), data, device, cache_dir
    )


def _load(path: Path) -> tuple[MnistClassifier, float]:
    checkpoint = load_checked(path, KIND)
    fields = dict(checkpoint["config"])
    fields["channels"] = tuple(fields["channels"])
    model = MnistClassifier(ClassifierConfig(**fields))
    model.load_state_dict(checkpoint["state_dict"])
    return model, float(checkpoint["test_accuracy"])


def get_classifier(
    root: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    device: str = "auto",
    config: ClassifierConfig = ClassifierConfig(),
) -> MnistClassifier:
    """The trained classifier, from the cache when possible; trains and caches it otherwise.

    ``root`` and ``cache_dir`` default to ``lib.core.paths.data_dir()`` and ``cache_dir()``. The
    returned model is in eval mode with gradients off, on ``device``, and carries ``test_accuracy``
    (its accuracy on the test split of ``root``, measured after training).
    """
    root = data_dir() if root is None else root

    def save(trained: tuple[MnistClassifier, float], path: Path) -> None:
        model, test_accuracy = trained
        save_atomic(
            {
                "kind": KIND,
                "format": FORMAT,
                "config": dataclasses.asdict(config),
                "data": source_info(root),
                "test_accuracy": test_accuracy,
                "state_dict": model.state_dict(),
            },
            path,
        )

    model, test_accuracy = cache.cached(
        cache_path(config, root, cache_dir, device),
        lambda: train_classifier(config, root, device),
        save,
        _load,
    )
    model = model.to(pick_device(device)).eval().requires_grad_(False)
    model.test_accuracy = test_accuracy
    return model
