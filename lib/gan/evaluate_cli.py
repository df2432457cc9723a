"""``python -m lib.gan evaluate``: FID, its floor and class counts of a checkpoint (chapter 03)."""

from __future__ import annotations

from lib.core.cli import add_common
from lib.gan.args import add_count, add_files, add_noise_seed
from lib.gan.checkpoints import load_generator

HELP = "print FID, the real-vs-real floor and class counts as JSON"
DESCRIPTION = (
    "Score a generator with the MNIST classifier: FID of generated digits "
    "against the test split, the train-vs-test floor, and class counts."
)


def add_flags(p) -> None:
    """--checkpoint, --samples, --seed, --device, --root and --cache."""
    add_files(p, "--checkpoint")
    add_count(p, "--samples", 2000, "generated digits to score (default 2000)")
    add_noise_seed(p)
    add_common(p, data=True)


def run(args) -> dict:
    """Score the checkpoint of ``args``; return the JSON summary."""
    from lib.gan.evaluate import evaluate_generator
    from lib.mnist.classifier import get_classifier

    generator, config = load_generator(args.checkpoint, device=args.device)
    classifier = get_classifier(args.root, args.cache, args.device)
    scores = evaluate_generator(
        generator, classifier, args.root, args.samples, args.seed
    )
    return {"command": "evaluate", "checkpoint": str(args.checkpoint), **scores}
