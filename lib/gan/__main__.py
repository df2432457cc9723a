"""``python -m lib.gan``: train the GAN, sample from it, interpolate between digits, evaluate it.

    python -m lib.gan train --epochs 40 --out runs/gan          (the reports' setting: --epochs 200)
    python -m lib.gan train --epochs 40 --out runs/gan --resume (continue an interrupted run)
    python -m lib.gan sample --checkpoint runs/gan/mnist_generator.pt --out grid.png
    python -m lib.gan interpolate --checkpoint runs/gan/mnist_generator.pt --from-digit 3 --to-digit 4 \\
        --steps 7 --out strip.png
    python -m lib.gan evaluate --checkpoint runs/gan/mnist_generator.pt
    python -m lib.gan seeds --seeds 0-2          (chapter 03's recipe per seed: results/gan_seeds.json)

Bad input (a digit outside 0-9, --steps 0, a checkpoint of another model, a missing or truncated
file, an output folder that does not exist) is one line on stderr and exit status 2, before anything
is written. The last stdout line is a JSON summary.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Sequence

from lib.core.cli import Parser, print_summary, run
from lib.gan import evaluate_cli, interpolate_cli, sample_cli, seeds_cli, train_cli

# Each subcommand's module, in help order: its HELP line and DESCRIPTION, ``add_flags(parser)`` and
# ``run(args) -> summary``.
SUBCOMMANDS = {
    "train": train_cli,
    "seeds": seeds_cli,
    "sample": sample_cli,
    "interpolate": interpolate_cli,
    "evaluate": evaluate_cli,
}
COMMANDS = {name: module.run for name, module in SUBCOMMANDS.items()}


def _parser() -> Parser:
    parser = Parser(
        prog="python -m lib.gan",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )
    for name, module in SUBCOMMANDS.items():
        p = commands.add_parser(name, help=module.HELP, description=module.DESCRIPTION)
        module.add_flags(p)
    return parser


def _resolve_folders(args) -> None:
    """Folders left at their default become the book's (``lib.core.paths``): DLBOOK_DATA, DLBOOK_CACHE."""
    from lib.core.paths import cache_dir, data_dir

    if getattr(args, "root", "") is None:
        args.root = data_dir()
    if getattr(args, "cache", "") is None:
        args.cache = cache_dir()


def main(argv: Sequence[str] | None = None) -> int:
    from lib.core.repro import pin_threads

    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    args.command_line = shlex.join(["python", "-m", "lib.gan", *map(str, argv)])
    _resolve_folders(args)
    pin_threads()
    print_summary(COMMANDS[args.command](args))
    return 0


if __name__ == "__main__":
    run(main)
