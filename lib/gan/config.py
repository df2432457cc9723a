"""The GAN's training configuration: one typed, validated dataclass, stored inside every checkpoint."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from lib.device import _DEVICE_PATTERN

# Fields that older checkpoints lack, with the value those checkpoints were trained with: ``from_dict``
# fills them in, ``digest`` leaves them out at that value.
ADDED_LATER = {"g_steps": 1}


@dataclass(frozen=True)
class GANConfig:
    latent_dim: int = 100  # length of the noise vector z, as in the reports
    lr: float = 2e-4  # Adam learning rate for both networks, as in the reports
    batch_size: int = 64  # real digits per discriminator step (and fakes per step), as in the reports
    betas: tuple[float, float] = (0.5, 0.999)  # Adam (β1, β2); β1 = 0.5 damps the momentum that makes the
    #                                            two players overshoot each other (benchmarks/gan_recipes.py)
    epochs: int = 40  # passes over the training digits; the reports' full setting is 200
    seed: int = 0  # seeds the weights, the data order, the training noise and the fixed noise
    device: str = "auto"  # auto (CUDA when present), cpu, cuda, cuda:N or mps
    label_smoothing: float = 0.0  # one-sided: real digits get target 1 - this in D's loss (0 = off)
    g_steps: int = 1  # generator updates after each discriminator update (1 = the reports); each extra one
    #                   draws fresh noise. Costs time per step: compare recipes at equal seconds, not steps
    limit: int = 0  # train on a seeded random subset of this many digits (0 = all); for tests and smoke runs
    track_every: int = 0  # keep samples from fixed noise every this many epochs, for FID over training (0 = off)
    track_samples: int = 1000  # how many images each tracked set holds (stored as bytes in the checkpoint)

    def __post_init__(self):
        for name in ("latent_dim", "batch_size", "epochs", "track_samples", "g_steps"):
            _check_int(name, getattr(self, name), minimum=1)
        for name in ("seed", "limit", "track_every"):
            _check_int(name, getattr(self, name), minimum=0)
        if not isinstance(self.lr, (int, float)) or isinstance(self.lr, bool) or not 0 < self.lr < float("inf"):
            raise ValueError(f"lr must be a finite number above zero, got {self.lr!r}")
        betas = tuple(self.betas) if isinstance(self.betas, (tuple, list)) else None
        if betas is None or len(betas) != 2 or not all(isinstance(b, (int, float)) and 0 <= b < 1 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), e.g. 0.5 0.999; got {self.betas!r}")
        object.__setattr__(self, "betas", (float(betas[0]), float(betas[1])))
        if not isinstance(self.label_smoothing, (int, float)) or not 0 <= self.label_smoothing < 0.5:
            raise ValueError(f"label_smoothing must be in [0, 0.5), e.g. 0.1; got {self.label_smoothing!r}")
        if self.limit and self.limit < self.batch_size:
            raise ValueError(f"limit ({self.limit}) must be 0 (all digits) or at least batch_size ({self.batch_size})")
        # Only the name is checked here: a config saved on a GPU machine must still load on a CPU-only one.
        if not isinstance(self.device, str) or not _DEVICE_PATTERN.match(self.device):
            raise ValueError(f"unknown device {self.device!r}: use auto, cpu, cuda, cuda:N or mps")

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (safe inside a ``weights_only`` checkpoint)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "GANConfig":
        """Rebuild a config from ``to_dict``; unknown fields mean the checkpoint is not ours."""
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown GAN config fields {sorted(unknown)}: not a checkpoint of lib.gan")
        return cls(**{**ADDED_LATER, **d})  # a checkpoint older than a field was trained without it

    def digest(self, *extra: Any) -> str:
        """A short hash of the fields that change the trained weights (not the device name) plus ``extra``.

        Fields added after the first checkpoints count only when they differ from their default, so
        a config that does not use them keeps the hash (and the cache entry) it had before they existed.
        """
        d = self.to_dict()
        d.pop("device")
        for name, default in ADDED_LATER.items():
            if d[name] == default:
                d.pop(name)
        text = json.dumps([d, *extra], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
