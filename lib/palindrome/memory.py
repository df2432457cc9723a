"""Why the LSTM's memory lasts (chapter 02): its gates and cell states over one long palindrome.

``memory_stats`` streams held-out palindromes through a trained model (``lib.palindrome.stream``)
and measures, for every hidden unit:

- ``eta2``: at chosen steps t, the share of the variance of the unit's state across palindromes
  that the first digit explains, η² = 1 − (within-digit sum of squares) / (total sum of squares).
  1 means the unit's value at step t tells the first digit apart perfectly, 0 that it says
  nothing about it. The state is the cell c for the LSTM and h for the RNN.
- for the LSTM, the forget gate: its mean over all steps and palindromes, and the largest value it
  takes anywhere, with how many of its float32 values round to exactly 1.

A cell that kept the first digit by holding still would need f = 1 (in float32, f rounds to
exactly 1 once its pre-activation exceeds about 17); the chapter uses these numbers to show what the
trained LSTM does instead.
"""

from __future__ import annotations

from typing import Any, Iterable

import torch
from torch import nn

from lib.lstm.cell import LSTM
from lib.palindrome.data import DIGITS
from lib.palindrome.stream import heldout_front, stream_logits


def eta_squared(values: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """η² per column of ``values`` (n, H) grouped by ``labels`` (n,) in 0..9, in float64: (H,)."""
    x = values.double()
    total = ((x - x.mean(0)) ** 2).sum(0)  # (H,)
    within = torch.zeros_like(total)
    for d in range(DIGITS):
        group = x[labels == d]
        if len(group):
            within += ((group - group.mean(0)) ** 2).sum(0)
    return 1 - within / total.clamp_min(torch.finfo(torch.float64).tiny)


class _Recorder:
    """The ``observe`` hook of ``stream_logits``: keeps η² at the chosen steps and gate statistics."""

    def __init__(self, labels: torch.Tensor, at: set[int], gated: bool):
        self.labels, self.at, self.gated = labels, at, gated
        self.eta2: dict[int, list[float]] = {}
        self.f_sum = self.f_max = self.f_ones = None
        self.steps = 0

    def __call__(self, t: int, state: dict[str, torch.Tensor]) -> None:
        if t in self.at:
            kept = state["c" if self.gated else "h"]  # (n, H)
            self.eta2[t] = eta_squared(kept.cpu(), self.labels).tolist()
        if self.gated:
            f = state["f"]  # (n, H)
            mean, top = f.double().mean(0), f.amax(0)  # (H,)
            self.f_sum = mean if self.f_sum is None else self.f_sum + mean
            self.f_max = top if self.f_max is None else torch.maximum(self.f_max, top)
            ones = (f == 1).sum()  # a tensor: no wait for the device inside the loop
            self.f_ones = ones if self.f_ones is None else self.f_ones + ones
            self.steps += 1


def memory_stats(
    model: nn.Module,
    length: int,
    size: int = 300,
    seed: int = 0,
    at: Iterable[int] = (1, 10, 100, 1_000, 10_000, 100_000),
    encoding: str = "onehot",
) -> dict[str, Any]:
    """Per-unit η² of the state at the steps ``at`` (those below ``length``) and at the last step
    T-1, and the LSTM's forget gate statistics, over ``size`` held-out palindromes of ``length``
    digits; JSON-ready."""
    front, y = heldout_front(size, length, seed)  # (⌈T/2⌉, n), (n,)
    steps = sorted({t for t in at if 1 <= t < length} | {length - 1})  # and the last
    gated = isinstance(model, LSTM)
    record = _Recorder(y, set(steps), gated)
    logits = stream_logits(model, front, length, encoding, False, observe=record)
    out: dict[str, Any] = {
        "length": length,
        "size": size,
        "accuracy": (logits.argmax(-1).cpu() == y).double().mean().item(),
        "state": "c" if gated else "h",
        "eta2": {str(t): record.eta2[t] for t in steps},
    }
    if gated:
        out["forget"] = {
            "mean": (record.f_sum / record.steps).tolist(),  # per unit
            "max": record.f_max.tolist(),  # per unit
            "exactly_one": int(record.f_ones),  # float32 values of f equal to 1
            "values": record.steps * size * len(record.f_max),
        }
    return out
