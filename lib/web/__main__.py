"""``python -m lib.web export``: the weights of the book's live pages (chapters 02 and 04).

python -m lib.web export               (both models into book/_extra/web/)
python -m lib.web export --only gan    (chapter 03's cached generator; trains it when missing)
python -m lib.web export --only lstm --seed 1

The book ships what this writes: commit the two scripts after running it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Sequence

from lib.core.cli import Parser, add_common, non_negative_int, print_summary, run
from lib.core.paths import web_dir
from lib.core.repro import pin_threads
from lib.web import generator as gan_web
from lib.web import lstm as lstm_web
from lib.web.encode import write_script

OUT = web_dir()
FILES = {"gan": "gan_model.js", "lstm": "lstm_model.js"}


def _parser() -> Parser:
    parser = Parser(prog="python -m lib.web", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ex = commands.add_parser("export", help="write the models' scripts for the book")
    ex.error = parser.error  # type: ignore[method-assign]
    ex.add_argument("--only", choices=tuple(FILES), default=None, help="one model only")
    ex.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of the LSTM (default 0)"
    )
    ex.add_argument("--out", type=Path, default=OUT, help=f"folder (default {OUT})")
    add_common(ex, data=True)
    return parser


def export_gan(args) -> dict:
    from lib.gan import default_generator
    from lib.mnist.classifier import get_classifier

    generator = default_generator(args.root, args.cache, args.device)
    classifier = get_classifier(args.root, args.cache, args.device)
    payload = gan_web.export_payload(generator, classifier.cpu())
    path = write_script(args.out / FILES["gan"], "gan", payload)
    return {"file": str(path), "bytes": path.stat().st_size, **payload["int8_error"]}


def export_lstm(args) -> dict:
    config = dataclasses.replace(lstm_web.CONFIG, seed=args.seed)
    payload = lstm_web.export_payload(lstm_web.trained(config), config)
    path = write_script(args.out / FILES["lstm"], "lstm", payload)
    return {"file": str(path), "bytes": path.stat().st_size, **payload["trained"]}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    pin_threads()
    summary = {}
    if args.only in (None, "gan"):
        summary["gan"] = export_gan(args)
    if args.only in (None, "lstm"):
        summary["lstm"] = export_lstm(args)
    print_summary(summary)
    return 0


if __name__ == "__main__":
    run(main)
