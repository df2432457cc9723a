"""The generator's two losses, written on D's logit l, where D(G(z)) = σ(l).

    saturating      (the minimax game as written):  minimise  log(1 − σ(l))   = −softplus(l)
    non-saturating  (what training uses):            minimise −log σ(l)       =  softplus(−l)

The discriminator's loss is the minimax objective negated, −log D(x) − log(1 − D(G(z))), on logits:
softplus(−l_real) + softplus(l_fake). With one-sided label smoothing s the real digits' target is
1 − s instead of 1: (1 − s)·softplus(−l_real) + s·softplus(l_real).

The R1 penalty (Mescheder et al. 2018) is added to D's loss as (γ/2)·E‖∇ₓ l(x)‖² over the real
digits: it keeps D's logit flat around the data, so D cannot sharpen its edge without bound and
G's gradients stay informative (``r1_penalty``; ``GANConfig.r1_gamma``).

The generator's gradients with respect to the logit are −σ(l) and −(1 − σ(l)). Early in training D rejects
the fakes (σ(l) ≈ 0): the saturating gradient vanishes there while the non-saturating one is ≈ −1.
``gradients`` computes both with autograd, for chapter 03's plot.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def saturating_loss(fake_logit: torch.Tensor) -> torch.Tensor:
    """Mean of log(1 − D(G(z))) over the batch, from logits (B,)."""
    return (-F.softplus(fake_logit)).mean()


def non_saturating_loss(fake_logit: torch.Tensor) -> torch.Tensor:
    """Mean of −log D(G(z)) over the batch, from logits (B,); equals BCE with target 1."""
    return F.softplus(-fake_logit).mean()


def discriminator_loss(
    real_logit: torch.Tensor, fake_logit: torch.Tensor, label_smoothing: float = 0.0
) -> torch.Tensor:
    """Mean of −log D(x) − log(1 − D(G(z))) from logits (B,), real targets 1 − ``label_smoothing``."""
    target = 1.0 - label_smoothing
    loss_real = target * F.softplus(-real_logit) + (1.0 - target) * F.softplus(
        real_logit
    )  # (B,)
    return loss_real.mean() + F.softplus(fake_logit).mean()


def r1_penalty(real_logit: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ‖∇ₓ l(x)‖², the squared gradient of D's logit (B,) with respect to
    its real inputs ``real`` (B, ...), which must require grad; differentiable, so it can be trained."""
    (grad,) = torch.autograd.grad(real_logit.sum(), real, create_graph=True)  # (B, ...)
    return grad.pow(2).flatten(1).sum(1).mean()


def gradients(logits: torch.Tensor) -> dict[str, torch.Tensor]:
    """d loss / d logit of each loss at every point of ``logits`` (K,), via autograd."""
    out = {}
    for name, loss in (
        ("saturating", saturating_loss),
        ("non-saturating", non_saturating_loss),
    ):
        l = logits.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(
            loss(l) * len(l), l
        )  # × K undoes the mean: per-point gradients
        out[name] = grad.detach()
    return out
