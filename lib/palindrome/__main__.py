"""``python -m lib.palindrome train|sweep``: palindrome runs from the command line.

    python -m lib.palindrome train --model lstm --length 20
    python -m lib.palindrome train --model lstm --length 100          # curriculum switched on by itself
    python -m lib.palindrome sweep --seeds 0-4 --jobs 2      # writes results/palindrome_runs/*.json
    python -m lib.palindrome transfer --seeds 0-4 --length 20

A progress bar goes to stderr; the last stdout line is one JSON object. Bad input is one stderr line
and exit status 2.
"""
from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from pathlib import Path
from typing import Sequence

import torch

from lib.core import cli
from lib.core.device import pick_device
from lib.palindrome.data import ENCODINGS
from lib.palindrome.sweep import RECIPES, jobs, run_jobs, save_sweep
from lib.palindrome.train import MODELS, TrainConfig, train
from lib.palindrome.transfer import study
from lib.core.repro import pin_threads

DEFAULTS = TrainConfig()
SWEEP_LENGTHS = "5,10,15,20,25,30,40,50,70,100"
SWEEP_STEPS = 2000  # the budget of every run of chapter 02's sweep, LSTM and RNN alike


def length_type(text: str) -> int:
    """argparse type: a palindrome length, a whole number of at least 2."""
    return cli.whole_number(text, 2, "{value} is too short: a palindrome needs at least 2 digits")


def device_type(text: str) -> str:
    """argparse type: a device name that this machine has."""
    try:
        pick_device(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def seed_type(text: str) -> int:
    """argparse type: a seed, a whole number of at least 0."""
    return cli.whole_number(text, 0, "{value} is negative: seeds start at 0")


def folder_type(text: str) -> Path:
    """argparse type: an existing folder."""
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"folder {text!r} does not exist: create it first")
    return Path(text)


def name_type(text: str) -> str:
    """argparse type: a plain file stem (letters, digits, '_', '-', '.')."""
    if not text or not all(ch.isalnum() or ch in "_-." for ch in text) or text.startswith("."):
        raise argparse.ArgumentTypeError(f"{text!r} is not a plain file name (use letters, digits, _ - .)")
    return text


def lengths_type(text: str) -> list[int]:
    """argparse type: comma-separated lengths, e.g. 5,10,20."""
    return [length_type(part) for part in text.split(",") if part.strip()] or [length_type("")]


def seeds_type(text: str) -> list[int]:
    """argparse type: seeds as a range ``0-4`` or a list ``0,1,2``."""
    first, dash, last = text.partition("-")
    if dash and first.strip():
        low, high = seed_type(first), seed_type(last)
        if high < low:
            raise argparse.ArgumentTypeError(f"seed range {text!r} is empty: write low-high")
        return list(range(low, high + 1))
    seeds = [seed_type(part) for part in text.split(",") if part.strip()]
    if not seeds:
        raise argparse.ArgumentTypeError(f"no seeds in {text!r}: write e.g. 0-4 or 0,1,2")
    return sorted(set(seeds))


def _names(kind: str, allowed: tuple[str, ...]):
    """An argparse type for comma-separated names out of ``allowed``, e.g. lstm,rnn."""

    def parse(text: str) -> list[str]:
        names = [part.strip() for part in text.split(",") if part.strip()]
        bad = [n for n in names if n not in allowed] or ([] if names else [text])
        if bad:
            raise argparse.ArgumentTypeError(
                f"unknown {kind} {bad[0]!r}: use {' and/or '.join(allowed)}")
        return names

    return parse


models_type = _names("model", MODELS)
recipes_type = _names("recipe", RECIPES)


def _common(parser: argparse.ArgumentParser, steps: int = DEFAULTS.steps) -> None:
    """The training flags shared by ``train`` and ``sweep``; defaults come from TrainConfig."""
    d, add = DEFAULTS, parser.add_argument
    add("--steps", type=cli.positive_int, default=steps,
        help=f"most training steps per run, the same for every model; early stop usually ends "
        f"sooner (default {steps})")
    add("--batch-size", type=cli.positive_int, default=d.batch_size,
        help=f"fresh palindromes per step (default {d.batch_size})")
    add("--lr", type=cli.positive_float, default=d.lr, help=f"RMSprop learning rate (default {d.lr})")
    add("--hidden", type=cli.positive_int, default=d.hidden, help=f"hidden size (default {d.hidden})")
    add("--encoding", choices=list(ENCODINGS), default=d.encoding,
        help="onehot (10 inputs, default) or scalar (the digit as one float)")
    add("--seed", type=seed_type, default=d.seed,
        help=f"seed of the weights, the training batches and the held-out set (default {d.seed})")
    add("--device", type=device_type, default=d.device, help="auto (CUDA when present), cpu, cuda, cuda:N or mps")
    add("--clip", type=cli.positive_float, default=d.clip,
        help=f"gradient-norm ceiling before each step (default {d.clip})")
    add("--eval-every", type=cli.positive_int, default=d.eval_every,
        help=f"steps between held-out checks (default {d.eval_every})")
    add("--eval-size", type=cli.positive_int, default=d.eval_size,
        help=f"held-out palindromes (default {d.eval_size})")
    add("--target-accuracy", type=cli.positive_float, default=d.target_accuracy,
        help=f"stop once held-out accuracy at the full length reaches this (default {d.target_accuracy})")
    add("--forget-bias", type=float, default=d.forget_bias,
        help=f"initial LSTM forget-gate bias (default {d.forget_bias})")
    add("--curriculum", action=argparse.BooleanOptionalAction, default=None,
        help="train through growing lengths first (default: on when the length is above 30)")
    add("--start-length", type=length_type, default=d.start_length,
        help=f"first curriculum length (default {d.start_length})")
    add("--stage-lr", type=cli.positive_float, default=d.stage_lr,
        help=f"learning-rate factor at each new curriculum stage (default {d.stage_lr})")
    add("--threads", type=cli.positive_int, default=None, help="torch CPU threads (default: $DLBOOK_THREADS, else 2)")


def build_parser() -> cli.Parser:
    """The parser of ``python -m lib.palindrome`` with its two commands."""
    parser = cli.Parser(prog="python -m lib.palindrome",
                        description="Train LSTMs and RNNs to complete palindromes.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=cli.Parser)
    tr = sub.add_parser("train", help="one run; prints a JSON summary", description="Train one model at one length.")
    tr.add_argument("--model", choices=MODELS, default=DEFAULTS.model, help="lstm or rnn (default lstm)")
    tr.add_argument("--length", type=length_type, default=DEFAULTS.length,
                    help=f"palindrome length T (default {DEFAULTS.length}); the curriculum starts above 30")
    tr.add_argument("--history", type=cli.output_path, default=None, help="also write the full history (JSON) here")
    _common(tr)
    sw = sub.add_parser("sweep", help="lengths x models x recipes x seeds, one JSON file per run",
                        description="Train every combination; each run writes OUT/<run>.json and is "
                        "skipped when that file exists, so a killed sweep resumes.")
    sw.add_argument("--lengths", type=lengths_type, default=lengths_type(SWEEP_LENGTHS),
                    help=f"comma-separated lengths (default {SWEEP_LENGTHS})")
    sw.add_argument("--models", type=models_type, default=list(MODELS),
                    help="comma-separated models (default lstm,rnn)")
    sw.add_argument("--seeds", type=seeds_type, default=seeds_type("0-4"),
                    help="seeds, as a range 0-4 or a list 0,1,2 (default 0-4)")
    sw.add_argument("--recipes", type=recipes_type, default=list(RECIPES),
                    help="plain and/or curriculum (default both)")
    sw.add_argument("--jobs", type=cli.positive_int, default=1,
                    help="runs in parallel processes, one torch thread each (default 1)")
    sw.add_argument("--out", type=folder_type, default=Path("results/palindrome_runs"),
                    help="existing folder for the run files (default results/palindrome_runs)")
    _common(sw, steps=SWEEP_STEPS)
    tf = sub.add_parser("transfer", help="train at one length, evaluate at many, over seeds",
                        description="Train each model plainly at --length for every seed, then "
                        "measure its held-out accuracy at many other lengths. Resumable.")
    tf.add_argument("--length", type=length_type, default=DEFAULTS.length,
                    help=f"length the models are trained at (default {DEFAULTS.length})")
    tf.add_argument("--models", type=models_type, default=list(MODELS),
                    help="comma-separated models (default lstm,rnn)")
    tf.add_argument("--seeds", type=seeds_type, default=seeds_type("0-4"),
                    help="seeds, as a range 0-4 or a list 0,1,2 (default 0-4)")
    tf.add_argument("--size", type=cli.positive_int, default=500,
                    help="held-out palindromes per evaluated length (default 500)")
    tf.add_argument("--out", type=cli.output_path,
                    default=Path("results/palindrome_transfer.json"),
                    help="JSON file of the study (default results/palindrome_transfer.json)")
    _common(tf, steps=SWEEP_STEPS)
    return parser


def config_from(args: argparse.Namespace, **override) -> TrainConfig:
    """The TrainConfig named by the parsed flags, with ``override`` on top."""
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    values = {k: v for k, v in vars(args).items() if k in fields}
    return TrainConfig(**{**values, **override})


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.threads is None:
        pin_threads()
    else:  # an explicit flag beats the DLBOOK_THREADS environment variable
        torch.set_num_threads(args.threads)
    if args.command == "train":
        config = config_from(args)
        history = train(config)
        if args.history is not None:
            save_sweep([history.to_dict()], args.history, command=_command_line(argv))
        cli.print_summary(history.summary())
        return 0
    if args.command == "transfer":
        return _transfer(args, argv)
    return _sweep(args, argv)


def _transfer(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    base = config_from(args, model=args.models[0])
    runs = study(base, args.models, args.seeds, args.length, args.out, _command_line(argv),
                 size=args.size)
    cli.print_summary({"out": str(args.out), "runs": len(runs), "trained_at": args.length})
    return 0


def _command_line(argv: Sequence[str] | None) -> str:
    """The command as typed, recorded next to the results it made."""
    return shlex.join(["python", "-m", "lib.palindrome", *(sys.argv[1:] if argv is None else argv)])


def _sweep(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    base = config_from(args, model=args.models[0], length=args.lengths[0])
    todo = jobs(args.lengths, args.models, args.seeds, args.recipes)
    done = run_jobs(todo, base, args.out, _command_line(argv), n_jobs=args.jobs)
    cli.print_summary({"out": str(args.out), "runs": len(todo), "trained": len(done),
                       "skipped": len(todo) - len(done)})
    return 0


if __name__ == "__main__":
    cli.run(main)
