"""``python -m lib.palindrome train|evaluate|sweep|transfer``: palindrome runs from the command line.

    python -m lib.palindrome train --model lstm --length 20
    python -m lib.palindrome train --model lstm --length 100 --save lstm100.pt   # curriculum on
    python -m lib.palindrome evaluate --model-file lstm100.pt --length 100000 --size 300
    python -m lib.palindrome sweep --seeds 0-4 --jobs 2        # results/palindrome_runs/*.json
    python -m lib.palindrome transfer --seeds 0-4 --length 20

A progress bar goes to stderr; the last stdout line is one JSON object. Bad input is one stderr
line and exit status 2. The flags are defined in ``lib.palindrome.parser``.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import shlex
import sys
import time
from typing import Sequence

import torch

from lib.core import cli
from lib.core.repro import pin_threads
from lib.palindrome.checkpoint import load_model, save_model
from lib.palindrome.config import TrainConfig
from lib.palindrome.parser import build_parser
from lib.palindrome.stream import stream_accuracy
from lib.palindrome.sweep import jobs, run_jobs, save_sweep
from lib.palindrome.train import train
from lib.palindrome.transfer import study


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
        if args.save is not None:
            save_model(history.model, config, args.save, history.summary())
        cli.print_summary(history.summary())
        return 0
    if args.command == "evaluate":
        return _evaluate(args)
    if args.command == "transfer":
        return _transfer(args, argv)
    return _sweep(args, argv)


def _evaluate(args: argparse.Namespace) -> int:
    """A saved model on held-out palindromes of ``--length``, streamed one step at a time."""
    start = time.perf_counter()
    model, config, _ = load_model(args.model_file, args.device)
    seed = config.seed if args.seed is None else args.seed
    accuracy = stream_accuracy(model, args.length, args.size, seed, config.encoding)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    cli.print_summary(
        {
            "accuracy": accuracy,
            "length": args.length,
            "size": args.size,
            "seed": seed,
            "model": config.model,
            "trained_at": config.length,
            "seconds": round(time.perf_counter() - start, 2),
            "peak_rss_mb": round(peak / 1024),
        }
    )
    return 0


def _transfer(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    base = config_from(args, model=args.models[0])
    runs = study(
        base,
        args.models,
        args.seeds,
        args.length,
        args.out,
        _command_line(argv),
        size=args.size,
        lengths=args.at,
        memory_at=args.memory_at,
    )
    cli.print_summary(
        {"out": str(args.out), "runs": len(runs), "trained_at": args.length}
    )
    return 0


def _command_line(argv: Sequence[str] | None) -> str:
    """The command as typed, recorded next to the results it made."""
    return shlex.join(
        ["python", "-m", "lib.palindrome", *(sys.argv[1:] if argv is None else argv)]
    )


def _sweep(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    base = config_from(args, model=args.models[0], length=args.lengths[0])
    todo = jobs(args.lengths, args.models, args.seeds, args.recipes)
    done = run_jobs(
        todo,
        base,
        args.out,
        _command_line(argv),
        n_jobs=args.jobs,
        backend=args.backend,
        scheduler=args.scheduler,
    )
    cli.print_summary(
        {
            "out": str(args.out),
            "runs": len(todo),
            "trained": len(done),
            "skipped": len(todo) - len(done),
        }
    )
    return 0


if __name__ == "__main__":
    cli.run(main)
