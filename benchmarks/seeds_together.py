"""What training S seeds of chapter 02's LSTM as one batched computation would buy.

Sides, each one training step (forward, cross-entropy, BPTT, RMSprop) of S = 5 models of the same
configuration, each with its own batch of one-hot palindrome-like inputs:

    one          FastLSTM, a single model (the unit every other side is divided by)
    sequential   FastLSTM, the 5 models one after another (what the sweep does today)
    stacked      the 5 models' weights stacked, (S, H, 4H), every product a batched matmul
                 (torch.bmm) through autograd: one computation for all seeds
    torch        torch.nn.LSTM + nn.Linear, the 5 models one after another

The sides are interleaved round by round and each figure is the median over rounds. The last
stdout line is a JSON summary with stacked/one (the target for 5 seeds was at most 2) and the
time per model-step of stacked and of FastLSTM over torch.nn.LSTM's (the target was at most 0.5).

    python benchmarks/seeds_together.py [--batch 128] [--length 30] [--hidden 128] [--seeds 5]

Why the targets are out of reach at the book's shapes is printed too: the floating-point work of
one model-step (about 6 B T H 4H) against what the step takes. When torch.nn.LSTM already runs
its matrix products near the CPU's peak, running 5 models costs about 5 times one.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from lstm_step import TorchLSTM, make_step
from torch import nn

from lib.core.cli import Parser, positive_int, print_summary, run
from lib.core.repro import pin_threads
from lib.lstm.fast import FastLSTM


class StackedLSTM(nn.Module):
    """S one-layer LSTMs with stacked weights; x is (S, B, T) digits, logits (S·B, O)."""

    def __init__(self, seeds: int, classes: int, hidden: int):
        super().__init__()
        k = hidden**-0.5

        def weight(*shape):
            return nn.Parameter(torch.empty(seeds, *shape).uniform_(-k, k))

        self.W_x, self.W_h = weight(classes, 4 * hidden), weight(hidden, 4 * hidden)
        self.b, self.W_p, self.b_p = (
            weight(1, 4 * hidden),
            weight(hidden, classes),
            weight(1, classes),
        )
        self.hidden = hidden

    def forward(self, digits: torch.Tensor) -> torch.Tensor:
        S, B, T = digits.shape
        rows = torch.arange(S)[:, None, None]  # (S, 1, 1)
        inputs = (
            self.W_x[rows, digits] + self.b[:, None]
        )  # (S, B, T, 4H): one-hot is a lookup
        h = inputs.new_zeros(S, B, self.hidden)  # (S, B, H)
        c = torch.zeros_like(h)
        for t in range(T):
            z = inputs[:, :, t] + torch.bmm(h, self.W_h)  # (S, B, 4H)
            i, f, g, o = z.split(self.hidden, -1)  # (S, B, H) each
            i, f, o = i.sigmoid(), f.sigmoid(), o.sigmoid()
            c = f * c + i * torch.tanh(g)
            h = o * torch.tanh(c)
        return (torch.bmm(h, self.W_p) + self.b_p).flatten(0, 1)  # (S·B, O)


def sides(S: int, B: int, T: int, H: int) -> dict[str, Callable[[], None]]:
    gen = torch.Generator().manual_seed(0)
    digits = torch.randint(0, 10, (S, B, T), generator=gen)  # each seed its own batch
    y = digits[:, :, 0]  # (S, B)
    x = F.one_hot(digits, 10).float()  # (S, B, T, 10)
    fast = [make_step(FastLSTM(10, H, 10), x[s], y[s]) for s in range(S)]
    ref = [make_step(TorchLSTM(10, H, 10), x[s], y[s]) for s in range(S)]
    return {
        "one": fast[0],
        "sequential": lambda: [step() for step in fast],
        "stacked": make_step(StackedLSTM(S, 10, H), digits, y.flatten()),
        "torch": lambda: [step() for step in ref],
    }


def median_seconds(
    steps: dict[str, Callable[[], None]], rounds: int
) -> dict[str, float]:
    for step in steps.values():
        step()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            steps[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(description=__doc__.split("\n\n")[0])
    for flag, default in (
        ("--batch", 128),
        ("--length", 30),
        ("--hidden", 128),
        ("--seeds", 5),
    ):
        parser.add_argument(
            flag, type=positive_int, default=default, help=f"(default {default})"
        )
    parser.add_argument(
        "--rounds", type=positive_int, default=9, help="rounds (default 9)"
    )
    args = parser.parse_args(argv)
    threads = pin_threads()
    S, B, T, H = args.seeds, args.batch, args.length, args.hidden
    load = os.getloadavg()[0]
    sec = median_seconds(sides(S, B, T, H), args.rounds)
    flops = 6 * B * T * H * 4 * H  # forward and backward products of one model-step
    summary = {
        "shapes": f"S={S} B={B} T={T} H={H}",
        "ms": {name: round(1000 * s, 1) for name, s in sec.items()},
        "stacked_over_one": round(sec["stacked"] / sec["one"], 2),
        "sequential_over_one": round(sec["sequential"] / sec["one"], 2),
        "per_model_step_stacked_over_torch": round(sec["stacked"] / sec["torch"], 2),
        "per_model_step_fast_over_torch": round(sec["sequential"] / sec["torch"], 2),
        "torch_gflops": round(S * flops / sec["torch"] / 1e9, 1),
    }
    print(f"{threads} threads, torch {torch.__version__}, load average {load:.1f}")
    for name, ms in summary["ms"].items():
        print(f"{name:>11}: {ms:8.1f} ms")
    print(
        f"5 seeds stacked / one seed: {summary['stacked_over_one']} (sequential: "
        f"{summary['sequential_over_one']}); per model-step over torch.nn.LSTM: stacked "
        f"{summary['per_model_step_stacked_over_torch']}, FastLSTM "
        f"{summary['per_model_step_fast_over_torch']}; torch.nn.LSTM runs "
        f"{summary['torch_gflops']} GFLOP/s of matrix products"
    )
    print_summary({"benchmark": "seeds_together", **summary})
    return 0


if __name__ == "__main__":
    run(main)
