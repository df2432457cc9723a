"""``python -m lib.gan interpolate``: a strip from one digit to another (chapter 04's strips)."""

from __future__ import annotations

import sys

from lib.core.cli import add_common, positive_int
from lib.gan.args import add_files, add_noise_seed, digit
from lib.gan.checkpoints import load_generator
from lib.gan.interpolate import (
    METHODS,
    digit_probabilities,
    latent_path,
    pick_endpoints,
)
from lib.gan.models import sample
from lib.gan.snapshots import save_grid

HELP = "write a strip of digits from one digit to another"
DESCRIPTION = (
    "Write steps + 2 images from --from-digit to --to-digit; the endpoints are "
    "the generated images the classifier labels most confidently as those digits."
)


def add_flags(p) -> None:
    """--checkpoint, the two digits, --steps, --method, --seed, --out and the common flags."""
    add_files(p, "--checkpoint")
    for flag, end in (
        ("--from-digit", "left end (x = n)"),
        ("--to-digit", "right end (x = 0)"),
    ):
        p.add_argument(flag, type=digit, required=True, help=f"digit 0-9 at the {end}")
    p.add_argument(
        "--steps",
        type=positive_int,
        default=7,
        help="images between the two endpoints (default 7: 9 in all)",
    )
    p.add_argument(
        "--method",
        choices=METHODS,
        default="linear",
        help="linear (the reports) or spherical (slerp)",
    )
    add_noise_seed(p, "seed of the candidate noise vectors (default 0)")
    add_files(p, "--out")
    add_common(p, data=True)


def _warn_unlabelled(args, labelled: list[bool]) -> None:
    """One stderr line when an endpoint is not the digit asked for."""
    missing = [d for d, ok in zip((args.from_digit, args.to_digit), labelled) if not ok]
    print(
        f"warning: this generator draws no image the classifier labels {missing} (among 16,000 tried); "
        f"the strip uses the closest ones instead: train longer",
        file=sys.stderr,
    )


def run(args) -> dict:
    """Write the strip of ``args``; return the JSON summary."""
    from lib.mnist.classifier import get_classifier

    # bad checkpoints fail before the classifier is trained
    generator, _ = load_generator(args.checkpoint, device=args.device)
    classifier = get_classifier(args.root, args.cache, args.device)
    begin, end = pick_endpoints(
        generator,
        classifier,
        args.from_digit,
        args.to_digit,
        seed=args.seed,
        strict=False,
    )
    images = sample(
        generator, args.steps + 2, z=latent_path(begin, end, args.steps, args.method)
    )
    probs = digit_probabilities(classifier, images)  # (steps + 2, 10)
    save_grid(images, args.out, nrow=len(images))
    labelled = [
        probs[0].argmax().item() == args.from_digit,
        probs[-1].argmax().item() == args.to_digit,
    ]
    if not all(labelled):
        _warn_unlabelled(args, labelled)
    return {
        "command": "interpolate",
        "from_digit": args.from_digit,
        "to_digit": args.to_digit,
        "steps": args.steps,
        "images": len(images),
        "method": args.method,
        "out": str(args.out),
        "labels": probs.argmax(dim=1).tolist(),
        "endpoints_labelled": labelled,
        "endpoint_confidence": [
            round(probs[0, args.from_digit].item(), 4),
            round(probs[-1, args.to_digit].item(), 4),
        ],
    }
