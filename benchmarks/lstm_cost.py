"""How the cost of one LSTM training step grows with the length T and with the hidden size H.

Three sides, as in lstm_step.py: FastLSTM (the training path of chapter 02), chapter 01's readable
LSTM (autograd through the written-out loop) and torch.nn.LSTM + nn.Linear. A step is forward,
cross-entropy, backward and one RMSprop update on one-hot inputs, batch 128, float32, on the CPU.
T runs from 10 to 1,000 at H = 128, and H from 32 to 512 at T = 30. The sides are interleaved
round by round; each figure is the median over rounds. No thresholds: it prints, draws and saves.

    python benchmarks/lstm_cost.py              # about five minutes on two cores
    python benchmarks/lstm_cost.py --quick      # one round, fewer points: a smoke run

Writes benchmarks/lstm_cost.json and benchmarks/lstm_cost.png (two log-log panels).
"""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path
from typing import Sequence

import torch
from lstm_step import Shapes, batch, build, make_step, seconds_per_step

from lib.core.cli import Parser, positive_int, print_summary, run
from lib.core.files import atomic_file
from lib.core.progress import progress
from lib.core.repro import pin_threads

SIDES = ("fast", "readable", "torch")
LENGTHS = (10, 30, 100, 300, 1000)
HIDDENS = (32, 64, 128, 256, 512)
HERE = Path(__file__).resolve().parent
COLOURS = {"fast": "#0072B2", "readable": "#D55E00", "torch": "#000000"}


def median_ms(shapes: Shapes, rounds: int, budget: float) -> dict[str, float]:
    """Milliseconds per step for each side, the median over interleaved rounds.

    Each measurement repeats the step until about ``budget`` seconds have passed (once at least).
    """
    torch.manual_seed(0)
    x, y = batch(shapes)
    steps = {side: make_step(build(side, shapes), x, y) for side in SIDES}
    first = {side: seconds_per_step(step, 1) for side, step in steps.items()}  # warm-up
    reps = {side: max(1, int(budget / first[side])) for side in SIDES}
    times: dict[str, list[float]] = {side: [] for side in SIDES}
    for r in range(rounds):
        for side in SIDES[r % 3 :] + SIDES[: r % 3]:
            times[side].append(seconds_per_step(steps[side], reps[side]))
    return {side: 1000 * statistics.median(ts) for side, ts in times.items()}


def plot(results: dict, path: Path) -> None:
    """Two log-log panels: ms per step against T, and against H."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in zip(
        axes, ("length", "hidden"), ("T (H = 128)", "H (T = 30)")
    ):
        points = results[key]
        xs = [p["x"] for p in points]
        for side in SIDES:
            ys = [p["ms"][side] for p in points]
            ax.loglog(xs, ys, "o-", color=COLOURS[side], label=side)
        ax.set_xlabel(label)
        ax.set_ylabel("ms per training step (batch 128)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(title="LSTM")
    fig.suptitle("One training step: forward, BPTT, RMSprop, float32, CPU")
    fig.tight_layout()
    with atomic_file(path, "wb") as file:
        fig.savefig(file, format="png", dpi=100)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=positive_int, default=3, help="rounds (default 3)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer points")
    args = parser.parse_args(argv)
    threads = pin_threads()
    rounds, budget = (1, 0.05) if args.quick else (args.rounds, 0.4)
    lengths, hiddens = (LENGTHS[:2], HIDDENS[:2]) if args.quick else (LENGTHS, HIDDENS)
    grid = [("length", t, Shapes(length=t)) for t in lengths]
    grid += [("hidden", h, Shapes(hidden=h)) for h in hiddens]
    results: dict[str, list] = {"length": [], "hidden": []}
    load = os.getloadavg()[0]
    with progress(total=len(grid), desc="shapes") as bar:
        for key, x, shapes in grid:
            results[key].append({"x": x, "ms": median_ms(shapes, rounds, budget)})
            bar.update(1)
    print(f"{threads} threads, torch {torch.__version__}, load average {load:.1f}")
    print(
        f"{'shape':>10} " + " ".join(f"{s + ' ms':>12}" for s in SIDES) + "  fast/torch"
    )
    for key in results:
        for p in results[key]:
            ms = p["ms"]
            row = " ".join(f"{ms[s]:12.1f}" for s in SIDES)
            print(
                f"{key[0].upper()}={p['x']:<8} {row}  {ms['fast'] / ms['torch']:10.2f}"
            )
    with atomic_file(HERE / "lstm_cost.json", "w") as file:
        file.write(json.dumps({"threads": threads, **results}, indent=1) + "\n")
    plot(results, HERE / "lstm_cost.png")
    growth = {
        side: round(
            results["length"][-1]["ms"][side] / results["length"][0]["ms"][side], 1
        )
        for side in SIDES
    }
    print_summary({"benchmark": "lstm_cost", "growth_over_T_range": growth})
    return 0


if __name__ == "__main__":
    run(main)
