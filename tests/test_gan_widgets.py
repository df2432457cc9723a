"""Interpolation (the reports' formula, slerp, endpoint choice) and the two sliders built on it:
the live one regenerates the image when moved; the static one is self-contained HTML."""

import ipywidgets
import pytest
import torch

from lib.gan import Generator, sample
from lib.gan.interpolate import (
    check_digit,
    digit_probabilities,
    latent_path,
    linear,
    pick_endpoints,
    spherical,
)
from lib.gan.widgets import InterpolationWidget


class PixelSumClassifier(torch.nn.Module):
    """A deterministic stand-in judge: the digit is a function of the image's pixel sum."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        labels = (x.flatten(1).sum(dim=1) * 1000).long() % 10  # (N,)
        return (
            torch.nn.functional.one_hot(labels, 10).float() * 3 + x.flatten(1)[:, :10]
        )  # (N, 10)


def test_linear_is_the_reports_formula_in_float64():
    g = torch.Generator().manual_seed(0)
    begin, end = (
        torch.randn(100, generator=g, dtype=torch.float64),
        torch.randn(100, generator=g, dtype=torch.float64),
    )
    n = 8
    for x in range(n + 1):
        torch.testing.assert_close(
            linear(begin, end, x, n), x / n * begin + (n - x) / n * end
        )
    path = latent_path(begin, end, steps=7, method="linear")
    assert path.shape == (9, 100)
    torch.testing.assert_close(path[0], begin)  # x = n: begin, at the left of the strip
    torch.testing.assert_close(path[-1], end)  # x = 0: end, at the right
    torch.testing.assert_close(path[4], (begin + end) / 2)


def test_spherical_keeps_the_norm_and_takes_equal_angles():
    g = torch.Generator().manual_seed(1)
    begin, end = (
        torch.randn(100, generator=g, dtype=torch.float64),
        torch.randn(100, generator=g, dtype=torch.float64),
    )
    end = end / end.norm() * begin.norm()
    path = latent_path(begin, end, steps=7, method="spherical")
    torch.testing.assert_close(path[0], begin)
    torch.testing.assert_close(path[-1], end)
    torch.testing.assert_close(path.norm(dim=1), begin.norm().expand(9))
    cos = torch.nn.functional.cosine_similarity(path[:-1], path[1:], dim=1)
    torch.testing.assert_close(cos, cos[0].expand(8))
    assert latent_path(begin, end, 7, "linear").norm(dim=1)[4] < path.norm(dim=1)[4]
    torch.testing.assert_close(
        spherical(begin, 2 * begin, 3, 8), linear(begin, 2 * begin, 3, 8)
    )  # parallel


@pytest.mark.parametrize(
    "bad", [dict(steps=0), dict(steps=-1), dict(steps=2.5), dict(method="cubic")]
)
def test_bad_paths_are_refused(bad):
    with pytest.raises(ValueError):
        latent_path(torch.zeros(4), torch.ones(4), **{"steps": 7, **bad})


@pytest.mark.parametrize("bad", [12, -1, 3.0, "3", True])
def test_digits_outside_0_to_9_are_refused(bad):
    with pytest.raises(ValueError):
        check_digit(bad)


def test_endpoints_are_labelled_as_the_asked_digits():
    torch.manual_seed(0)
    generator, judge = Generator(), PixelSumClassifier()
    for a, b in [(3, 4), (7, 7), (0, 9)]:
        begin, end = pick_endpoints(generator, judge, a, b, seed=2)
        labels = digit_probabilities(
            judge, sample(generator, 2, z=torch.stack([begin, end]))
        ).argmax(dim=1)
        assert labels.tolist() == [a, b]
        assert not torch.equal(begin, end)
    with pytest.raises(ValueError):
        pick_endpoints(generator, judge, 12, 4)


class CyclingClassifier(torch.nn.Module):
    """A stand-in judge: labels image k as digit k mod 10, confidently, so every digit has candidates."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))
        self.calls = 0

    def forward(self, x):
        n = x.shape[0]
        labels = (torch.arange(n) + self.calls) % 10
        self.calls += n
        return (
            torch.nn.functional.one_hot(labels, 10).float() * 5
            + torch.rand(n, 10) * 0.1
        )  # (n, 10) logits


@pytest.fixture(scope="module")
def control():
    torch.manual_seed(0)
    return InterpolationWidget(
        Generator(), CyclingClassifier(), steps=7, from_digit=3, to_digit=4
    )


def test_the_control_is_made_of_ipywidgets(control):
    assert isinstance(control.x, ipywidgets.IntSlider) and (
        control.x.min,
        control.x.max,
    ) == (0, 8)
    assert isinstance(control.from_digit, ipywidgets.Dropdown) and isinstance(
        control.to_digit, ipywidgets.Dropdown
    )
    assert (
        isinstance(control.image, ipywidgets.Image)
        and control.image.value[:4] == b"\x89PNG"
    )
    assert "application/vnd.jupyter.widget-view+json" in control._repr_mimebundle_()


def test_moving_the_slider_changes_the_image(control):
    control.x.value = control.x.max
    first = control.image.value
    control.x.value = 0
    last = control.image.value
    assert first != last
    assert "f(0)" in control.caption.value
    control.x.value = control.x.max
    assert control.image.value == first  # the same x gives the same picture back


def test_changing_a_digit_or_the_path_changes_the_image(control):
    control.x.value = 4
    before = control.image.value
    control.to_digit.value = 7
    assert control.image.value != before
    before = control.image.value
    control.method.value = "spherical"
    assert control.image.value != before
