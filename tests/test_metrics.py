"""The Fréchet distance against closed forms, and the class distribution on known inputs."""

from __future__ import annotations

import math

import pytest
import torch

from lib.mnist.fid import (
    class_distribution,
    fid,
    frechet_distance,
    frechet_gaussians,
    gaussian_stats,
    inception_score,
)


def _gaussian(
    n: int, mean: torch.Tensor, scale: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    return (
        mean
        + torch.randn(n, len(mean), generator=generator, dtype=torch.float64) * scale
    )  # (n, D)


def test_diagonal_gaussians_match_the_closed_form():
    generator = torch.Generator().manual_seed(0)
    mean_a, mean_b = torch.randn(2, 6, generator=generator, dtype=torch.float64)
    var_a, var_b = torch.rand(2, 6, generator=generator, dtype=torch.float64) + 0.1
    expected = ((mean_a - mean_b) ** 2).sum() + (
        (var_a.sqrt() - var_b.sqrt()) ** 2
    ).sum()
    actual = frechet_gaussians(mean_a, torch.diag(var_a), mean_b, torch.diag(var_b))
    torch.testing.assert_close(torch.tensor(actual, dtype=torch.float64), expected)


def test_commuting_full_covariances_match_the_closed_form():
    """Covariances sharing eigenvectors Q: the cross term is sum(sqrt(a_k b_k))."""
    generator = torch.Generator().manual_seed(1)
    q, _ = torch.linalg.qr(
        torch.randn(5, 5, generator=generator, dtype=torch.float64)
    )  # (5, 5) orthogonal
    a, b = torch.rand(2, 5, generator=generator, dtype=torch.float64) + 0.2
    mean = torch.zeros(5, dtype=torch.float64)
    expected = (a + b - 2 * (a * b).sqrt()).sum()
    actual = frechet_gaussians(
        mean, q @ torch.diag(a) @ q.T, mean, q @ torch.diag(b) @ q.T
    )
    torch.testing.assert_close(torch.tensor(actual, dtype=torch.float64), expected)


def test_sample_statistics_match_torch_cov():
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(50, 4, generator=generator)
    mean, cov = gaussian_stats(x)
    torch.testing.assert_close(mean, x.double().mean(0))
    torch.testing.assert_close(cov, torch.cov(x.double().T))


def test_samples_approach_the_population_distance():
    generator = torch.Generator().manual_seed(3)
    a = _gaussian(
        20_000,
        torch.zeros(3, dtype=torch.float64),
        torch.ones(3, dtype=torch.float64),
        generator,
    )
    b = _gaussian(
        20_000,
        torch.full((3,), 0.5, dtype=torch.float64),
        torch.full((3,), 2.0, dtype=torch.float64),
        generator,
    )
    expected = 3 * 0.5**2 + 3 * (1.0 - 2.0) ** 2  # 3.75
    assert frechet_distance(a, b) == pytest.approx(expected, rel=0.05)


def test_identical_sets_give_zero_and_order_does_not_matter():
    generator = torch.Generator().manual_seed(4)
    x = torch.randn(200, 16, generator=generator)
    y = torch.randn(300, 16, generator=generator) * 1.5 + 0.2
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(x, y) == pytest.approx(frechet_distance(y, x), rel=1e-9)
    assert frechet_distance(x, y) > 1.0


def test_rank_deficient_covariances_stay_finite():
    """Fewer samples than dimensions: singular covariances whose eigenvalues round slightly below 0."""
    generator = torch.Generator().manual_seed(5)
    x = torch.randn(5, 40, generator=generator)
    y = torch.randn(7, 40, generator=generator)
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)
    distance = frechet_distance(x, y)
    assert math.isfinite(distance) and distance > 0


def test_mismatched_feature_sets_are_refused():
    with pytest.raises(ValueError, match="same D"):
        frechet_distance(torch.zeros(4, 3), torch.zeros(4, 5))
    with pytest.raises(ValueError, match="N >= 2"):
        frechet_distance(torch.zeros(1, 3), torch.zeros(4, 3))


def test_fid_uses_the_classifier_features():
    class Flatten:
        def features(self, x: torch.Tensor) -> torch.Tensor:
            return x.flatten(1)[:, :8]  # (N, 8)

    generator = torch.Generator().manual_seed(6)
    a, b = torch.rand(2, 100, 1, 28, 28, generator=generator) * 2 - 1
    assert fid(Flatten(), a, b) == frechet_distance(
        a.flatten(1)[:, :8], b.flatten(1)[:, :8]
    )


def test_class_distribution_of_a_collapse_and_of_an_even_spread():
    collapse = class_distribution(torch.full((50,), 7))
    assert collapse["counts"] == [0] * 7 + [50] + [0] * 2
    assert collapse["classes_present"] == 1 and collapse["missing"] == [
        0,
        1,
        2,
        3,
        4,
        5,
        6,
        8,
        9,
    ]
    assert collapse["evenness"] == pytest.approx(0.0, abs=1e-12)
    even = class_distribution(torch.arange(10).repeat(3))
    assert even["counts"] == [3] * 10 and even["fractions"] == pytest.approx([0.1] * 10)
    assert even["classes_present"] == 10 and even["missing"] == []
    assert even["evenness"] == pytest.approx(1.0)


def test_class_distribution_of_two_halves():
    spread = class_distribution(torch.tensor([0, 0, 1, 1]), num_classes=4)
    assert spread["counts"] == [2, 2, 0, 0] and spread["fractions"] == [
        0.5,
        0.5,
        0.0,
        0.0,
    ]
    assert spread["evenness"] == pytest.approx(math.log(2) / math.log(4))  # 0.5


def test_class_distribution_refuses_bad_labels():
    with pytest.raises(ValueError, match="0..9"):
        class_distribution(torch.tensor([3, 10]))
    with pytest.raises(ValueError, match="at least one"):
        class_distribution(torch.tensor([], dtype=torch.long))


class _Logits(torch.nn.Module):
    """A stand-in classifier whose logits are the first 10 pixels of each image."""

    device = torch.device("cpu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(len(x), -1)[:, :10]


def _images(logits: torch.Tensor) -> torch.Tensor:
    images = torch.zeros(len(logits), 1, 28, 28)
    images.view(len(logits), -1)[:, :10] = logits
    return images


def test_inception_score_of_sure_even_classes_is_ten_and_of_one_class_is_one():
    sure = _images(
        torch.eye(10).repeat(3, 1) * 100
    )  # 30 images, each class 3 times, certain
    assert inception_score(_Logits(), sure) == pytest.approx(10.0, rel=1e-9)
    one_class = _images(torch.eye(10)[[4] * 30] * 100)
    assert inception_score(_Logits(), one_class) == pytest.approx(1.0, rel=1e-9)
    unsure = _images(torch.zeros(30, 10))  # every image uniform over the classes
    assert inception_score(_Logits(), unsure) == pytest.approx(1.0, rel=1e-9)


def test_inception_score_matches_its_definition():
    logits = torch.randn(50, 10, generator=torch.Generator().manual_seed(0)) * 3
    p = torch.softmax(logits.double(), dim=1)  # (50, 10)
    kl = (p * (p / p.mean(0)).log()).sum(1)  # (50,)
    expected = math.exp(kl.mean().item())
    assert inception_score(_Logits(), _images(logits)) == pytest.approx(
        expected, rel=1e-6
    )
    assert 1.0 < expected < 10.0


class _Scorer(_Logits):
    """_Logits with what ``score_samples`` also asks of a classifier: features and predictions."""

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(len(x), -1)[:, :10].double()

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        return self(x).argmax(1)


def test_score_samples_reports_the_rarest_digit_and_the_parts_it_is_made_of():
    from lib.gan.evaluate import score_samples

    rng = torch.Generator().manual_seed(0)
    classes = torch.tensor(
        [0] * 5 + [1] * 40 + list(range(2, 10)) * 20
    )  # 205 images, 0 rarest
    logits = torch.eye(10)[classes] * 6 + torch.randn(len(classes), 10, generator=rng)
    fake, real = _images(logits), _images(torch.eye(10).repeat(20, 1) * 6)
    scores = score_samples(_Scorer(), fake, real)
    counts = torch.bincount(_Scorer().predict(fake), minlength=10)
    assert scores["class_counts"] == counts.tolist()
    assert scores["min_class_fraction"] == round(counts.min().item() / len(fake), 4)
    assert scores["min_class_fraction"] < 0.05 < 20 / 205  # the 5 zeros are the rarest
    assert scores["inception_score"] == round(inception_score(_Scorer(), fake), 3)
    assert scores["fid"] == round(fid(_Scorer(), fake, real), 3) > 0
    assert scores["classes_present"] == 10 and scores["missing_classes"] == []
