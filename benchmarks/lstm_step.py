"""Time one LSTM training step: lib.lstm.fast.FastLSTM and lib.lstm.LSTM against torch.nn.LSTM.

A step is forward, cross-entropy, backward (BPTT) and one RMSprop update, on one-hot inputs, in
float32 on the CPU. All sides run in this one process on identical shapes and batches, interleaved
round by round (the order rotates each round). Times are medians over rounds; a ratio is the median
over rounds of that round's side / torch, so load from other processes on a shared machine hits
both sides of a ratio alike. No thresholds: it prints figures.

    python benchmarks/lstm_step.py            # default shapes, then T = 100 and hidden 256
    python benchmarks/lstm_step.py --quick    # fewer rounds, for a smoke run

Sides: "fast" is FastLSTM as training uses it, "fast_no_pool" is FastLSTM allocating fresh buffers
at every step instead of reusing them (what its buffer pool buys), "readable" is chapter 01's LSTM,
"torch" is torch.nn.LSTM + nn.Linear. The last stdout line is a JSON object: "fast_over_torch" and
"readable_over_torch" at the main shapes, and per configuration ("main", "T100", "H256") the ratios
and milliseconds per step.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from lib.core.cli import Parser, positive_int, print_summary, run
from lib.core.progress import progress
from lib.core.repro import pin_threads
from lib.lstm.cell import LSTM
from lib.lstm.fast import FastLSTM, _BufferPool

SIDES = (
    "fast",
    "fast_no_pool",
    "readable",
    "torch",
)  # "torch" is the reference every ratio divides by


@dataclasses.dataclass(frozen=True)
class Shapes:
    batch: int = 128  # sequences per step
    length: int = 30  # time steps T
    hidden: int = 128  # hidden size H
    classes: int = 10  # one-hot input size and number of output classes

    @property
    def label(self) -> str:
        return f"B={self.batch} T={self.length} H={self.hidden}"


class TorchLSTM(nn.Module):
    """The reference: torch.nn.LSTM and an nn.Linear head on the last hidden state."""

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int):
        super().__init__()
        self.lstm = nn.LSTM(input_dim, hidden_dim, batch_first=True)
        self.head = nn.Linear(hidden_dim, output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)  # (B, T, H)
        return self.head(out[:, -1])  # (B, O)


class _NoReuse(_BufferPool):
    """A pool that never hands buffers on: every pass allocates its own."""

    def lease(self, *args):
        self.spare = None
        return super().lease(*args)


def build(side: str, shapes: Shapes) -> nn.Module:
    dims = (shapes.classes, shapes.hidden, shapes.classes)
    if side == "fast_no_pool":
        model = FastLSTM(*dims)
        model._buffer_pool = _NoReuse()
        return model
    return {"fast": FastLSTM, "readable": LSTM, "torch": TorchLSTM}[side](*dims)


def make_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Callable[[], None]:
    """One training step as a closure: zero grads, forward, loss, backward, RMSprop update."""
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def batch(shapes: Shapes, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    digits = torch.randint(
        0, shapes.classes, (shapes.batch, shapes.length), generator=gen
    )
    x = F.one_hot(digits, shapes.classes).float()  # (B, T, C)
    return x, digits[:, 0]  # target: the first digit, as in the palindromes


def seconds_per_step(step: Callable[[], None], reps: int) -> float:
    start = time.perf_counter()
    for _ in range(reps):
        step()
    return (time.perf_counter() - start) / reps


def measure(
    shapes: Shapes, rounds: int, reps: int, warmup: int, bar
) -> dict[str, dict[str, float]]:
    """Per side: the median milliseconds per step, and the median over rounds of (side / torch).

    The sides run interleaved, round by round, so each round's ratio compares steps taken under
    the same load; the median of those ratios is the figure that the other processes disturb least.
    """
    torch.manual_seed(0)
    x, y = batch(shapes)
    steps = {side: make_step(build(side, shapes), x, y) for side in SIDES}
    for step in steps.values():
        seconds_per_step(step, warmup)
    times: dict[str, list[float]] = {side: [] for side in SIDES}
    for r in range(rounds):
        order = SIDES[r % len(SIDES) :] + SIDES[: r % len(SIDES)]
        for side in order:
            times[side].append(seconds_per_step(steps[side], reps))
        bar.update(1)
    ms = {side: 1000 * statistics.median(ts) for side, ts in times.items()}
    ratio = {
        side: statistics.median(a / b for a, b in zip(times[side], times["torch"]))
        for side in SIDES
    }
    return {"ms": ms, "ratio": ratio}


def parse(argv: Sequence[str] | None):
    parser = Parser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--batch",
        type=positive_int,
        default=128,
        help="sequences per step (default 128)",
    )
    parser.add_argument(
        "--length",
        type=positive_int,
        default=30,
        help="time steps T of the main configuration (default 30); T = 100 is measured too",
    )
    parser.add_argument(
        "--hidden",
        type=positive_int,
        default=128,
        help="hidden size of the main configuration (default 128); hidden 256 is measured too",
    )
    parser.add_argument(
        "--rounds",
        type=positive_int,
        default=15,
        help="interleaved rounds per configuration; the median is reported (default 15)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 3 rounds of 2 steps and a short warm-up",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    threads = pin_threads()  # 2, or DLBOOK_THREADS
    rounds, reps, warmup = (3, 2, 2) if args.quick else (args.rounds, 5, 10)
    main_shapes = Shapes(args.batch, args.length, args.hidden)
    configs = {
        "main": main_shapes,
        "T100": dataclasses.replace(main_shapes, length=100),
        "H256": dataclasses.replace(main_shapes, hidden=256),
    }
    load_before = os.getloadavg()[0]
    results = {}
    with progress(total=rounds * len(configs), desc="rounds") as bar:
        for name, shapes in configs.items():
            results[name] = measure(shapes, rounds, reps, warmup, bar)
    load_after = os.getloadavg()[0]
    print(
        f"one training step (forward, BPTT, RMSprop), float32, {threads} threads, torch {torch.__version__}, "
        f"{rounds} rounds; load average {load_before:.1f} before, {load_after:.1f} after"
    )
    print(
        f"{'config':7} {'shapes':20} "
        + " ".join(f"{s + ' ms':>16}" for s in SIDES)
        + f" {'fast/torch':>10} {'no_pool/fast':>12} {'readable/torch':>14}"
    )
    summary = {}
    for name, res in results.items():
        ms, ratio = res["ms"], res["ratio"]
        summary[name] = {
            "shapes": configs[name].label,
            "fast_over_torch": round(ratio["fast"], 3),
            "no_pool_over_fast": round(ratio["fast_no_pool"] / ratio["fast"], 3),
            "readable_over_torch": round(ratio["readable"], 3),
            "ms": {side: round(v, 2) for side, v in ms.items()},
        }
        print(
            f"{name:7} {configs[name].label:20} "
            + " ".join(f"{ms[s]:16.2f}" for s in SIDES)
            + f" {ratio['fast']:10.2f} {ratio['fast_no_pool'] / ratio['fast']:12.2f} {ratio['readable']:14.2f}"
        )
    print_summary(
        {
            "benchmark": "lstm_step",
            "fast_over_torch": summary["main"]["fast_over_torch"],
            "readable_over_torch": summary["main"]["readable_over_torch"],
            "configs": summary,
            "threads": threads,
            "rounds": rounds,
            "torch": torch.__version__,
            "load_average": [round(load_before, 2), round(load_after, 2)],
        }
    )
    return 0


if __name__ == "__main__":
    run(main)
