"""What training S seeds of chapter 02's LSTM as one batched computation would buy.

Sides, each one training step (forward, cross-entropy, BPTT, RMSprop) of S = 5 models of the same
configuration, each with its own batch of one-hot palindrome-like inputs:

    one          FastLSTM, a single model (the unit every other side is divided by)
    sequential   FastLSTM, the 5 models one after another (what the sweep does today)
    stacked      the 5 models' weights stacked, (S, H, 4H), every product a batched matmul
                 (torch.bmm) through autograd: one computation for all seeds
    stacked_fast the 5 models as one computation written like FastLSTM: fused gates, the
                 hand-derived backward pass, batched products (stacked_fast.py, checked against
                 FastLSTM model by model before timing)
    torch        torch.nn.LSTM + nn.Linear, the 5 models one after another

The sides are interleaved round by round and each figure is the median over rounds. The last
stdout line is a JSON summary with stacked/one (the target for 5 seeds was at most 2) and the
time per model-step of stacked and of FastLSTM over torch.nn.LSTM's (the target was at most 0.5).

    python benchmarks/seeds_together.py [--batch 128] [--length 30] [--hidden 128] [--seeds 5]

Why the targets are out of reach at the book's shapes is printed too: the floating-point work of
one model-step (about 6 B T H 4H) against what the step takes, and a floor that holds for any
implementation built on torch's kernels. It adds two times measured in the same run: the S
model-steps' products at the CPU's peak rate of matrix products (the fastest of large square
products), and the least elementwise work of all S model-steps, for all seeds at once, one
operation per time step: the forward pass's gate nonlinearities as one sigmoid and one tanh, and
the backward pass's products of each gate's gradient with its derivative as one multiplication.
All else is left out, so the floor is low. S seeds / one seed cannot fall below floor / (one
seed's step): when that exceeds 2, no way of batching the seeds meets the target on this CPU.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from lstm_step import TorchLSTM, make_step
from stacked_fast import StackedFastLSTM, check_against_fast
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
    models = [FastLSTM(10, H, 10) for _ in range(S)]
    fast = [make_step(models[s], x[s], y[s]) for s in range(S)]
    ref = [make_step(TorchLSTM(10, H, 10), x[s], y[s]) for s in range(S)]
    return {
        "one": fast[0],
        "sequential": lambda: [step() for step in fast],
        "stacked": make_step(StackedLSTM(S, 10, H), digits, y.flatten()),
        "stacked_fast": make_step(StackedFastLSTM(models), digits, y.flatten()),
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


PEAK_SIZES = (512, 1024, 2048)


def _median_time(fn: Callable[[], object], rounds: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_gflops(rounds: int = 5) -> float:
    """The CPU's best rate of float32 matrix products, GFLOP/s: the fastest median over large
    square products (PEAK_SIZES), an upper bound on what any batched or fused step could reach."""
    gen = torch.Generator().manual_seed(0)
    rates = []
    for size in PEAK_SIZES:
        a, b = (torch.randn(size, size, generator=gen) for _ in range(2))
        rates.append(2 * size**3 / _median_time(lambda: a @ b, rounds) / 1e9)
    return max(rates)


def gate_seconds(S: int, B: int, T: int, H: int, rounds: int = 5) -> dict[str, float]:
    """Seconds of the least elementwise work of S model-steps, done for all S seeds at once, one
    operation per time step into buffers allocated beforehand. forward: a sigmoid over i, f, o and
    a tanh over g and c; backward: one product of every gate's incoming gradient with its
    derivative, and of c's. A step needs at least this much of torch's elementwise kernels."""
    gen = torch.Generator().manual_seed(0)
    gates = torch.randn(
        S * B, 3 * H, generator=gen
    )  # i, f, o of one step of every seed
    cells = torch.randn(S * B, 2 * H, generator=gen)  # g and c
    grads = torch.randn(S * B, 5 * H, generator=gen)  # d i, f, o, g, c
    out3, out2, out5 = (torch.empty_like(x) for x in (gates, cells, grads))

    def forward() -> None:
        for _ in range(T):
            torch.sigmoid(gates, out=out3)
            torch.tanh(cells, out=out2)

    def backward() -> None:
        for _ in range(T):
            torch.mul(grads, grads, out=out5)

    return {
        "forward_gates": _median_time(forward, rounds),
        "backward_gates": _median_time(backward, rounds),
    }


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
    check_against_fast()  # the stacked_fast side computes what FastLSTM computes
    sec = median_seconds(sides(S, B, T, H), args.rounds)
    peak, gates = peak_gflops(), gate_seconds(S, B, T, H)
    flops = 6 * B * T * H * 4 * H  # forward and backward products of one model-step
    products = (
        S * flops / (peak * 1e9)
    )  # seconds: S model-steps' products at the peak rate
    floor = products + sum(
        gates.values()
    )  # the least any implementation of S model-steps takes
    summary = {
        "shapes": f"S={S} B={B} T={T} H={H}",
        "ms": {name: round(1000 * s, 1) for name, s in sec.items()},
        "stacked_over_one": round(sec["stacked"] / sec["one"], 2),
        "stacked_fast_over_one": round(sec["stacked_fast"] / sec["one"], 2),
        "sequential_over_one": round(sec["sequential"] / sec["one"], 2),
        "per_model_step_stacked_over_torch": round(sec["stacked"] / sec["torch"], 2),
        "per_model_step_stacked_fast_over_torch": round(
            sec["stacked_fast"] / sec["torch"], 2
        ),
        "per_model_step_fast_over_torch": round(sec["sequential"] / sec["torch"], 2),
        "torch_gflops": round(S * flops / sec["torch"] / 1e9, 1),
        "peak_gflops": round(peak, 1),
        "floor_ms": {
            "products_at_peak": round(1000 * products, 1),
            **{name: round(1000 * t, 1) for name, t in gates.items()},
        },
        "products_share_of_one_seed": round(products / S / sec["one"], 2),
        "best_possible_over_one": round(floor / sec["one"], 2),
        "best_possible_per_model_step_over_torch": round(floor / sec["torch"], 2),
    }
    print(f"{threads} threads, torch {torch.__version__}, load average {load:.1f}")
    for name, ms in summary["ms"].items():
        print(f"{name:>11}: {ms:8.1f} ms")
    print(
        f"5 seeds / one seed: stacked {summary['stacked_over_one']}, stacked_fast "
        f"{summary['stacked_fast_over_one']}, sequential {summary['sequential_over_one']}; "
        f"per model-step over torch.nn.LSTM: stacked "
        f"{summary['per_model_step_stacked_over_torch']}, stacked_fast "
        f"{summary['per_model_step_stacked_fast_over_torch']}, FastLSTM "
        f"{summary['per_model_step_fast_over_torch']}; torch.nn.LSTM runs "
        f"{summary['torch_gflops']} GFLOP/s of matrix products"
    )
    print(
        f"bound for any implementation: this CPU's matrix products peak at {summary['peak_gflops']} "
        f"GFLOP/s ({threads} threads, square products of {PEAK_SIZES}); {S} model-steps need "
        f"{summary['floor_ms']['products_at_peak']} ms of products at that rate and "
        f"{summary['floor_ms']['forward_gates']} + {summary['floor_ms']['backward_gates']} ms of the "
        "forward and backward passes' least elementwise work, "
        f"so {S} seeds / one seed >= {summary['best_possible_over_one']} (target 2), per model-step "
        f"/ torch.nn.LSTM >= {summary['best_possible_per_model_step_over_torch']} (target 0.5); in "
        f"one seed's step the products at peak would be {summary['products_share_of_one_seed']} "
        f"of its time"
    )
    print_summary({"benchmark": "seeds_together", **summary})
    return 0


if __name__ == "__main__":
    run(main)
