"""The fully connected GAN of the reports: a generator from noise to 28×28 digits and a discriminator.

    G: z (100) → 128 → 256 → 512 → 1024 → 784, tanh        (BatchNorm1d on the 256, 512, 1024 layers)
    D: x (784) → 512 → 256 → 1                              (one logit; D(x) = σ(logit))

Every hidden layer uses LeakyReLU(0.2). The generator's first hidden layer has no batch norm, as in
the reports. The discriminator returns a logit rather than a probability: the losses
(``lib.gan.losses``) use softplus, which computes log σ(·) without the overflow of log(sigmoid(·)), and
``Discriminator.prob`` gives D(x) = σ(logit) for the curves.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn

from lib.core import checks

IMAGE_SHAPE = (1, 28, 28)  # (C, H, W) of an MNIST digit
IMAGE_SIZE = 28 * 28
GENERATOR_WIDTHS = (128, 256, 512, 1024)  # hidden layer widths of G, input side first
DISCRIMINATOR_WIDTHS = (512, 256)  # hidden layer widths of D, input side first
SLOPE = 0.2  # LeakyReLU negative slope used throughout


def _block(n_in: int, n_out: int, batch_norm: bool) -> list[nn.Module]:
    """Linear (+ BatchNorm1d) + LeakyReLU(0.2): one hidden layer."""
    layers: list[nn.Module] = [nn.Linear(n_in, n_out)]
    if batch_norm:
        layers.append(nn.BatchNorm1d(n_out))
    layers.append(nn.LeakyReLU(SLOPE))
    return layers


class Generator(nn.Module):
    """Maps noise ``z`` of shape (B, latent_dim) to images of shape (B, 1, 28, 28) in [-1, 1]."""

    def __init__(self, latent_dim: int = 100):
        super().__init__()
        self.latent_dim = checks.whole("latent_dim", latent_dim)
        widths = (latent_dim, *GENERATOR_WIDTHS)
        layers: list[nn.Module] = []
        for k, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            layers += _block(
                n_in, n_out, batch_norm=k > 0
            )  # the 100→128 layer has no batch norm
        layers += [nn.Linear(widths[-1], IMAGE_SIZE), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"expected z of shape (batch, {self.latent_dim}), got {tuple(z.shape)}"
            )
        x = self.net(z)  # (B, 784)
        return x.view(-1, *IMAGE_SHAPE)  # (B, 1, 28, 28)


class Discriminator(nn.Module):
    """Maps images (B, 1, 28, 28) or flat (B, 784) to one logit each, shape (B,)."""

    def __init__(self):
        super().__init__()
        widths = (IMAGE_SIZE, *DISCRIMINATOR_WIDTHS)
        layers: list[nn.Module] = []
        for n_in, n_out in zip(widths[:-1], widths[1:]):
            layers += _block(n_in, n_out, batch_norm=False)
        layers.append(nn.Linear(widths[-1], 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], -1)  # (B, 784)
        if x.shape[1] != IMAGE_SIZE:
            raise ValueError(
                f"expected images of {IMAGE_SIZE} pixels, got {x.shape[1]}"
            )
        return self.net(x).squeeze(1)  # (B,) logits

    def prob(self, x: torch.Tensor) -> torch.Tensor:
        """D(x): the probability the discriminator gives to ``x`` being real, shape (B,)."""
        return torch.sigmoid(self(x))


@contextmanager
def eval_mode(module: nn.Module):
    """Put ``module`` in eval mode (batch norm uses its running statistics) and restore its mode after."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def sample(
    generator: Generator,
    n: int,
    rng: torch.Generator | None = None,
    z: torch.Tensor | None = None,
) -> torch.Tensor:
    """Generate ``n`` images (n, 1, 28, 28) in eval mode, from ``z`` or from noise drawn with ``rng``.

    Eval mode matters: in training mode batch norm would normalise with the batch's own
    statistics, so an image would depend on the others drawn with it.
    """
    device = next(generator.parameters()).device
    if z is None:
        z = torch.randn(
            n, generator.latent_dim, generator=rng
        )  # (n, latent) drawn on the CPU: same on any device
    with eval_mode(generator), torch.no_grad():
        return generator(z.to(device)).cpu()  # (n, 1, 28, 28)
