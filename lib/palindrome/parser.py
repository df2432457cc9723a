"""The parser of ``python -m lib.palindrome`` (chapter 02): every flag, with its help.

Defaults come from ``TrainConfig``; the sweep's budget and lengths are those of chapter 02.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lib.core import cli
from lib.palindrome.args import (
    device_type,
    folder_type,
    length_type,
    lengths_type,
    models_type,
    recipes_type,
    seed_type,
    seeds_type,
)
from lib.palindrome.config import MODELS, TrainConfig
from lib.palindrome.data import ENCODINGS
from lib.palindrome.sweep import RECIPES

DEFAULTS = TrainConfig()
SWEEP_LENGTHS = "5,10,15,20,25,30,40,50,70,100"
SWEEP_STEPS = 2000  # the budget of every run of chapter 02's sweep, LSTM and RNN alike


def _common(parser: argparse.ArgumentParser, steps: int = DEFAULTS.steps) -> None:
    """The training flags shared by ``train`` and ``sweep``; defaults come from TrainConfig."""
    d, add = DEFAULTS, parser.add_argument
    add(
        "--steps",
        type=cli.positive_int,
        default=steps,
        help=f"most training steps per run, the same for every model; early stop usually ends "
        f"sooner (default {steps})",
    )
    add(
        "--batch-size",
        type=cli.positive_int,
        default=d.batch_size,
        help=f"fresh palindromes per step (default {d.batch_size})",
    )
    add(
        "--lr",
        type=cli.positive_float,
        default=d.lr,
        help=f"RMSprop learning rate (default {d.lr})",
    )
    add(
        "--hidden",
        type=cli.positive_int,
        default=d.hidden,
        help=f"hidden size (default {d.hidden})",
    )
    add(
        "--encoding",
        choices=list(ENCODINGS),
        default=d.encoding,
        help="onehot (10 inputs, default) or scalar (the digit as one float)",
    )
    add(
        "--seed",
        type=seed_type,
        default=d.seed,
        help=f"seed of the weights, the training batches and the held-out set (default {d.seed})",
    )
    add(
        "--device",
        type=device_type,
        default=d.device,
        help="auto (CUDA when present), cpu, cuda, cuda:N or mps",
    )
    add(
        "--clip",
        type=cli.positive_float,
        default=d.clip,
        help=f"gradient-norm ceiling before each step (default {d.clip})",
    )
    add(
        "--eval-every",
        type=cli.positive_int,
        default=d.eval_every,
        help=f"steps between held-out checks (default {d.eval_every})",
    )
    add(
        "--eval-size",
        type=cli.positive_int,
        default=d.eval_size,
        help=f"held-out palindromes (default {d.eval_size})",
    )
    add(
        "--target-accuracy",
        type=cli.positive_float,
        default=d.target_accuracy,
        help=f"stop once held-out accuracy at the full length reaches this (default {d.target_accuracy})",
    )
    add(
        "--forget-bias",
        type=float,
        default=d.forget_bias,
        help=f"initial LSTM forget-gate bias (default {d.forget_bias})",
    )
    add(
        "--curriculum",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="train through growing lengths first (default: on when the length is above 30)",
    )
    add(
        "--start-length",
        type=length_type,
        default=d.start_length,
        help=f"first curriculum length (default {d.start_length})",
    )
    add(
        "--stage-lr",
        type=cli.positive_float,
        default=d.stage_lr,
        help=f"learning-rate factor at each new curriculum stage (default {d.stage_lr})",
    )
    add(
        "--threads",
        type=cli.positive_int,
        default=None,
        help="torch CPU threads (default: $DLBOOK_THREADS, else 2)",
    )


def _models_and_seeds(parser: argparse.ArgumentParser) -> None:
    """--models and --seeds, shared by ``sweep`` and ``transfer``."""
    parser.add_argument(
        "--models",
        type=models_type,
        default=list(MODELS),
        help="comma-separated models (default lstm,rnn)",
    )
    parser.add_argument(
        "--seeds",
        type=seeds_type,
        default=seeds_type("0-4"),
        help="seeds, as a range 0-4 or a list 0,1,2 (default 0-4)",
    )


def build_parser() -> cli.Parser:
    """The parser of ``python -m lib.palindrome`` with its two commands."""
    parser = cli.Parser(
        prog="python -m lib.palindrome",
        description="Train LSTMs and RNNs to complete palindromes.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=cli.Parser)
    tr = sub.add_parser(
        "train",
        help="one run; prints a JSON summary",
        description="Train one model at one length.",
    )
    tr.add_argument(
        "--model",
        choices=MODELS,
        default=DEFAULTS.model,
        help="lstm or rnn (default lstm)",
    )
    tr.add_argument(
        "--length",
        type=length_type,
        default=DEFAULTS.length,
        help=f"palindrome length T (default {DEFAULTS.length}); the curriculum starts above 30",
    )
    tr.add_argument(
        "--history",
        type=cli.output_path,
        default=None,
        help="also write the full history (JSON) here",
    )
    _common(tr)
    sw = sub.add_parser(
        "sweep",
        help="lengths x models x recipes x seeds, one JSON file per run",
        description="Train every combination; each run writes OUT/<run>.json and is "
        "skipped when that file exists, so a killed sweep resumes.",
    )
    sw.add_argument(
        "--lengths",
        type=lengths_type,
        default=lengths_type(SWEEP_LENGTHS),
        help=f"comma-separated lengths (default {SWEEP_LENGTHS})",
    )
    _models_and_seeds(sw)
    sw.add_argument(
        "--recipes",
        type=recipes_type,
        default=list(RECIPES),
        help="plain and/or curriculum (default both)",
    )
    sw.add_argument(
        "--jobs",
        type=cli.positive_int,
        default=1,
        help="runs in parallel processes, one torch thread each (default 1)",
    )
    sw.add_argument(
        "--out",
        type=folder_type,
        default=Path("results/palindrome_runs"),
        help="existing folder for the run files (default results/palindrome_runs)",
    )
    _common(sw, steps=SWEEP_STEPS)
    tf = sub.add_parser(
        "transfer",
        help="train at one length, evaluate at many, over seeds",
        description="Train each model plainly at --length for every seed, then "
        "measure its held-out accuracy at many other lengths. Resumable.",
    )
    tf.add_argument(
        "--length",
        type=length_type,
        default=DEFAULTS.length,
        help=f"length the models are trained at (default {DEFAULTS.length})",
    )
    _models_and_seeds(tf)
    tf.add_argument(
        "--size",
        type=cli.positive_int,
        default=500,
        help="held-out palindromes per evaluated length (default 500)",
    )
    tf.add_argument(
        "--out",
        type=cli.output_path,
        default=Path("results/palindrome_transfer.json"),
        help="JSON file of the study (default results/palindrome_transfer.json)",
    )
    _common(tf, steps=SWEEP_STEPS)
    return parser
