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
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Sequence

import torch

from lib.core.cli import (Parser, existing_file, output_path, positive_float, positive_int, print_summary,
                     require_folder, run)
from lib.core.device import pick_device
from lib.gan.cache import DEFAULT_CONFIG
from lib.gan.checkpoints import load_generator, load_state, save_generator, save_state
from lib.gan.config import GANConfig
from lib.gan.interpolate import METHODS, digit_probabilities, latent_path, pick_endpoints
from lib.gan.models import sample
from lib.gan.snapshots import save_grid
from lib.gan.train import SNAPSHOT_NAMES, epoch_means, new_state, train

CHECKPOINT = "checkpoint.pt"
GENERATOR_FILE = "mnist_generator.pt"
# Flags of `train` that define the run; with --resume they must agree with the checkpoint's config.
RUN_FLAGS = ("epochs", "seed", "betas", "lr", "batch_size", "label_smoothing", "g_steps", "track_every")


def digit(text: str) -> int:
    """argparse type: a digit 0..9."""
    if not text.strip().isdigit() or int(text) > 9:
        raise argparse.ArgumentTypeError(f"{text!r} is not a digit from 0 to 9")
    return int(text)


def unit_interval(text: str) -> float:
    """argparse type: a number in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be in [0, 1)")
    return value


def non_negative_int(text: str) -> int:
    return 0 if text.strip() == "0" else positive_int(text)


ROOT_HELP = "folder with the prepared MNIST (`make data`; default $DLBOOK_DATA, else <repo>/data)"


def _add_common(p: argparse.ArgumentParser, data: bool = False) -> None:
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:N or mps")
    if data:
        p.add_argument("--root", default=None, help=ROOT_HELP)
        p.add_argument("--cache", default=None,
                       help="folder of cached models such as the classifier (default $DLBOOK_CACHE, else <repo>/cache)")


def seed_list(text: str) -> tuple[int, ...]:
    """argparse type: seeds as a range 0-2, a list 0,1,2, or both."""
    from lib.gan.seeds import parse_seeds

    try:
        return parse_seeds(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _train_parser(commands) -> None:
    p = commands.add_parser("train", help="train the GAN, writing snapshots and checkpoints to --out",
                            description="Train the GAN; after every epoch write DIR/checkpoint.pt, at the end the "
                                        "begin/middle/final grids and DIR/mnist_generator.pt.")
    p.add_argument("--out", required=True, help="folder for the run (created if its parent exists)")
    p.add_argument("--epochs", type=positive_int, default=None,
                   help=f"passes over the training digits (default {DEFAULT_CONFIG.epochs}; the reports used 200)")
    p.add_argument("--seed", type=non_negative_int, default=None, help="seed of weights, data order and noise (default 0)")
    p.add_argument("--betas", type=unit_interval, nargs=2, default=None, metavar=("B1", "B2"),
                   help=f"Adam betas (default {DEFAULT_CONFIG.betas[0]} {DEFAULT_CONFIG.betas[1]}; "
                        "the reports' recipe is 0.9 0.999)")
    p.add_argument("--lr", type=positive_float, default=None, help=f"Adam learning rate (default {DEFAULT_CONFIG.lr})")
    p.add_argument("--batch-size", type=positive_int, default=None,
                   help=f"digits per step (default {DEFAULT_CONFIG.batch_size})")
    p.add_argument("--label-smoothing", type=unit_interval, default=None,
                   help="one-sided label smoothing: D's target for real digits is 1 - this "
                        f"(default {DEFAULT_CONFIG.label_smoothing}; the reports used 0)")
    p.add_argument("--g-steps", type=positive_int, default=None,
                   help=f"generator updates per discriminator update (default {DEFAULT_CONFIG.g_steps}; "
                        "the reports used 1)")
    p.add_argument("--track-every", type=non_negative_int, default=None,
                   help="keep 1,000 samples from fixed noise every N epochs for FID over training (default 0: off)")
    p.add_argument("--resume", action="store_true", help="continue the interrupted run in --out from its checkpoint")
    _add_common(p)
    p.add_argument("--root", default=None, help=ROOT_HELP)


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
    _add_common(p, data=True)


def _parser() -> Parser:
    parser = Parser(prog="python -m lib.gan", description=__doc__.splitlines()[0],
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    _train_parser(commands)
    _seeds_parser(commands)
    s = commands.add_parser("sample", help="write a grid of generated digits",
                            description="Write a grid of digits generated from a checkpoint.")
    s.add_argument("--checkpoint", type=existing_file, required=True, help="mnist_generator.pt or checkpoint.pt")
    s.add_argument("--out", type=output_path, required=True, help="PNG file to write (its folder must exist)")
    s.add_argument("--count", type=positive_int, default=25, help="how many digits (default 25, a 5×5 grid)")
    s.add_argument("--seed", type=non_negative_int, default=0, help="seed of the noise (default 0)")
    _add_common(s)
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
    _add_common(i, data=True)
    e = commands.add_parser("evaluate", help="print FID, the real-vs-real floor and class counts as JSON",
                            description="Score a generator with the MNIST classifier: FID of generated digits "
                                        "against the test split, the train-vs-test floor, and class counts.")
    e.add_argument("--checkpoint", type=existing_file, required=True, help="mnist_generator.pt or checkpoint.pt")
    e.add_argument("--samples", type=positive_int, default=2000, help="generated digits to score (default 2000)")
    e.add_argument("--seed", type=non_negative_int, default=0, help="seed of the noise (default 0)")
    _add_common(e, data=True)
    return parser


def _config_from_args(args) -> GANConfig:
    given = {name: getattr(args, name) for name in RUN_FLAGS if getattr(args, name) is not None}
    if "betas" in given:
        given["betas"] = tuple(given["betas"])
    fields = {**DEFAULT_CONFIG.to_dict(), "track_every": 0, **given, "device": args.device}
    return GANConfig.from_dict(fields)


def _resume_state(args, checkpoint: Path):
    if not checkpoint.is_file():
        raise FileNotFoundError(f"nothing to resume: no {CHECKPOINT} in {str(checkpoint.parent)!r} (drop --resume)")
    state, _ = load_state(checkpoint, device=args.device)
    for name in RUN_FLAGS:
        wanted, saved = getattr(args, name), getattr(state.config, name)
        if wanted is not None and (tuple(wanted) if name == "betas" else wanted) != saved:
            raise ValueError(f"--{name.replace('_', '-')} {wanted} differs from the interrupted run's {saved}: "
                             f"drop the flag to resume, or start a new run in another --out")
    return state


def _prepare_out(out: Path, resume: bool) -> Path:
    require_folder(out.parent)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file; give a folder")
    checkpoint = out / CHECKPOINT
    if not resume and checkpoint.exists():
        raise ValueError(f"{str(out)!r} already holds a run ({CHECKPOINT}): add --resume to continue it, "
                         f"or choose another --out")
    return checkpoint


def cmd_train(args) -> dict:
    from lib.mnist import mnist_tensors, source_info

    pick_device(args.device)  # an unknown or missing device fails before anything is written
    out = Path(args.out)
    checkpoint = _prepare_out(out, args.resume)
    state = _resume_state(args, checkpoint) if args.resume else new_state(_config_from_args(args))
    images, _ = mnist_tensors(args.root, train=True)  # raises with what to run when the data is missing
    info = source_info(args.root)
    out.mkdir(exist_ok=True)
    for stale in out.glob(f".{CHECKPOINT}.*.tmp"):  # left by a run killed while writing; never the checkpoint
        stale.unlink()
    resumed_from = state.epoch
    start = time.perf_counter()
    train(state, images, save=lambda s: save_state(s, checkpoint, info))
    files = {name: str(save_grid(state.snapshots[name], out / f"{name}.png")) for name in SNAPSHOT_NAMES}
    files["generator"] = str(save_generator(state.generator, state.config, out / GENERATOR_FILE))
    files["checkpoint"] = str(checkpoint)
    per_epoch = epoch_means(state.history)  # what history.json stores
    (out / "history.json").write_text(json.dumps(per_epoch) + "\n")
    last = {k: round(v[-1], 4) for k, v in per_epoch.items()}
    return {"command": "train", "out": str(out), "epochs": state.epoch, "steps": state.step,
            "resumed_from_epoch": resumed_from if args.resume else None, "seconds": round(time.perf_counter() - start, 1),
            "device": str(pick_device(state.config.device)), "data": {"source": info.get("source"),
            "train_digits": len(images)}, "config": state.config.to_dict(), "last_epoch": last, "files": files}


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


COMMANDS = {"train": cmd_train, "sample": cmd_sample, "interpolate": cmd_interpolate, "evaluate": cmd_evaluate,
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
