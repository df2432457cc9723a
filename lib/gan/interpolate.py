"""Walking through the latent space between two digits.

Linear, as in the reports, with x counting down from n to 0:

    f(x) = x/n · begin + (n − x)/n · end,      x = n, n−1, …, 0

so f(n) = begin (the "from" digit), f(0) = end (the "to" digit), and a strip of ``steps`` images
between the two endpoints has n = steps + 1 and steps + 2 images in all (9 for 7 steps).

Spherical (slerp) moves along the great circle between the two noise vectors instead. Gaussian
noise in 100 dimensions lies near a sphere of radius ≈ 10; the straight line cuts inside it, where
the middle points have a norm the generator rarely saw in training (about 7 halfway between two
independent vectors). Slerp keeps the norm close to the endpoints' along the way.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from lib.core import checks
from lib.core.inference import chunked
from lib.gan.models import Generator, sample

METHODS = ("linear", "spherical")
DIGITS = range(10)


def check_digit(digit, name: str = "digit") -> int:
    """Refuse anything but a whole number 0..9."""
    if isinstance(digit, bool) or not isinstance(digit, int) or digit not in DIGITS:
        raise ValueError(f"{name} must be a digit from 0 to 9, got {digit!r}")
    return digit


def check_steps(steps) -> int:
    """Refuse anything but a whole number of images between the two endpoints, at least 1."""
    return checks.whole("steps", steps)


def linear(begin: torch.Tensor, end: torch.Tensor, x: int, n: int) -> torch.Tensor:
    """f(x) = x/n · begin + (n − x)/n · end, for latent vectors of shape (latent,)."""
    return x / n * begin + (n - x) / n * end  # (latent,)


def spherical(begin: torch.Tensor, end: torch.Tensor, x: int, n: int) -> torch.Tensor:
    """Slerp with the same parametrisation: f(n) = begin, f(0) = end, equal angles between steps."""
    t = (n - x) / n  # the fraction of the way from begin to end
    cos = F.cosine_similarity(begin, end, dim=0).clamp(-1.0, 1.0)
    omega = torch.arccos(cos)  # angle between the two vectors
    if omega.abs() < 1e-6:  # (nearly) parallel: slerp and lerp coincide
        return linear(begin, end, x, n)
    s = torch.sin(omega)
    return (
        torch.sin((1 - t) * omega) / s * begin + torch.sin(t * omega) / s * end
    )  # (latent,)


def latent_path(
    begin: torch.Tensor, end: torch.Tensor, steps: int = 7, method: str = "linear"
) -> torch.Tensor:
    """The steps + 2 latent vectors from begin to end (x = n … 0), shape (steps + 2, latent)."""
    check_steps(steps)
    if method not in METHODS:
        raise ValueError(
            f"unknown interpolation method {method!r}: use one of {', '.join(METHODS)}"
        )
    blend = linear if method == "linear" else spherical
    n = steps + 1
    return torch.stack(
        [blend(begin, end, x, n) for x in range(n, -1, -1)]
    )  # (n + 1, latent)


def digit_probabilities(
    classifier: torch.nn.Module, images: torch.Tensor
) -> torch.Tensor:
    """The classifier's softmax (N, 10) for images in [-1, 1], on the CPU."""
    device = next(classifier.parameters()).device
    return chunked(
        lambda chunk: torch.softmax(classifier(chunk), dim=1), images.cpu(), device
    )  # (N, 10)


def candidates(
    generator: Generator, classifier: torch.nn.Module, count: int = 1000, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` noise vectors drawn with ``seed`` and the classifier's probabilities for their images."""
    z = torch.randn(
        count, generator.latent_dim, generator=torch.Generator().manual_seed(seed)
    )  # (C, latent)
    return z, digit_probabilities(
        classifier, sample(generator, count, z=z)
    )  # (C, latent), (C, 10)


def choose(
    z: torch.Tensor,
    probs: torch.Tensor,
    digit: int,
    exclude: tuple[int, ...] = (),
    strict: bool = True,
) -> int:
    """Index of the candidate labelled ``digit`` with the highest probability for it (not in ``exclude``).

    When no candidate is labelled ``digit``, ``strict`` raises ValueError; otherwise the candidate with
    the highest probability for ``digit`` is returned all the same (the closest the generator gets).
    """
    check_digit(digit)
    score = torch.where(
        probs.argmax(dim=1) == digit, probs[:, digit], probs[:, digit] - 1.0
    )  # (C,) labelled > rest
    score[list(exclude)] = -2.0
    best = int(score.argmax())
    if score[best] < 0 and strict:
        raise ValueError(
            f"none of {len(z)} generated images is labelled {digit}: "
            f"the generator does not draw that digit yet (train longer)"
        )
    return best


def pick_endpoints(
    generator: Generator,
    classifier: torch.nn.Module,
    from_digit: int,
    to_digit: int,
    seed: int = 0,
    counts: tuple[int, ...] = (1000, 4000, 16000),
    strict: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise vectors (begin, end) whose images the classifier labels most confidently as the two digits.

    Looks among ``counts[0]`` candidates first and among more only when a digit is missing (a young
    generator draws some digits rarely). The same digit at both ends gives its two best vectors. If a
    digit is never drawn, ``strict`` raises ValueError; otherwise the closest candidate is used.
    """
    check_digit(from_digit, "from_digit")
    check_digit(to_digit, "to_digit")
    for k, count in enumerate(counts):
        last = k == len(counts) - 1
        z, probs = candidates(generator, classifier, count, seed)
        try:
            first = choose(z, probs, from_digit, strict=strict or not last)
            second = choose(
                z, probs, to_digit, exclude=(first,), strict=strict or not last
            )
        except ValueError:
            if last:
                raise
            continue
        return z[first], z[second]
    raise ValueError("counts must not be empty")


def strip(
    generator: Generator,
    begin: torch.Tensor,
    end: torch.Tensor,
    steps: int = 7,
    method: str = "linear",
) -> torch.Tensor:
    """The steps + 2 images (steps + 2, 1, 28, 28) from begin's digit to end's, in eval mode."""
    return sample(generator, steps + 2, z=latent_path(begin, end, steps, method))


def digit_strip(
    generator: Generator,
    classifier: torch.nn.Module,
    from_digit: int,
    to_digit: int,
    steps: int = 7,
    method: str = "linear",
    seed: int = 0,
) -> torch.Tensor:
    """``strip`` between endpoints picked by ``pick_endpoints``."""
    begin, end = pick_endpoints(generator, classifier, from_digit, to_digit, seed)
    return strip(generator, begin, end, steps, method)


def compare_paths(
    generator: Generator,
    classifier: torch.nn.Module,
    from_digit: int,
    to_digit: int,
    steps: int = 7,
    seed: int = 0,
) -> dict:
    """Linear against spherical between the same endpoints, in the numbers chapter 04 talks about.

    JSON-ready: whether both paths start and end on images labelled as the two digits, on how many of
    the steps + 2 images the two paths get the same label, and for the middle image of each path its
    contrast (mean |pixel|: 1 for pure black and white, lower for grey haze) and the classifier's
    confidence in its label. A digit the generator never draws gives ``endpoints_labelled`` False.
    """
    begin, end = pick_endpoints(
        generator, classifier, from_digit, to_digit, seed=seed, strict=False
    )
    strips = {
        m: strip(generator, begin, end, steps, m) for m in METHODS
    }  # each (steps + 2, 1, 28, 28)
    probs = {
        m: digit_probabilities(classifier, images) for m, images in strips.items()
    }  # each (steps + 2, 10)
    labels = {m: p.argmax(dim=1) for m, p in probs.items()}  # each (steps + 2,)
    middle = (steps + 1) // 2  # the image at x = n // 2, halfway (n = steps + 1)
    return {
        "pair": [from_digit, to_digit],
        "endpoints_labelled": all(
            labels[m][[0, -1]].tolist() == [from_digit, to_digit] for m in METHODS
        ),
        "same_labels": int((labels["linear"] == labels["spherical"]).sum()),
        "middle_contrast": {
            m: round(strips[m][middle].abs().mean().item(), 4) for m in METHODS
        },
        "middle_confidence": {
            m: round(probs[m][middle].max().item(), 4) for m in METHODS
        },
    }


def norms_along(
    begin: torch.Tensor, end: torch.Tensor, steps: int = 7
) -> dict[str, list[float]]:
    """‖z‖ along the linear and the spherical path: why slerp exists, in numbers."""
    return {m: latent_path(begin, end, steps, m).norm(dim=1).tolist() for m in METHODS}


def expected_norm(latent_dim: int) -> float:
    """E‖z‖ for z ~ N(0, I) in ``latent_dim`` dimensions, ≈ sqrt(latent_dim)."""
    return math.sqrt(2) * math.exp(
        math.lgamma((latent_dim + 1) / 2) - math.lgamma(latent_dim / 2)
    )
