"""The parser of ``python -m lib.palindrome`` (chapter 02): every flag, with its help.

Defaults come from ``TrainConfig``; the sweep's budget and lengths are those of chapter 02.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lib.core import cli
from lib.core.flags import add_config_flags
from lib.core.paths import results_dir
from lib.palindrome.args import (
    device_type,
    folder_type,
    length_type,
    lengths_type,
    models_type,
    recipes_type,
)
from lib.palindrome.config import MODELS, TrainConfig
from lib.palindrome.data import ENCODINGS
from lib.palindrome.sweep import BACKENDS, RECIPES
from lib.palindrome.transfer import LENGTHS as TRANSFER_LENGTHS

DEFAULTS = TrainConfig()
SWEEP_LENGTHS = "5,10,15,20,25,30,40,50,70,100"
TRANSFER_AT = ",".join(map(str, TRANSFER_LENGTHS))
SWEEP_STEPS = 2000  # the budget of every run of chapter 02's sweep, LSTM and RNN alike


# TrainConfig's fields that every command takes as flags (train adds --model and --length).
COMMON = (
    "steps batch_size lr hidden encoding seed device clip eval_every eval_size "
    "target_accuracy forget_bias curriculum start_length stage_lr probe_from"
).split()
TYPES = {
    "model": MODELS,
    "length": length_type,
    "encoding": tuple(ENCODINGS),
    "seed": cli.non_negative_int,
    "device": device_type,
    "forget_bias": float,
    "start_length": length_type,
    "probe_from": length_type,
}


def _common(parser: argparse.ArgumentParser, steps: int = DEFAULTS.steps) -> None:
    """The training flags shared by every command, made from TrainConfig's fields."""
    add_config_flags(parser, DEFAULTS, COMMON, TYPES, {"steps": steps})
    _threads(parser)


def _threads(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads",
        type=cli.positive_int,
        default=None,
        help="torch CPU threads (default: $DLBOOK_THREADS, else 2)",
    )


def _listed(parser: argparse.ArgumentParser, flag: str, kind, default: str, text: str):
    """A flag that takes a list, with its default written as the reader would type it."""
    parser.add_argument(
        flag, type=kind, default=kind(default), help=f"{text} (default {default})"
    )


def _out(parser: argparse.ArgumentParser, kind, name: str, text: str) -> None:
    """--out, by default ``name`` in the repository's results folder."""
    parser.add_argument(
        "--out",
        type=kind,
        default=results_dir() / name,
        help=f"{text} (default results/{name})",
    )


def _models_and_seeds(parser: argparse.ArgumentParser) -> None:
    """--models and --seeds, shared by ``sweep`` and ``transfer``."""
    _listed(parser, "--models", models_type, "lstm,rnn", "comma-separated models")
    _listed(
        parser, "--seeds", cli.seed_list, "0-4", "a range 0-4, a list 0,1,2 or both"
    )


def _evaluate(sub) -> None:
    """The ``evaluate`` command: a saved model on held-out palindromes of any length."""
    ev = sub.add_parser(
        "evaluate",
        help="a saved model at any length, streamed; prints a JSON summary",
        description="Evaluate a model saved by `train --save` on held-out palindromes "
        "of --length digits, one step at a time (memory does not hold T steps).",
    )
    ev.add_argument(
        "--model-file", type=Path, required=True, help="a file written by train --save"
    )
    ev.add_argument("--length", type=length_type, required=True, help="T, digits")
    ev.add_argument(
        "--size",
        type=cli.positive_int,
        default=DEFAULTS.eval_size,
        help=f"held-out palindromes (default {DEFAULTS.eval_size})",
    )
    ev.add_argument(
        "--seed",
        type=cli.non_negative_int,
        help="held-out stream of this seed (default: the model's training seed)",
    )
    ev.add_argument(
        "--device", type=device_type, default="cpu", help="cpu (default), cuda ..."
    )
    _threads(ev)


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
    add_config_flags(tr, DEFAULTS, ("model", "length"), TYPES)
    tr.add_argument(
        "--history",
        type=cli.output_path,
        default=None,
        help="also write the full history (JSON) here",
    )
    tr.add_argument(
        "--save",
        type=cli.output_path,
        default=None,
        metavar="FILE",
        help="also write the trained model here (for `evaluate --model-file`)",
    )
    _common(tr)
    _evaluate(sub)
    sw = sub.add_parser(
        "sweep",
        help="lengths x models x recipes x seeds, one JSON file per run",
        description="Train every combination; each run writes OUT/<run>.json and is "
        "skipped when that file exists, so a killed sweep resumes.",
    )
    _listed(sw, "--lengths", lengths_type, SWEEP_LENGTHS, "comma-separated lengths")
    _models_and_seeds(sw)
    _listed(sw, "--recipes", recipes_type, ",".join(RECIPES), "plain and/or curriculum")
    sw.add_argument(
        "--jobs",
        type=cli.positive_int,
        default=1,
        help="runs in parallel processes, one torch thread each (default 1; "
        "local backend only)",
    )
    sw.add_argument(
        "--backend",
        choices=BACKENDS,
        default="local",
        help="local: --jobs processes on this machine; dask: the workers of the Dask "
        "scheduler at --scheduler, one torch thread each, all writing to --out, "
        "which must be a folder they all see: a shared filesystem (default local)",
    )
    sw.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="address of a running `dask scheduler`, e.g. tcp://HOST:8786 "
        "(needed with --backend dask)",
    )
    _out(sw, folder_type, "palindrome_runs", "existing folder for the run files")
    _common(sw, steps=SWEEP_STEPS)
    tf = sub.add_parser(
        "transfer",
        help="train at one length, evaluate at many, over seeds",
        description="Train each model at --length for every seed (plainly, or with "
        "--curriculum), then measure its held-out accuracy at many other lengths, "
        "streaming the long ones. Resumable.",
    )
    add_config_flags(tf, DEFAULTS, ("length",), TYPES)
    _models_and_seeds(tf)
    _listed(
        tf, "--at", lengths_type, TRANSFER_AT, "comma-separated lengths to evaluate"
    )
    tf.add_argument(
        "--size",
        type=cli.positive_int,
        default=500,
        help="held-out palindromes per evaluated length (default 500)",
    )
    tf.add_argument(
        "--memory-at",
        type=length_type,
        default=None,
        help="also stream --size palindromes of this length and record, per hidden unit, how "
        "much of the state the first digit explains over time and the LSTM's forget gates "
        "(lib.palindrome.memory; default: off)",
    )
    _out(tf, cli.output_path, "palindrome_transfer.json", "JSON file of the study")
    _common(tf, steps=SWEEP_STEPS)
    return parser
