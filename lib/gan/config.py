"""The GAN's training configuration (chapter 03): one typed, validated dataclass, stored inside every
checkpoint."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from lib.core import checks
from lib.core.device import check_device_name


@dataclass(frozen=True)
class GANConfig:
    # length of the noise vector z, as in the reports
    latent_dim: int = 100
    # Adam learning rate for both networks, as in the reports
    lr: float = 2e-4
    # real digits per discriminator step (and fakes per step), as in the reports
    batch_size: int = 64
    # passes over the training digits; the reports' full setting is 200
    epochs: int = 40
    # seeds the weights, the data order, the training noise and the fixed noise
    seed: int = 0
    # Adam (β1, β2); β1 = 0.5 damps the momentum that makes the two players overshoot each other
    # (chapter 03's recipe comparison, benchmarks/gan_recipes.py); the reports used (0.9, 0.999)
    betas: tuple[float, float] = (0.5, 0.999)
    # auto (CUDA when present), cpu, cuda, cuda:N or mps
    device: str = "auto"
    # one-sided: real digits get target 1 - this in D's loss (0 = off)
    label_smoothing: float = 0.0
    # generator updates after each discriminator update (1 = the reports); each extra one draws fresh
    # noise. It costs time per step: compare recipes at equal seconds, not steps
    g_steps: int = 1
    # decay of an exponential moving average of G's weights, updated after every G step; the
    # average is the generator a run delivers (samples, scores, the saved file). 0 = off
    ema: float = 0.0
    # weight γ of the R1 penalty (γ/2)·E‖∇ₓ D_logit(x)‖² on the real digits in D's loss
    # (lib.gan.losses.r1_penalty); 0 = off, as in the reports
    r1_gamma: float = 0.0
    # apply the R1 penalty on every this-many-th D step only, weighted by this many times γ: the
    # same penalty on average, at a fraction of its cost ("lazy" regularisation, StyleGAN2)
    r1_every: int = 1
    # keep samples from fixed noise every this many epochs, for FID over training (0 = off)
    track_every: int = 0
    # how many images each tracked set holds (stored as bytes in the checkpoint)
    track_samples: int = 1000

    def __post_init__(self):
        for name in (
            "latent_dim",
            "batch_size",
            "epochs",
            "track_samples",
            "g_steps",
            "r1_every",
        ):
            checks.whole(name, getattr(self, name))
        for name in ("seed", "track_every"):
            checks.whole(name, getattr(self, name), minimum=0)
        checks.positive("lr", self.lr)
        betas = tuple(self.betas) if isinstance(self.betas, (tuple, list)) else None
        if betas is None or len(betas) != 2:
            raise ValueError(
                f"betas must be two numbers in [0, 1), e.g. 0.5 0.999; got {self.betas!r}"
            )
        for beta in betas:
            checks.fraction("betas", beta, closed=False)
        object.__setattr__(self, "betas", (float(betas[0]), float(betas[1])))
        checks.fraction("label_smoothing", self.label_smoothing, high=0.5, closed=False)
        checks.fraction("ema", self.ema, closed=False)
        checks.nonnegative("r1_gamma", self.r1_gamma)
        # the name only: a GPU machine's config must load on a CPU-only one
        check_device_name(self.device)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (safe inside a ``weights_only`` checkpoint)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "GANConfig":
        """Rebuild a config from ``to_dict``; unknown fields mean the checkpoint is not ours."""
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(
                f"unknown GAN config fields {sorted(unknown)}: not a checkpoint of lib.gan"
            )
        return cls(**d)
