"""Training an LSTM or an RNN on palindromes (chapter 02), with the recipe of ``TrainConfig``.

A held-out set (its own seed stream) is checked every ``eval_every`` steps; training stops as
soon as held-out accuracy reaches ``target_accuracy`` (100% by default). Above STREAM_ABOVE digits
the held-out set is streamed step by step, and above ``fast_segments.SEGMENT_ABOVE`` the LSTM's
backward pass recomputes its forward in segments, so that memory stays bounded at long T.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from lib.core.device import pick_device
from lib.core.progress import progress
from lib.core.seeded import seeded
from lib.lstm.fast import FastLSTM
from lib.lstm.fast_rnn import FastRNN
from lib.palindrome.config import TrainConfig
from lib.palindrome.data import DIGITS, Batches, heldout, input_dim
from lib.palindrome.stream import stream_accuracy

STREAM_ABOVE = (
    200  # held-out sets longer than this are streamed (lib.palindrome.stream)
)


def make_model(config: TrainConfig) -> nn.Module:
    """The model of ``config``, weights drawn from its seed (the global RNG is left untouched).

    Training uses the fast twins of chapter 01's readable models: ``FastLSTM`` and ``FastRNN`` have
    the same parameters and logits, with hand-derived backward passes (tested against the readable
    ones in float64).
    """
    dims = (input_dim(config.encoding), config.hidden, DIGITS)
    if config.model == "lstm":
        bias, segment = float(config.forget_bias), config.segment
        return seeded(
            config.seed, lambda: FastLSTM(*dims, forget_bias=bias, segment=segment)
        )
    return seeded(config.seed, lambda: FastRNN(*dims))


@dataclass(frozen=True)
class Record:
    """The metrics logged at one evaluation."""

    step: int  # training steps done so far
    length: int  # T trained and evaluated at (changes along a curriculum)
    loss: float  # mean training cross-entropy since the previous record
    train_accuracy: float  # mean training-batch accuracy since the previous record
    accuracy: float  # held-out accuracy at ``length``
    seconds: float  # wall-clock time since training started


@dataclass
class History:
    """What ``train`` returns: the config, the records, the final held-out accuracy and the model."""

    config: TrainConfig
    records: list[Record] = field(default_factory=list)
    accuracy: float = (
        0.0  # held-out accuracy at the full length, measured after the last step
    )
    steps: int = 0  # training steps actually taken
    # curriculum stages skipped because the model already passed them: (length, accuracy)
    probed: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0  # wall-clock time of the whole run
    model: nn.Module | None = None

    def summary(self) -> dict[str, Any]:
        """The JSON-ready summary printed by the CLI."""
        c = self.config
        return {
            "model": c.model,
            "length": c.length,
            "steps": self.steps,
            "accuracy": self.accuracy,
            "seconds": round(self.seconds, 2),
            "encoding": c.encoding,
            "seed": c.seed,
            "stages": c.stages(),
            "implementation": type(self.model).__name__,
            # only when a stage was skipped, so runs without probes keep their files
            **(
                {"skipped_stages": [list(p) for p in self.probed]}
                if self.probed
                else {}
            ),
        }

    def to_dict(self) -> dict[str, Any]:
        """Config, summary and records as plain data (what the sweep writes to JSON)."""
        return {
            "config": dataclasses.asdict(self.config),
            **self.summary(),
            "records": [dataclasses.asdict(r) for r in self.records],
        }


def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int = 1000
) -> float:
    """Accuracy of ``model`` on inputs x (N, T-1, D) with targets y (N,), in chunks to bound memory."""
    correct = 0
    with torch.no_grad():
        for start in range(0, len(y), chunk):
            logits = model(x[start : start + chunk])  # (n, 10)
            correct += (logits.argmax(-1) == y[start : start + chunk]).sum().item()
    return correct / len(y)


def heldout_accuracy(
    model: nn.Module, length: int, size: int, seed: int, encoding: str
) -> float:
    """Accuracy on the held-out set ``heldout(size, length, seed, encoding)``: whole sequences up
    to STREAM_ABOVE digits, streamed one step at a time above (the same predictions, in memory
    that does not hold T steps of activations; ``lib.palindrome.stream``)."""
    if length > STREAM_ABOVE:
        return stream_accuracy(model, length, size, seed, encoding, show_progress=False)
    device = next(model.parameters()).device
    return evaluate(model, *heldout(size, length, seed, encoding, device))


def accuracy_by_length(
    model: nn.Module,
    lengths: list[int],
    seed: int = 0,
    encoding: str = "onehot",
    size: int = 1000,
) -> dict[int, float]:
    """Held-out accuracy of a trained model at each of ``lengths``: does its memory carry over to other T?"""
    return {T: heldout_accuracy(model, T, size, seed, encoding) for T in lengths}


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    clip: float,
) -> tuple[float, float]:
    """One step of cross-entropy, backward, norm clipping and update; returns (loss, batch accuracy)."""
    logits = model(x)  # (B, 10)
    loss = nn.functional.cross_entropy(logits, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item(), (logits.argmax(-1) == y).float().mean().item()


def _probe(
    stage: int, lengths: list[int], config: TrainConfig, held_out, history: History
) -> tuple[int, float]:
    """Move on from ``stage`` past every stage of ``config.probe_from`` digits or more that the model
    already passes; return the stage to train at and its accuracy (-1 when not measured)."""
    while lengths[stage] >= config.probe_from:
        held = held_out(lengths[stage])
        last = stage + 1 == len(lengths)
        if held < (config.target_accuracy if last else config.advance_at):
            return stage, held
        history.probed.append((lengths[stage], held))
        if last:
            return stage, held
        stage += 1
    return stage, -1.0


def train(config: TrainConfig, show_progress: bool | None = None) -> History:
    """Train ``config.model`` on palindromes of ``config.length`` digits; return the history.

    With a curriculum the run moves to the next length once held-out accuracy at the current one
    reaches ``advance_at``; the early stop applies at the full length only. Stages of
    ``probe_from`` digits or more are evaluated before they are trained, and skipped when the model
    passes them already. Each new stage also lowers
    the learning rate by ``stage_lr``: after a stage that the network has mastered, RMSprop's running
    average of squared gradients is tiny, so the larger gradients of a longer length would otherwise
    be divided by it into steps big enough to undo what was learnt.
    """
    device = pick_device(config.device)
    model = make_model(config).to(device)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=config.lr)
    batches = Batches(config.batch_size, config.seed, config.encoding, device)
    lengths, stage = config.stages(), 0

    def held_out(length: int) -> float:
        size, seed = config.eval_size, config.seed
        return heldout_accuracy(model, length, size, seed, config.encoding)

    history = History(config=config, model=model)
    sums, start = [0.0, 0.0, 0], time.perf_counter()
    bar = progress(
        total=config.steps,
        desc=f"{config.model} T={config.length}",
        disable=None if show_progress is None else not show_progress,
    )
    for step in range(1, config.steps + 1):
        loss, acc = train_step(
            model, optimizer, *batches.next(lengths[stage]), config.clip
        )
        sums = [sums[0] + loss, sums[1] + acc, sums[2] + 1]
        history.steps = step
        bar.update(1)
        if step % config.eval_every and step != config.steps:
            continue
        held = held_out(lengths[stage])
        history.records.append(
            Record(
                step,
                lengths[stage],
                sums[0] / sums[2],
                sums[1] / sums[2],
                held,
                time.perf_counter() - start,
            )
        )
        sums = [0.0, 0.0, 0]
        bar.set_postfix(
            T=lengths[stage], acc=f"{held:.3f}", loss=f"{history.records[-1].loss:.3f}"
        )
        if stage + 1 < len(lengths) and held >= config.advance_at:
            for group in optimizer.param_groups:
                group["lr"] *= config.stage_lr
            stage, held = _probe(stage + 1, lengths, config, held_out, history)
        if stage + 1 == len(lengths) and held >= config.target_accuracy:
            break
    bar.close()
    last = history.probed[-1] if history.probed else (0, 0.0)
    # a last stage that passed its probe was measured on this very held-out set
    history.accuracy = last[1] if last[0] == config.length else held_out(config.length)
    history.seconds = time.perf_counter() - start
    return history
