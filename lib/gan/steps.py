"""One training step of chapter 03's GAN: a discriminator step, then the non-saturating generator step.

    D step:  maximise  log D(x) + log(1 − D(G(z)))      (``losses.discriminator_loss``)
    G step:  maximise  log D(G(z))                        (``losses.non_saturating_loss``)

The generator's step is the non-saturating one: minimising log(1 − D(G(z))) instead, as the minimax
game is written, gives almost no gradient while D rejects the fakes confidently, which is exactly when
G needs it most (chapter 03 plots both gradients). With ``config.g_steps`` = k > 1 the generator
takes k steps after each discriminator step, the extra ones on fresh noise. With ``config.ema`` > 0
the weight average moves after the generator's steps (``update_average``), and ``refresh_statistics``
gives it batch-norm statistics of its own before it is sampled. With ``config.r1_gamma`` = γ > 0,
D's step also minimises the R1 penalty (γ/2)·E‖∇ₓ D_logit(x)‖² on the real digits
(``losses.r1_penalty``): on every ``config.r1_every``-th step, weighted that many times. The D loss
it reports is the plain one, without the penalty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from lib.gan.losses import discriminator_loss, non_saturating_loss, r1_penalty

if TYPE_CHECKING:
    from lib.gan.config import GANConfig
    from lib.gan.train import TrainState


def _noise(state: TrainState, n: int, device: torch.device) -> torch.Tensor:
    """The next ``n`` noise vectors (n, latent) of the run, drawn from ``state.noise_rng``."""
    z = torch.randn(n, state.config.latent_dim, generator=state.noise_rng)
    return z.to(device)


def gan_step(
    state: TrainState, real: torch.Tensor
) -> tuple[float, float, float, float]:
    """One discriminator step then ``g_steps`` generator steps; return (loss_d, loss_g, D(x), D(G(z))) means."""
    G, D, cfg = state.generator, state.discriminator, state.config
    n = real.shape[0]
    fake = G(_noise(state, n, real.device))  # (B, 1, 28, 28)
    penalise = cfg.r1_gamma > 0 and state.step % cfg.r1_every == 0
    if penalise:  # the penalty differentiates D at the data
        real = real.detach().requires_grad_(True)
    real_logit = D(real)  # (B,)
    fake_logit = D(fake.detach())  # (B,) detached: this step must not move G
    loss_d = discriminator_loss(real_logit, fake_logit, cfg.label_smoothing)
    objective = loss_d
    if penalise:  # every r1_every-th step, weighted r1_every times: the same on average
        weight = 0.5 * cfg.r1_gamma * cfg.r1_every
        objective = loss_d + weight * r1_penalty(real_logit, real)
    state.opt_d.zero_grad(set_to_none=True)
    objective.backward()
    state.opt_d.step()

    losses_g = [generator_step(state, fake)]  # the same fakes, judged by the updated D
    # once G has moved those fakes are stale: the extra steps draw new ones
    for _ in range(cfg.g_steps - 1):
        losses_g.append(generator_step(state, G(_noise(state, n, real.device))))
    update_average(state)
    return (
        loss_d.item(),
        sum(losses_g) / len(losses_g),
        torch.sigmoid(real_logit).mean().item(),
        torch.sigmoid(fake_logit).mean().item(),
    )


@torch.no_grad()
def update_average(state: TrainState) -> None:
    """Move the weight average a step ``1 - ema`` towards G (when there is one).

    Only the weights are averaged. The batch norms' running statistics are not: G's describe G's
    activations, not the average's, and the average gets its own from ``refresh_statistics``.
    """
    if state.averaged is None:
        return
    weight = 1.0 - state.config.ema
    for mean, p in zip(state.averaged.parameters(), state.generator.parameters()):
        mean.lerp_(p, weight)


# batches of noise that set the average's batch-norm statistics
STATISTICS_BATCHES = 100


def refresh_statistics(state: TrainState) -> None:
    """Give the weight average (when there is one) batch-norm statistics of its own
    (``own_statistics``). G's, copied, normalise the average with the wrong scales: with its own,
    the FID of all five seeds of the earlier recipe E is 4 to 17 lower
    (results/gan_seeds_recipe_e.json, chapter 03)."""
    if state.averaged is not None:
        own_statistics(state.averaged, state.config)


@torch.no_grad()
def own_statistics(generator: torch.nn.Module, config: GANConfig) -> None:
    """Recompute ``generator``'s batch-norm statistics from its own activations.

    Its running means and variances become plain averages over ``STATISTICS_BATCHES`` batches of
    ``config.batch_size`` noise vectors, drawn from a generator seeded by ``config.seed`` alone, so
    the result depends on the weights only, never on when it is called or on a resumed run.
    """
    norms = [m for m in generator.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the batches below
    rng = torch.Generator().manual_seed(config.seed + 5)
    device = next(generator.parameters()).device
    was_training = generator.training
    generator.train()
    for _ in range(STATISTICS_BATCHES):
        z = torch.randn(config.batch_size, config.latent_dim, generator=rng)
        generator(z.to(device))
    generator.train(was_training)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum


def generator_step(state: TrainState, fake: torch.Tensor) -> float:
    """The non-saturating step of G on ``fake`` (B, 1, 28, 28): minimise −log D(G(z)); return the loss."""
    D = state.discriminator
    # only G moves here: with D's weights frozen while the graph is recorded, backward skips their
    # gradients, which D's next step would throw away (6% of a step on two threads,
    # benchmarks/gan_step.py); G's gradients are the same numbers
    D.requires_grad_(False)
    try:
        fake_logit = D(fake)  # (B,)
    finally:
        D.requires_grad_(True)
    loss_g = non_saturating_loss(fake_logit)
    state.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    state.opt_g.step()
    return loss_g.item()
