"""Scoring generated digits with the MNIST classifier: FID, its real-vs-real floor, class coverage,
and the Inception-style score beside the same score of the real test digits."""

from __future__ import annotations

import os
from typing import Iterator

import torch

from lib.gan.models import Generator, sample


def evaluate_generator(
    generator: Generator,
    classifier: torch.nn.Module,
    root: str | os.PathLike | None = None,
    samples: int = 2000,
    seed: int = 0,
) -> dict:
    """FID of ``samples`` generated digits against the test split, the floor, class coverage, and the
    Inception-style score of the samples and of the test digits.

    ``root`` is the prepared data (default ``lib.core.paths.data_dir()``).
    """
    from lib.core.paths import data_dir
    from lib.mnist import mnist_tensors, source_info
    from lib.mnist.fid import inception_score, real_floor

    root = data_dir() if root is None else root
    fake = sample(
        generator, samples, rng=torch.Generator().manual_seed(seed)
    )  # (S, 1, 28, 28)
    test_images, _ = mnist_tensors(root, train=False)
    return {
        **score_samples(classifier, fake, test_images),
        # the floor with as many train digits as generated ones: both carry the same small-sample bias
        "real_floor": round(
            real_floor(classifier, root, num_samples=samples, seed=seed), 3
        ),
        "samples": samples,
        "real_inception_score": round(inception_score(classifier, test_images), 3),
        "classifier_test_accuracy": round(
            float(getattr(classifier, "test_accuracy", float("nan"))), 4
        ),
        "data": {
            "source": source_info(root).get("source"),
            "test_digits": len(test_images),
        },
    }


def score_samples(
    classifier: torch.nn.Module, fake: torch.Tensor, real_images: torch.Tensor
) -> dict:
    """What the chapters and the recipe comparison report of generated digits ``fake`` (S, 1, 28, 28):
    FID against ``real_images``, how the classifier's predictions spread over the digits, the rarest
    digit's share, and the Inception-style score."""
    from lib.mnist.fid import class_distribution, fid, inception_score

    spread = class_distribution(classifier.predict(fake))
    return {
        "fid": round(fid(classifier, fake, real_images), 3),
        "class_counts": spread["counts"],
        "classes_present": spread["classes_present"],
        "missing_classes": spread["missing"],
        "evenness": round(spread["evenness"], 4),
        "min_class_fraction": round(min(spread["fractions"]), 4),
        "inception_score": round(inception_score(classifier, fake), 3),
    }


def tracked_sets(tracked: dict[str, list]) -> Iterator[tuple[int, torch.Tensor]]:
    """(epoch, images (N, 1, 28, 28) back in [-1, 1]) for every sample set a run kept as bytes."""
    for epoch, as_bytes in zip(tracked["epoch"], tracked["images"]):
        yield int(epoch), as_bytes.float() / 127.5 - 1


def fid_over_training(
    tracked: dict[str, list], classifier: torch.nn.Module, real_images: torch.Tensor
) -> tuple[list[int], list[float]]:
    """FID of every tracked sample set (bytes from fixed noise) against ``real_images``: (epochs, fids)."""
    from lib.mnist.fid import fid

    fids = [
        float(fid(classifier, images, real_images))
        for _, images in tracked_sets(tracked)
    ]
    return list(tracked["epoch"]), fids
