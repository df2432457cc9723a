"""``TrainConfig`` (chapter 02): one palindrome run, checked when it is made.

The recipe of the reports the book starts from: RMSprop (lr 1e-3), batch 128, hidden 128, the
gradient norm clipped at 10, fresh batches at every step; plus an optional length curriculum.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.core import checks
from lib.core.device import pick_device
from lib.palindrome import curriculum as cur
from lib.palindrome.data import check_encoding, check_length

MODELS = ("lstm", "rnn")


@dataclass(frozen=True)
class TrainConfig:
    """One palindrome run. Vary it with ``dataclasses.replace``."""

    # 'lstm' (gated cell) or 'rnn' (vanilla tanh recurrence)
    model: str = "lstm"
    # T: digits per palindrome; the model reads T-1 and predicts the last
    length: int = 20
    # most training steps; early stop usually ends the run well before
    steps: int = 4000
    batch_size: int = 128  # fresh palindromes per step
    lr: float = 1e-3  # RMSprop learning rate, as in the reports
    hidden: int = 128  # width of h (and c)
    # 'onehot' (input_dim 10) or 'scalar' (input_dim 1, the reports' choice)
    encoding: str = "onehot"
    seed: int = 0  # seeds the weights, the training stream and the held-out stream
    clip: float = 10.0  # gradient-norm ceiling applied before each optimizer step
    device: str = "auto"  # 'auto' picks an accelerator when present; or cpu, cuda, mps
    eval_every: int = 50  # steps between held-out evaluations (and early-stop checks)
    eval_size: int = 1000  # held-out palindromes; accuracy in steps of 0.1%
    # stop once held-out accuracy at the full length reaches this
    target_accuracy: float = 1.0
    # initial b_f of the LSTM (the RNN has none); higher keeps memory longer
    forget_bias: float = 1.0
    # train through growing lengths; None = on when length > 30
    curriculum: bool | None = None
    start_length: int = 10  # first curriculum length
    growth: float = 1.5  # each curriculum stage is this many times longer than the last
    # held-out accuracy at which the curriculum moves to the next length
    advance_at: float = 0.99
    # each new curriculum stage multiplies the learning rate by this (see train)
    stage_lr: float = 0.7

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}: use lstm or rnn")
        check_length(self.length)
        check_encoding(self.encoding)
        pick_device(self.device)  # unknown or unavailable devices fail here, early
        for name in ("steps", "batch_size", "hidden", "eval_every", "eval_size"):
            checks.whole(name, getattr(self, name))
        checks.whole("seed", self.seed, minimum=0)
        checks.whole("start_length", self.start_length, minimum=2)
        for name in ("lr", "clip", "growth"):
            checks.positive(name, getattr(self, name))
        for name in ("target_accuracy", "advance_at", "stage_lr"):
            checks.fraction(name, getattr(self, name))
        checks.finite("forget_bias", self.forget_bias)
        if self.curriculum not in (None, True, False):
            raise ValueError(
                "curriculum must be True, False or None (automatic), "
                f"got {self.curriculum!r}"
            )
        if self.growth <= 1:
            raise ValueError(
                f"growth must be above 1 so that the lengths grow, got {self.growth!r}"
            )

    def stages(self) -> list[int]:
        """The lengths this run trains at, in order (``[length]`` without a curriculum)."""
        if not cur.uses_curriculum(self.length, self.curriculum):
            return [self.length]
        return cur.stages(self.length, self.start_length, self.growth)
