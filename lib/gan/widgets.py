"""Chapter 04's slider through the latent space in JupyterLab.

``InterpolationWidget`` is an ipywidgets control (two digit dropdowns, a method toggle and an
IntSlider for x) that regenerates the image on every change; it needs a running kernel. The
static book has its own control, the exported generator in the page's JavaScript (``lib.web``).
"""

from __future__ import annotations

import ipywidgets as widgets
import torch

from lib.gan.interpolate import METHODS, candidates, choose, latent_path
from lib.gan.models import Generator, sample
from lib.gan.snapshots import png_bytes


class InterpolationWidget:
    """Pick two digits and move x from n (the first digit) to 0 (the second); the image follows."""

    def __init__(
        self,
        generator: Generator,
        classifier: torch.nn.Module,
        steps: int = 7,
        from_digit: int = 3,
        to_digit: int = 4,
        seed: int = 0,
        scale: int = 6,
    ):
        self.generator, self.n, self.scale = generator, steps + 1, scale
        self.z, self.probs = candidates(
            generator, classifier, seed=seed
        )  # endpoints come from these
        digits = list(range(10))
        self.from_digit = widgets.Dropdown(
            options=digits, value=from_digit, description="from digit"
        )
        self.to_digit = widgets.Dropdown(
            options=digits, value=to_digit, description="to digit"
        )
        self.method = widgets.ToggleButtons(
            options=list(METHODS), value="linear", description="path"
        )
        self.x = widgets.IntSlider(
            min=0,
            max=self.n,
            value=self.n,
            description="x",
            continuous_update=True,
            readout=True,
        )
        self.image = widgets.Image(format="png", width=28 * scale, height=28 * scale)
        self.caption = widgets.Label()
        for control in (self.from_digit, self.to_digit, self.method):
            control.observe(self._new_path, names="value")
        self.x.observe(self._redraw, names="value")
        self.box = widgets.VBox(
            [
                widgets.HBox([self.from_digit, self.to_digit]),
                self.method,
                self.x,
                widgets.HBox([self.image, self.caption]),
            ]
        )
        self._new_path()

    def _new_path(self, change=None) -> None:
        first = choose(self.z, self.probs, self.from_digit.value)
        second = choose(self.z, self.probs, self.to_digit.value, exclude=(first,))
        path = latent_path(
            self.z[first], self.z[second], self.n - 1, self.method.value
        )  # (n + 1, latent)
        self.frames = sample(
            self.generator, self.n + 1, z=path
        )  # (n + 1, 1, 28, 28), x = n … 0
        self._redraw()

    def _redraw(self, change=None) -> None:
        x = self.x.value
        self.image.value = png_bytes(
            self.frames[self.n - x : self.n - x + 1], nrow=1, scale=self.scale
        )
        self.caption.value = (
            f"f({x}) = {x}/{self.n}·begin + {self.n - x}/{self.n}·end "
            f"({self.method.value}, {self.from_digit.value} → {self.to_digit.value})"
        )

    def _repr_mimebundle_(self, **kwargs):
        return self.box._repr_mimebundle_(**kwargs)
