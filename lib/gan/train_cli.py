"""``python -m lib.gan train``: train the GAN of chapter 03 into a folder, resumable after a crash.

After every epoch the full training state goes to DIR/checkpoint.pt (atomically); at the end the
begin/middle/final grids, DIR/mnist_generator.pt and DIR/history.json. ``--resume`` continues from the
checkpoint and ends with the same weights as an uninterrupted run.
"""

from __future__ import annotations

import time
from pathlib import Path

from lib.core.cli import (
    DEVICE_HELP,
    ROOT_HELP,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    require_folder,
)
from lib.core.device import pick_device
from lib.core.files import save_json
from lib.gan.args import unit_interval
from lib.gan.cache import DEFAULT_CONFIG
from lib.gan.checkpoints import load_state, save_generator, save_state
from lib.gan.config import GANConfig
from lib.gan.snapshots import save_grid
from lib.gan.train import SNAPSHOT_NAMES, epoch_means, new_state, train

CHECKPOINT = "checkpoint.pt"
GENERATOR_FILE = "mnist_generator.pt"
# Flags of `train` that define the run; with --resume they must agree with the checkpoint's config.
RUN_FLAGS = (
    "epochs",
    "seed",
    "betas",
    "lr",
    "batch_size",
    "label_smoothing",
    "g_steps",
    "ema",
    "r1_gamma",
    "r1_every",
    "track_every",
)

HELP = "train the GAN, writing snapshots and checkpoints to --out"
DESCRIPTION = (
    "Train the GAN; after every epoch write DIR/checkpoint.pt, at the end the "
    "begin/middle/final grids and DIR/mnist_generator.pt."
)


def add_flags(p) -> None:
    """The flags of ``train``."""
    p.add_argument(
        "--out", required=True, help="folder for the run (created if its parent exists)"
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        help=f"passes over the training digits (default {DEFAULT_CONFIG.epochs}; the reports used 200)",
    )
    p.add_argument(
        "--seed",
        type=non_negative_int,
        default=None,
        help="seed of weights, data order and noise (default 0)",
    )
    p.add_argument(
        "--betas",
        type=unit_interval,
        nargs=2,
        default=None,
        metavar=("B1", "B2"),
        help=f"Adam betas (default {DEFAULT_CONFIG.betas[0]} {DEFAULT_CONFIG.betas[1]}; "
        "the reports' recipe is 0.9 0.999)",
    )
    p.add_argument(
        "--lr",
        type=positive_float,
        default=None,
        help=f"Adam learning rate (default {DEFAULT_CONFIG.lr})",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help=f"digits per step (default {DEFAULT_CONFIG.batch_size})",
    )
    p.add_argument(
        "--label-smoothing",
        type=unit_interval,
        default=None,
        help="one-sided label smoothing: D's target for real digits is 1 - this "
        f"(default {DEFAULT_CONFIG.label_smoothing}; the reports used 0)",
    )
    p.add_argument(
        "--g-steps",
        type=positive_int,
        default=None,
        help=f"generator updates per discriminator update (default {DEFAULT_CONFIG.g_steps}; "
        "the reports used 1)",
    )
    p.add_argument(
        "--ema",
        type=unit_interval,
        default=None,
        help="decay of the moving average of G's weights that the run delivers "
        f"(default {DEFAULT_CONFIG.ema}; 0 = off, G itself, as in the reports)",
    )
    p.add_argument(
        "--r1-gamma",
        type=non_negative_float,
        default=None,
        help="weight of the R1 penalty on D's gradient at the real digits "
        f"(default {DEFAULT_CONFIG.r1_gamma}; 0 = off, as in the reports)",
    )
    p.add_argument(
        "--r1-every",
        type=positive_int,
        default=None,
        help="apply the R1 penalty on every N-th D step only, N times as strong "
        f"(default {DEFAULT_CONFIG.r1_every})",
    )
    p.add_argument(
        "--track-every",
        type=non_negative_int,
        default=None,
        help="keep 1,000 samples from fixed noise every N epochs for FID over training (default 0: off)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the interrupted run in --out from its checkpoint",
    )
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.add_argument("--root", default=None, help=ROOT_HELP)


def _config_from_args(args) -> GANConfig:
    given = {
        name: getattr(args, name)
        for name in RUN_FLAGS
        if getattr(args, name) is not None
    }
    if "betas" in given:
        given["betas"] = tuple(given["betas"])
    fields = {
        **DEFAULT_CONFIG.to_dict(),
        "track_every": 0,
        **given,
        "device": args.device,
    }
    return GANConfig.from_dict(fields)


def _resume_state(args, checkpoint: Path):
    if not checkpoint.is_file():
        raise FileNotFoundError(
            f"nothing to resume: no {CHECKPOINT} in {str(checkpoint.parent)!r} (drop --resume)"
        )
    state, _ = load_state(checkpoint, device=args.device)
    for name in RUN_FLAGS:
        wanted, saved = getattr(args, name), getattr(state.config, name)
        if (
            wanted is not None
            and (tuple(wanted) if name == "betas" else wanted) != saved
        ):
            raise ValueError(
                f"--{name.replace('_', '-')} {wanted} differs from the interrupted run's {saved}: "
                f"drop the flag to resume, or start a new run in another --out"
            )
    return state


def _prepare_out(out: Path, resume: bool) -> Path:
    require_folder(out.parent)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file; give a folder")
    checkpoint = out / CHECKPOINT
    if not resume and checkpoint.exists():
        raise ValueError(
            f"{str(out)!r} already holds a run ({CHECKPOINT}): add --resume to continue it, "
            f"or choose another --out"
        )
    return checkpoint


def run(args) -> dict:
    """Train (or resume) the run of ``args``; return the JSON summary."""
    from lib.mnist import mnist_tensors, source_info

    pick_device(
        args.device
    )  # an unknown or missing device fails before anything is written
    out = Path(args.out)
    checkpoint = _prepare_out(out, args.resume)
    state = (
        _resume_state(args, checkpoint)
        if args.resume
        else new_state(_config_from_args(args))
    )
    images, _ = mnist_tensors(
        args.root, train=True
    )  # raises with what to run when the data is missing
    info = source_info(args.root)
    out.mkdir(exist_ok=True)
    for stale in out.glob(
        f".{CHECKPOINT}.*.tmp"
    ):  # left by a run killed while writing; never the checkpoint
        stale.unlink()
    resumed_from = state.epoch
    start = time.perf_counter()
    train(state, images, save=lambda s: save_state(s, checkpoint, info))
    files = {
        name: str(save_grid(state.snapshots[name], out / f"{name}.png"))
        for name in SNAPSHOT_NAMES
    }
    files["generator"] = str(
        save_generator(state.sampler, state.config, out / GENERATOR_FILE)
    )
    files["checkpoint"] = str(checkpoint)
    per_epoch = epoch_means(state.history)  # what history.json stores
    save_json(per_epoch, out / "history.json", indent=None)
    last = {k: round(v[-1], 4) for k, v in per_epoch.items()}
    return {
        "command": "train",
        "out": str(out),
        "epochs": state.epoch,
        "steps": state.step,
        "resumed_from_epoch": resumed_from if args.resume else None,
        "seconds": round(time.perf_counter() - start, 1),
        "device": str(pick_device(state.config.device)),
        "data": {"source": info.get("source"), "train_digits": len(images)},
        "config": state.config.to_dict(),
        "last_epoch": last,
        "files": files,
    }
