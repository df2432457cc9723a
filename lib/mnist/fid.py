"""How good are generated digits? The Fréchet distance on classifier features, the class spread, and an
Inception-style score.

The Fréchet (FID-style) distance fits a Gaussian to each set of features and measures

$$d^2 = \\lVert \\mu_a - \\mu_b \\rVert^2 + \\operatorname{tr}\\Big(\\Sigma_a + \\Sigma_b
        - 2\\big(\\Sigma_a^{1/2}\\,\\Sigma_b\\,\\Sigma_a^{1/2}\\big)^{1/2}\\Big).$$

Here the features are the penultimate layer of ``lib.mnist.classifier.MnistClassifier`` (not Inception's, so
the numbers are comparable only with each other). Real train vs real test digits give the floor: the
distance two samples of *real* digits already have. The estimate grows as samples shrink, so compare
sets of equal sizes against the same reference (e.g. N generated vs test and N train vs test).

The Inception-style score (after Salimans et al. 2016, on this classifier instead of Inception) is
exp(E_x KL(p(y|x) || p(y))): high when each digit is classified confidently and the classes are evenly
used. Ten equally common, unmistakable classes give 10; real test digits give a little less, and that
is the yardstick a generator is held to.
"""

from __future__ import annotations

import math
import os

import torch

from lib.core.inference import chunked
from lib.core.paths import data_dir
from lib.mnist import mnist_tensors


def _sqrtm_psd(matrix: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric positive semi-definite matrix via eigh, small negative eigenvalues clipped."""
    eigenvalues, eigenvectors = torch.linalg.eigh(matrix)  # (D,), (D, D)
    roots = eigenvalues.clamp(
        min=0
    ).sqrt()  # rounding can leave tiny negatives on a PSD matrix
    return (eigenvectors * roots) @ eigenvectors.T  # (D, D)


def gaussian_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and unbiased covariance (D, D) of features (N, D), in float64."""
    if features.dim() != 2 or features.shape[0] < 2:
        raise ValueError(
            f"features must be (N, D) with N >= 2, got shape {tuple(features.shape)}"
        )
    x = features.detach().to(torch.float64).cpu()  # (N, D)
    mean = x.mean(dim=0)  # (D,)
    centred = x - mean  # (N, D)
    return mean, centred.T @ centred / (x.shape[0] - 1)  # (D,), (D, D)


def frechet_gaussians(
    mean_a: torch.Tensor, cov_a: torch.Tensor, mean_b: torch.Tensor, cov_b: torch.Tensor
) -> float:
    """Fréchet distance between N(mean_a, cov_a) and N(mean_b, cov_b), computed in float64.

    tr((S_a S_b)^(1/2)) equals tr((S_a^(1/2) S_b S_a^(1/2))^(1/2)), and the inner matrix is
    symmetric PSD, so two symmetric eigendecompositions suffice (no complex sqrtm).
    """
    mean_a, cov_a, mean_b, cov_b = (
        t.to(torch.float64) for t in (mean_a, cov_a, mean_b, cov_b)
    )
    root_a = _sqrtm_psd(cov_a)  # (D, D)
    middle = root_a @ cov_b @ root_a  # (D, D)
    middle = (
        middle + middle.T
    ) / 2  # symmetric up to rounding; make it exactly so for eigvalsh
    cross = torch.linalg.eigvalsh(middle).clamp(min=0).sqrt().sum()
    distance = (
        (mean_a - mean_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * cross
    )
    return max(distance.item(), 0.0)  # identical sets can round to -1e-13


def frechet_distance(feats_a: torch.Tensor, feats_b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N_a, D) and (N_b, D)."""
    if feats_a.dim() != 2 or feats_b.dim() != 2 or feats_a.shape[1] != feats_b.shape[1]:
        raise ValueError(
            f"feature sets must be (N, D) with the same D, got {tuple(feats_a.shape)} "
            f"and {tuple(feats_b.shape)}"
        )
    return frechet_gaussians(*gaussian_stats(feats_a), *gaussian_stats(feats_b))


def fid(classifier, images_a: torch.Tensor, images_b: torch.Tensor) -> float:
    """Fréchet distance between two image sets in [-1, 1] ((N, 784) or (N, 1, 28, 28)) on classifier features."""
    return frechet_distance(
        classifier.features(images_a), classifier.features(images_b)
    )


def real_floor(
    classifier,
    root: str | os.PathLike | None = None,
    num_samples: int | None = None,
    seed: int = 0,
) -> float:
    """The real-vs-real floor: FID between train digits and the test split.

    ``num_samples`` train digits (drawn with ``seed``; all when None) are compared with the whole test
    split: give it the number of generated digits you compare with the test split, so both estimates
    carry the same small-sample bias. ``root`` defaults to ``lib.core.paths.data_dir()``.
    """
    root = data_dir() if root is None else root
    train_images, _ = mnist_tensors(root, train=True)  # (N_train, 1, 28, 28)
    test_images, _ = mnist_tensors(root, train=False)  # (N_test, 1, 28, 28)
    if num_samples is not None:
        if not 2 <= num_samples <= len(train_images):
            raise ValueError(
                f"num_samples must be between 2 and {len(train_images)}, got {num_samples}"
            )
        pick = torch.randperm(
            len(train_images), generator=torch.Generator().manual_seed(seed)
        )[:num_samples]
        train_images = train_images[pick]
    return fid(classifier, train_images, test_images)


def inception_score(classifier, images: torch.Tensor) -> float:
    """exp(mean KL(p(y|x) ‖ p(y))) of images in [-1, 1] ((N, 784) or (N, 1, 28, 28)), in float64."""
    probs = chunked(
        lambda chunk: torch.softmax(classifier(chunk), dim=1), images, classifier.device
    ).double()  # (N, 10)
    marginal = probs.mean(dim=0)  # (10,) p(y)
    kl = torch.xlogy(probs, probs).sum(1) - (probs * marginal.log()).sum(1)  # (N,)
    return math.exp(kl.mean().item())


def class_distribution(labels: torch.Tensor, num_classes: int = 10) -> dict:
    """How predicted digits spread over classes.

    Returns a JSON-ready dict: ``counts`` and ``fractions`` per class, ``classes_present`` (how many
    classes occur at least once), ``missing`` (the classes that never occur) and ``evenness``, the
    entropy of the fractions divided by log(num_classes): 1.0 when every class is equally common,
    0.0 when a single class takes everything (mode collapse).
    """
    labels = torch.as_tensor(labels).flatten().long().cpu()  # (N,)
    if labels.numel() == 0:
        raise ValueError("class_distribution needs at least one label")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"labels must lie in 0..{num_classes - 1}, got {labels.min().item()}..{labels.max().item()}"
        )
    counts = torch.bincount(labels, minlength=num_classes)  # (num_classes,)
    fractions = counts.double() / labels.numel()  # (num_classes,)
    present = fractions[fractions > 0]
    entropy = -(present * present.log()).sum().item()
    return {
        "counts": counts.tolist(),
        "fractions": fractions.tolist(),
        "classes_present": int((counts > 0).sum()),
        "missing": torch.nonzero(counts == 0).flatten().tolist(),
        "evenness": entropy / math.log(num_classes) if num_classes > 1 else 1.0,
    }
