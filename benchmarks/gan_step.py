"""Time one training step of chapter 03's GAN with Adam as one fused kernel against Adam's default.

A step is the discriminator's update and the generator's non-saturating update on a batch of 64
(``lib.gan.steps.gan_step``), with the weight average and the R1 penalty of ``lib.gan.DEFAULT_CONFIG``.
All variants run in this one process on the same batch, interleaved round by round; a ratio is the
median over rounds of that round's two times, so load from other processes hits both sides alike.
The ratios: fused over default Adam; the R1 penalty's cost (the recipe over the recipe without it);
the lazy penalty's (on every 4th step only, ``GANConfig.r1_every``) over none; the generator's step
as ``lib.gan.steps`` takes it (D's weights frozen, so backward skips their gradients) over the same
step with D's weight gradients computed and thrown away. It also prints the share of a step spent
inside Adam (torch's profiler). No thresholds.

    python benchmarks/gan_step.py             # 2 threads, 7 rounds of 200 steps
    python benchmarks/gan_step.py --quick     # a smoke run
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from typing import Sequence

import torch

from lib.core.cli import Parser, positive_int, print_summary, run
from lib.core.repro import pin_threads
from lib.gan import steps
from lib.gan.cache import DEFAULT_CONFIG
from lib.gan.losses import non_saturating_loss
from lib.gan.steps import gan_step
from lib.gan.train import TrainState, new_state


def make_state(fused: bool, **changes) -> TrainState:
    """A fresh CPU run of the chapter's recipe (with ``changes``), its two Adams fused or not."""
    state = new_state(dataclasses.replace(DEFAULT_CONFIG, device="cpu", **changes))
    adam = dict(lr=state.config.lr, betas=state.config.betas, fused=fused)
    state.opt_g = torch.optim.Adam(state.generator.parameters(), **adam)
    state.opt_d = torch.optim.Adam(state.discriminator.parameters(), **adam)
    return state


def unfrozen_generator_step(state: TrainState, fake: torch.Tensor) -> float:
    """``lib.gan.steps.generator_step`` without freezing D: backward also computes D's weight
    gradients, which D's next step discards. The baseline of the freeze."""
    loss_g = non_saturating_loss(state.discriminator(fake))
    state.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    state.opt_g.step()
    return loss_g.item()


def ms_per_step(
    state: TrainState, real: torch.Tensor, count: int, frozen: bool = True
) -> float:
    """Milliseconds per ``gan_step`` over ``count`` steps; ``frozen=False`` swaps in
    ``unfrozen_generator_step`` for the generator's step."""
    chosen = steps.generator_step
    if not frozen:
        steps.generator_step = unfrozen_generator_step
    try:
        start = time.perf_counter()
        for _ in range(count):
            gan_step(state, real)
            state.step += 1  # as the training loop does: the lazy penalty counts steps
        return (time.perf_counter() - start) / count * 1000
    finally:
        steps.generator_step = chosen


def adam_share(state: TrainState, real: torch.Tensor, steps: int = 50) -> float:
    """The fraction of a step's CPU time spent inside the two ``Adam.step`` calls (profiler)."""
    from torch.profiler import profile

    with profile() as prof:
        for _ in range(steps):
            gan_step(state, real)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    adam = sum(
        e.cpu_time_total for e in events if e.key.startswith("Optimizer.step#Adam")
    )
    return adam / total


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads", type=positive_int, default=2, help="torch threads (default 2)"
    )
    parser.add_argument(
        "--rounds", type=positive_int, default=7, help="rounds (default 7)"
    )
    parser.add_argument(
        "--steps", type=positive_int, default=200, help="steps per round (default 200)"
    )
    parser.add_argument("--quick", action="store_true", help="2 rounds of 20 steps")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.steps = 2, 20
    threads = pin_threads(args.threads)
    real = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    states = {
        "default": make_state(False),
        "fused": make_state(True),
        "no_r1": make_state(True, r1_gamma=0.0),
        "r1_every_4": make_state(True, r1_every=4),
        "d_unfrozen": make_state(True),
    }
    for name, state in states.items():  # warm up: allocator, Adam's lazy state
        ms_per_step(state, real, 20, frozen=name != "d_unfrozen")
    times: dict[str, list[float]] = {name: [] for name in states}
    for r in range(args.rounds):
        order = list(states) if r % 2 == 0 else list(reversed(states))
        for name in order:
            frozen = name != "d_unfrozen"
            times[name].append(ms_per_step(states[name], real, args.steps, frozen))

    def ratio(a: str, b: str) -> float:
        return round(statistics.median(x / y for x, y in zip(times[a], times[b])), 3)

    summary = {
        "threads": threads,
        "ms_per_step": {k: round(statistics.median(v), 2) for k, v in times.items()},
        "fused_over_default": ratio("fused", "default"),
        "r1_over_none": ratio("fused", "no_r1"),
        "r1_every_4_over_none": ratio("r1_every_4", "no_r1"),
        "d_frozen_over_unfrozen": ratio("fused", "d_unfrozen"),
        "adam_share_default": round(adam_share(states["default"], real), 3),
        "adam_share_fused": round(adam_share(states["fused"], real), 3),
    }
    print_summary(summary)
    return 0


if __name__ == "__main__":
    run(main)
