"""Two sliders through the latent space: a live one for JupyterLab, a static one for the HTML book.

``InterpolationWidget`` is an ipywidgets control (two digit dropdowns, a method toggle and an
IntSlider for x) that regenerates the image on every change; it needs a running kernel.
``jshtml_slider`` renders a fixed strip as a matplotlib JavaScript animation (``to_jshtml``): plain
HTML with its own slider, which keeps working in the static book without any kernel.
"""

from __future__ import annotations

import re

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from matplotlib import animation

from lib.gan.interpolate import METHODS, candidates, choose, latent_path
from lib.gan.models import Generator, sample
from lib.gan.snapshots import png_bytes, to_unit


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


def jshtml_slider(
    frames: torch.Tensor, labels: list[str], title: str, fps: int = 2
) -> str:
    """HTML of a JavaScript animation over ``frames`` (K, 1, 28, 28) with a slider; no kernel needed."""
    pictures = to_unit(frames.detach().cpu())[:, 0].numpy()  # (K, 28, 28)
    fig, ax = plt.subplots(figsize=(2.6, 2.9), dpi=80)
    shown = ax.imshow(pictures[0], cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(labels[0])
    ax.set_title(title, fontsize=9)

    def draw(k: int):
        shown.set_data(pictures[k])
        ax.set_xlabel(labels[k])
        return (shown,)

    anim = animation.FuncAnimation(
        fig, draw, frames=len(pictures), interval=1000 // fps, blit=False
    )
    html = anim.to_jshtml(fps=fps, default_mode="once")
    plt.close(fig)  # only the HTML is shown, not a stray static figure
    # matplotlib links Font Awesome from a CDN for its buttons; the book's theme already ships the
    # icons, and the book must load nothing from the internet.
    return _CDN_STYLESHEET.sub("", html)


_CDN_STYLESHEET = re.compile(r'<link rel="stylesheet"\s+href="https?://[^"]*"\s*/?>\s*')
