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


def test_the_long_training_figure_draws_every_seed_from_epoch_10_with_the_target():
    from lib.gan.recipe_plots import plot_long_training

    def run(seed: int, shift: float) -> dict:
        epochs = list(range(0, 210, 10))
        ratios = [0.1] + [min(0.86, 0.5 + e / 300) + shift for e in epochs[1:]]
        fids = [2000.0] + [30 + 1000 / e for e in epochs[1:]]
        curve = {"epoch": epochs, "inception_ratio": ratios, "fid": fids}
        return {"seed": seed, "curve": curve}

    fig = plot_long_training(
        [run(0, 0.0), run(1, 0.01)], target=0.9, chapter_epochs=100
    )
    score, fid = fig.axes
    seeds = [line for line in score.get_lines() if line.get_label().startswith("seed")]
    assert [line.get_color() for line in seeds] == OKABE_ITO[:2]
    assert all(
        line.get_xdata()[0] == 10 for line in seeds
    )  # the untrained epoch 0 is left out
    assert any(tuple(line.get_ydata()) == (0.9, 0.9) for line in score.get_lines())
    assert score.get_ylim()[1] > 0.9 and fid.get_yscale() == "log"


def test_the_long_training_figure_draws_another_recipe_in_grey_under_one_label():
    from lib.gan.recipe_plots import plot_long_training

    def run(seed: int, level: float) -> dict:
        epochs = list(range(0, 210, 10))
        curve = {
            "epoch": epochs,
            "inception_ratio": [level] * len(epochs),
            "fid": [20.0] * len(epochs),
        }
        return {"seed": seed, "curve": curve}

    fig = plot_long_training(
        [run(0, 0.9)],
        target=0.9,
        chapter_epochs=100,
        others=[run(0, 0.85), run(1, 0.86)],
        others_label="recipe E",
    )
    for ax in fig.axes:
        grey = [line for line in ax.get_lines() if line.get_color() == "0.6"]
        assert len(grey) == 2 and all(line.get_xdata()[0] == 10 for line in grey)
        assert [line.get_label() for line in grey][0] == "recipe E"
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend.count("recipe E") == 1 and "seed 0" in legend
