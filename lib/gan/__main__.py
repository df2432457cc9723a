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
import time
from pathlib import Path
from typing import Sequence

import torch

from lib.core.cli import Parser, existing_file, output_path, positive_int, print_summary, run
from lib.core.device import pick_device
from lib.gan import train_cli
from lib.gan.args import add_common, digit, non_negative_int, seed_list
from lib.gan.checkpoints import load_generator
from lib.gan.interpolate import METHODS, digit_probabilities, latent_path, pick_endpoints
from lib.gan.models import sample
from lib.gan.snapshots import save_grid


def _seeds_parser(commands) -> None:
    p = commands.add_parser("seeds", help="train chapter 03's recipe once per seed and score every run",
                            description="Train lib.gan.DEFAULT_CONFIG once per seed (or load it from the cache), "
                                        "score it as chapter 03 does (FID, floor, classes, D's verdicts, FID over "
                                        "training; chapter 04's pairs), and rewrite --out after every seed. Seeds "
                                        "already in --out are skipped, so a killed run continues where it stopped.")
    p.add_argument("--seeds", type=seed_list, default=(0, 1, 2),
                   help="seeds to train: a range 0-2, a list 0,1,2, or both as in 0-2,5 (default 0-2)")
    p.add_argument("--out", type=output_path, default=None,
                   help="results JSON, its folder must exist (default results/gan_seeds.json in the repository)")
    p.add_argument("--threads", type=positive_int, default=1,
                   help="torch threads for training and scoring (default 1, for a batch job beside other work; "
                        "cached runs are keyed by it, so chapter 03's 2-thread run is reused only with 2)")
    p.add_argument("--samples", type=positive_int, default=2000,
                   help="generated digits scored per seed (default 2000, as chapter 03)")
    add_common(p, data=True)


def _parser() -> Parser:
    parser = Parser(prog="python -m lib.gan", description=__doc__.splitlines()[0],
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    train_cli.add_parser(commands)
    _seeds_parser(commands)
    s = commands.add_parser("sample", help="write a grid of generated digits",
                            description="Write a grid of digits generated from a checkpoint.")
    s.add_argument("--checkpoint", type=existing_file, required=True, help="mnist_generator.pt or checkpoint.pt")
    s.add_argument("--out", type=output_path, required=True, help="PNG file to write (its folder must exist)")
    s.add_argument("--count", type=positive_int, default=25, help="how many digits (default 25, a 5×5 grid)")
    s.add_argument("--seed", type=non_negative_int, default=0, help="seed of the noise (default 0)")
    add_common(s)
    i = commands.add_parser("interpolate", help="write a strip of digits from one digit to another",
                            description="Write steps + 2 images from --from-digit to --to-digit; the endpoints are "
                                        "the generated images the classifier labels most confidently as those digits.")
    i.add_argument("--checkpoint", type=existing_file, required=True, help="mnist_generator.pt or checkpoint.pt")
    i.add_argument("--from-digit", type=digit, required=True, help="digit 0-9 at the left end (x = n)")
    i.add_argument("--to-digit", type=digit, required=True, help="digit 0-9 at the right end (x = 0)")
    i.add_argument("--steps", type=positive_int, default=7, help="images between the two endpoints (default 7: 9 in all)")
    i.add_argument("--method", choices=METHODS, default="linear", help="linear (the reports) or spherical (slerp)")
    i.add_argument("--seed", type=non_negative_int, default=0, help="seed of the candidate noise vectors (default 0)")
    i.add_argument("--out", type=output_path, required=True, help="PNG file to write (its folder must exist)")
    add_common(i, data=True)
    e = commands.add_parser("evaluate", help="print FID, the real-vs-real floor and class counts as JSON",
                            description="Score a generator with the MNIST classifier: FID of generated digits "
                                        "against the test split, the train-vs-test floor, and class counts.")
    e.add_argument("--checkpoint", type=existing_file, required=True, help="mnist_generator.pt or checkpoint.pt")
    e.add_argument("--samples", type=positive_int, default=2000, help="generated digits to score (default 2000)")
    e.add_argument("--seed", type=non_negative_int, default=0, help="seed of the noise (default 0)")
    add_common(e, data=True)
    return parser


def cmd_sample(args) -> dict:
    generator, config = load_generator(args.checkpoint, device=args.device)
    images = sample(generator, args.count, rng=torch.Generator().manual_seed(args.seed))  # (count, 1, 28, 28)
    save_grid(images, args.out, nrow=max(1, round(args.count ** 0.5)))
    return {"command": "sample", "checkpoint": str(args.checkpoint), "count": args.count, "out": str(args.out)}


def cmd_interpolate(args) -> dict:
    from lib.mnist.classifier import get_classifier

    generator, _ = load_generator(args.checkpoint, device=args.device)  # bad checkpoints fail before training
    classifier = get_classifier(args.root, args.cache, args.device)
    begin, end = pick_endpoints(generator, classifier, args.from_digit, args.to_digit, seed=args.seed, strict=False)
    images = sample(generator, args.steps + 2, z=latent_path(begin, end, args.steps, args.method))
    probs = digit_probabilities(classifier, images)  # (steps + 2, 10)
    save_grid(images, args.out, nrow=len(images))
    labelled = [probs[0].argmax().item() == args.from_digit, probs[-1].argmax().item() == args.to_digit]
    if not all(labelled):
        missing = [d for d, ok in zip((args.from_digit, args.to_digit), labelled) if not ok]
        print(f"warning: this generator draws no image the classifier labels {missing} (among 16,000 tried); "
              f"the strip uses the closest ones instead: train longer", file=sys.stderr)
    return {"command": "interpolate", "from_digit": args.from_digit, "to_digit": args.to_digit,
            "steps": args.steps, "images": len(images), "method": args.method, "out": str(args.out),
            "labels": probs.argmax(dim=1).tolist(), "endpoints_labelled": labelled,
            "endpoint_confidence": [round(probs[0, args.from_digit].item(), 4), round(probs[-1, args.to_digit].item(), 4)]}


def cmd_evaluate(args) -> dict:
    from lib.mnist.classifier import get_classifier
    from lib.gan.evaluate import evaluate_generator

    generator, config = load_generator(args.checkpoint, device=args.device)
    classifier = get_classifier(args.root, args.cache, args.device)
    scores = evaluate_generator(generator, classifier, args.root, args.samples, args.seed)
    return {"command": "evaluate", "checkpoint": str(args.checkpoint), **scores}


def cmd_seeds(args) -> dict:
    from lib.core.paths import results_dir
    from lib.gan.seeds import RESULTS_FILE, SeedsConfig, run_seeds

    pick_device(args.device)  # an unknown or missing device fails before anything is written
    job = SeedsConfig(seeds=args.seeds, out=args.out or results_dir() / RESULTS_FILE, root=Path(args.root),
                      cache=Path(args.cache), device=args.device, threads=args.threads, samples=args.samples,
                      command=args.command_line)
    start = time.perf_counter()
    try:
        results = run_seeds(job)
    except KeyboardInterrupt:
        print(f"python -m lib.gan seeds: interrupted; {str(job.out)!r} keeps every finished seed: "
              f"rerun the same command to train the rest", file=sys.stderr, flush=True)
        raise SystemExit(130) from None
    stats = results["summary"]
    return {"command": "seeds", "out": str(job.out), "trained": results["trained"], "skipped": results["skipped"],
            "seeds": [entry["seed"] for entry in results["seeds"]], "seconds": round(time.perf_counter() - start, 1),
            **{name: stats[name] for name in ("fid", "real_floor", "classes_present", "evenness")}}


COMMANDS = {"train": train_cli.run, "sample": cmd_sample, "interpolate": cmd_interpolate, "evaluate": cmd_evaluate,
            "seeds": cmd_seeds}


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
