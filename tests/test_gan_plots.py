"""Chapter 03-04 figures: drawn in the book's colour-blind-safe style, legends clear of the data."""

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch

from lib.gan.losses import gradients
from lib.gan.plots import OKABE_ITO, plot_loss_gradients, plot_norms


@pytest.fixture(autouse=True)
def no_display():
    matplotlib.use("Agg")
    yield
    plt.close("all")


def test_the_norms_legend_sits_outside_the_axes_and_the_typical_line_shows():
    norms = {
        "linear": [9.5, 7.0, 6.3, 7.1, 9.8],
        "spherical": [9.5, 9.6, 9.7, 9.8, 9.8],
    }
    fig = plot_norms(norms, 9.97)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    assert (
        legend.x0 > ax.get_window_extent(renderer).x1
    )  # right of the plot, covering nothing
    assert (
        ax.get_ylim()[0] == 0 and ax.get_ylim()[1] > 9.97 * 1.1
    )  # the dashed line is inside


def test_figures_use_the_okabe_ito_colours_and_legible_fonts():
    logits = torch.linspace(-8, 8, 11)
    fig = plot_loss_gradients(logits, gradients(logits))
    colours = [line.get_color() for line in fig.axes[0].get_lines()[:2]]
    assert colours == OKABE_ITO[:2]
    assert fig.axes[0].xaxis.label.get_fontsize() >= 12
    assert min(t.get_fontsize() for t in fig.axes[0].get_xticklabels()) >= 11
