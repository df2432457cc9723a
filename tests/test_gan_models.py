"""The GAN's networks match the reports' layer sizes; sampling happens in eval mode; the losses are right."""

import math

import pytest
import torch
from torch import nn

from lib.gan import (
    DEFAULT_CONFIG,
    Discriminator,
    GANConfig,
    Generator,
    eval_mode,
    sample,
)
from lib.gan.losses import gradients, non_saturating_loss, saturating_loss


def linear_params(n_in, n_out):
    return n_in * n_out + n_out


def test_generator_parameter_count_matches_the_spec():
    widths = [100, 128, 256, 512, 1024, 784]
    expected = sum(linear_params(a, b) for a, b in zip(widths[:-1], widths[1:]))
    expected += sum(2 * w for w in (256, 512, 1024))  # BatchNorm1d weight and bias
    assert sum(p.numel() for p in Generator().parameters()) == expected == 1_510_032


def test_discriminator_parameter_count_matches_the_spec():
    widths = [784, 512, 256, 1]
    expected = sum(linear_params(a, b) for a, b in zip(widths[:-1], widths[1:]))
    assert sum(p.numel() for p in Discriminator().parameters()) == expected == 533_505


def test_layers_in_order():
    kinds = [
        (type(m).__name__, getattr(m, "out_features", getattr(m, "num_features", None)))
        for m in Generator().net
    ]
    assert kinds == [
        ("Linear", 128),
        ("LeakyReLU", None),
        ("Linear", 256),
        ("BatchNorm1d", 256),
        ("LeakyReLU", None),
        ("Linear", 512),
        ("BatchNorm1d", 512),
        ("LeakyReLU", None),
        ("Linear", 1024),
        ("BatchNorm1d", 1024),
        ("LeakyReLU", None),
        ("Linear", 784),
        ("Tanh", None),
    ]
    kinds = [
        (type(m).__name__, getattr(m, "out_features", None))
        for m in Discriminator().net
    ]
    assert kinds == [
        ("Linear", 512),
        ("LeakyReLU", None),
        ("Linear", 256),
        ("LeakyReLU", None),
        ("Linear", 1),
    ]
    slopes = {
        m.negative_slope
        for net in (Generator(), Discriminator())
        for m in net.modules()
        if isinstance(m, nn.LeakyReLU)
    }
    assert slopes == {0.2}


def test_shapes_and_ranges():
    g, d = Generator(), Discriminator()
    images = g(torch.randn(8, 100))
    assert images.shape == (8, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    assert d(images).shape == (8,)
    assert d(images.flatten(1)).shape == (8,)
    p = d.prob(images)
    assert ((p > 0) & (p < 1)).all()
    with pytest.raises(ValueError):
        g(torch.randn(8, 99))
    with pytest.raises(ValueError):
        d(torch.randn(8, 100))
    with pytest.raises(ValueError):
        Generator(0)


def test_sampling_runs_in_eval_mode_and_restores_the_mode():
    g = Generator()
    seen = []
    g.register_forward_pre_hook(lambda module, args: seen.append(module.training))
    g.train()
    sample(g, 4, rng=torch.Generator().manual_seed(0))
    assert seen == [False] and g.training
    g.eval()
    sample(g, 4, rng=torch.Generator().manual_seed(0))
    assert not g.training
    with eval_mode(g.train()):
        assert not g.training
    assert g.training


def test_an_image_does_not_depend_on_its_batch_in_eval_mode():
    g = Generator()
    z = torch.randn(16, 100, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(sample(g, 16, z=z)[:1], sample(g, 1, z=z[:1]))


def test_sampling_is_seeded():
    g = Generator()
    a = sample(g, 5, rng=torch.Generator().manual_seed(3))
    b = sample(g, 5, rng=torch.Generator().manual_seed(3))
    c = sample(g, 5, rng=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_losses_match_the_formulas_in_float64():
    logit = torch.linspace(-8, 8, 33, dtype=torch.float64)
    d = torch.sigmoid(logit)
    torch.testing.assert_close(non_saturating_loss(logit), (-torch.log(d)).mean())
    torch.testing.assert_close(saturating_loss(logit), torch.log1p(-d).mean())
    bce = nn.BCEWithLogitsLoss()(
        logit, torch.ones_like(logit)
    )  # what train.py minimises for G
    torch.testing.assert_close(non_saturating_loss(logit), bce)
    grads = gradients(logit)
    torch.testing.assert_close(grads["saturating"], -d)
    torch.testing.assert_close(grads["non-saturating"], -(1 - d))
    assert (
        grads["saturating"][0].abs() < 1e-3 < grads["non-saturating"][0].abs()
    )  # D rejects: only NS has a gradient


@pytest.mark.parametrize(
    "bad",
    [
        dict(lr=0),
        dict(lr=-1e-3),
        dict(batch_size=0),
        dict(latent_dim=0),
        dict(epochs=0),
        dict(betas=(1.0, 0.999)),
        dict(betas=(0.5,)),
        dict(label_smoothing=0.7),
        dict(seed=-1),
        dict(epochs=1.5),
        dict(device="tpu"),
        dict(g_steps=0),
        dict(g_steps=1.5),
        dict(g_steps=True),
    ],
)
def test_config_refuses_bad_values(bad):
    with pytest.raises(ValueError):
        GANConfig(**bad)


def test_config_round_trip():
    cfg = GANConfig(betas=[0.5, 0.99], epochs=3)
    assert cfg.betas == (0.5, 0.99)
    assert GANConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError):
        GANConfig.from_dict({**cfg.to_dict(), "hidden": 3})


def test_config_defaults_are_the_reports_setting():
    reports = GANConfig()
    assert (reports.latent_dim, reports.lr, reports.batch_size) == (100, 2e-4, 64)


def test_chapter_recipe_keeps_the_reports_latent_and_batch():
    """The recipe stages may change the optimiser (chapter 03 doubles the learning rate), not the
    noise or the batch the networks see."""
    assert (DEFAULT_CONFIG.latent_dim, DEFAULT_CONFIG.batch_size) == (100, 64)
    assert math.isclose(DEFAULT_CONFIG.betas[1], 0.999)
