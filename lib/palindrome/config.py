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
    """One palindrome run. Vary it with ``dataclasses.replace``.

    Attributes:
        model: lstm (the gated cell) or rnn (the vanilla tanh recurrence)
        length: T, digits per palindrome; the model reads T-1 and predicts the last
        steps: most training steps per run, the same for every model; early stop
            usually ends the run well before
        batch_size: fresh palindromes per step
        lr: RMSprop learning rate, as in the reports
        hidden: width of h (and c)
        encoding: onehot (10 inputs) or scalar (the digit as one float, the reports' choice)
        seed: seeds the weights, the training batches and the held-out set
        clip: gradient-norm ceiling applied before each optimizer step
        device: auto (an accelerator when present), cpu, cuda, cuda:N or mps
        eval_every: steps between held-out checks (and early-stop checks)
        eval_size: held-out palindromes; accuracy in steps of 1/eval_size
        target_accuracy: stop once held-out accuracy at the full length reaches this
        forget_bias: initial forget-gate bias b_f of the LSTM (the RNN has none); higher
            keeps memory longer
        curriculum: train through growing lengths first (default: on when the length
            is above 30)
        start_length: first curriculum length
        growth: each curriculum stage is this many times longer than the last
        advance_at: held-out accuracy at which the curriculum moves to the next length
        stage_lr: each new curriculum stage multiplies the learning rate by this
        probe_from: curriculum stages of at least this many digits are first evaluated, and
            skipped when the model already passes them: evaluation streams and costs a
            fraction of the steps it saves, since a memory learnt at T = 100 often holds
            much further
        segment: LSTM only: above this many steps, training recomputes the forward pass in
            segments of this many steps so that memory does not grow with T (default:
            automatic, segments of 250 steps above T = 500)
    """

    model: str = "lstm"
    length: int = 20
    steps: int = 4000
    batch_size: int = 128
    lr: float = 1e-3
    hidden: int = 128
    encoding: str = "onehot"
    seed: int = 0
    clip: float = 10.0
    device: str = "auto"
    eval_every: int = 50
    eval_size: int = 1000
    target_accuracy: float = 1.0
    forget_bias: float = 1.0
    curriculum: bool | None = None
    start_length: int = 10
    growth: float = 1.5
    advance_at: float = 0.99
    stage_lr: float = 0.7
    probe_from: int = 200
    segment: int | None = None

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
        checks.whole("probe_from", self.probe_from, minimum=2)
        for name in ("lr", "clip", "growth"):
            checks.positive(name, getattr(self, name))
        for name in ("target_accuracy", "advance_at", "stage_lr"):
            checks.fraction(name, getattr(self, name))
        checks.finite("forget_bias", self.forget_bias)
        if self.segment is not None:
            checks.whole("segment", self.segment)
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
