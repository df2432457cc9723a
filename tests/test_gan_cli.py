"""`python -m lib.gan`: the four commands work, and every bad input is one stderr line and exit 2,
with nothing that existed overwritten."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

import lib.mnist
from lib.core.files import save_atomic
from lib.core.cli import run
from lib.gan.__main__ import main
from helpers import evil_checkpoint, fake_mnist

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT / "data"


@pytest.fixture(autouse=True)
def quiet_one_thread(monkeypatch):
    monkeypatch.setenv("DLBOOK_THREADS", "1")
    monkeypatch.setenv("TQDM_DISABLE", "1")
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def cli(argv, capsys):
    """Run the CLI in this process; return (exit status, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        run(main, [str(a) for a in argv])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A one-epoch run on a tiny fake MNIST, made once through the real command line."""
    base = tmp_path_factory.mktemp("gan_cli")
    root = fake_mnist(base / "data", n_train=128)
    done = subprocess.run([sys.executable, "-m", "lib.gan", "train", "--epochs", "1",
                           "--device", "cpu", "--root", str(root), "--out", str(base / "run")],
                          cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "DLBOOK_THREADS": "1", "TQDM_DISABLE": "1"})
    assert done.returncode == 0, done.stderr
    return base, json.loads(done.stdout.strip().splitlines()[-1])


def test_train_writes_grids_checkpoint_and_generator(trained_run):
    base, summary = trained_run
    run_dir = base / "run"
    for name in ("begin.png", "middle.png", "final.png", "checkpoint.pt", "mnist_generator.pt", "history.json"):
        assert (run_dir / name).is_file(), name
    assert Image.open(run_dir / "final.png").size == (5 * 28 + 6 * 2,) * 2  # a 5×5 grid
    assert summary["epochs"] == 1 and summary["data"]["train_digits"] == 128
    assert torch.load(run_dir / "mnist_generator.pt", weights_only=True)["kind"] == "gan-generator"


def test_sample_writes_a_grid(trained_run, tmp_path, capsys):
    base, _ = trained_run
    code, out, err = cli(["sample", "--checkpoint", base / "run" / "mnist_generator.pt", "--out", tmp_path / "g.png",
                          "--count", "16", "--device", "cpu"], capsys)
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["count"] == 16
    assert Image.open(tmp_path / "g.png").size == (4 * 28 + 5 * 2,) * 2


@pytest.mark.skipif(not lib.mnist.is_prepared(REAL_DATA), reason="needs the prepared MNIST: run `make data`")
def test_evaluate_and_interpolate_on_real_data(trained_run, tmp_path, capsys):
    base, _ = trained_run
    generator = base / "run" / "mnist_generator.pt"
    common = ["--root", REAL_DATA, "--cache", ROOT / "cache", "--device", "cpu"]
    code, out, err = cli(["evaluate", "--checkpoint", generator, "--samples", "500", *common], capsys)
    assert code == 0, err
    scores = json.loads(out.strip().splitlines()[-1])
    assert {"fid", "real_floor", "class_counts", "classes_present"} <= scores.keys()
    assert sum(scores["class_counts"]) == 500 and scores["fid"] > scores["real_floor"] > 0
    # A one-epoch generator does not draw every digit yet: interpolate between the two it draws most.
    a, b = sorted(range(10), key=lambda d: -scores["class_counts"][d])[:2]
    code, out, err = cli(["interpolate", "--checkpoint", generator, "--from-digit", a, "--to-digit", b,
                          "--steps", "7", "--out", tmp_path / "strip.png", *common], capsys)
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["images"] == 9 and summary["labels"][0] == a
    # The second digit's best image may sit on a class border after one epoch; the summary must then
    # say so (the warning path) rather than claim a labelled endpoint.
    assert summary["endpoints_labelled"] == [True, summary["labels"][-1] == b]
    assert Image.open(tmp_path / "strip.png").size == (9 * 28 + 10 * 2, 28 + 2 * 2)


@pytest.fixture
def bad_files(trained_run, tmp_path):
    """Checkpoints that must be refused, and an existing output file that must survive."""
    base, _ = trained_run
    good = (base / "run" / "mnist_generator.pt").read_bytes()
    files = {"good": base / "run" / "mnist_generator.pt", "missing": tmp_path / "missing.pt",
             "truncated": tmp_path / "truncated.pt", "palindrome": tmp_path / "palindrome.pt",
             "classifier": tmp_path / "classifier.pt", "evil": tmp_path / "evil.pt",
             "marker": tmp_path / "code_ran", "existing": tmp_path / "existing.png", "root": base / "data",
             "run": base / "run", "empty": tmp_path / "empty_run"}
    files["truncated"].write_bytes(good[: len(good) // 3])
    save_atomic({"kind": "palindrome", "format": 1, "config": {}, "model": {"w": torch.zeros(2)}}, files["palindrome"])
    save_atomic({"kind": "mnist-classifier", "format": 1, "config": {}, "state_dict": {}}, files["classifier"])
    evil_checkpoint(files["evil"], files["marker"])
    files["existing"].write_bytes(b"keep me")
    files["empty"].mkdir()
    return files


BAD = [  # (argv with {placeholders}, a phrase the one-line error must contain)
    ("interpolate --checkpoint {good} --from-digit 12 --to-digit 4 --out {existing}", "not a digit"),
    ("interpolate --checkpoint {good} --from-digit 3 --to-digit -1 --out {existing}", "not a digit"),
    ("interpolate --checkpoint {good} --from-digit three --to-digit 4 --out {existing}", "not a digit"),
    ("interpolate --checkpoint {good} --from-digit 3 --to-digit 4 --steps 0 --out {existing}", "above zero"),
    ("interpolate --checkpoint {good} --from-digit 3 --to-digit 4 --steps 2.5 --out {existing}", "whole number"),
    ("interpolate --checkpoint {palindrome} --from-digit 3 --to-digit 4 --out {existing}", "palindrome"),
    ("sample --checkpoint {palindrome} --out {existing}", "palindrome"),
    ("sample --checkpoint {classifier} --out {existing}", "mnist-classifier"),
    ("sample --checkpoint {truncated} --out {existing}", "truncated"),
    ("sample --checkpoint {evil} --out {existing}", "refused"),
    ("sample --checkpoint {missing} --out {existing}", "no file"),
    ("sample --checkpoint {good} --out {missing}/sub/grid.png", "does not exist"),
    ("sample --checkpoint {good} --out {existing} --device tpu", "unknown device"),
    ("evaluate --checkpoint {truncated}", "truncated"),
    ("evaluate --checkpoint {palindrome}", "palindrome"),
    ("train --epochs 1 --out {missing}/sub/run --root {root}", "does not exist"),
    ("train --epochs 0 --out {empty} --root {root}", "above zero"),
    ("train --epochs 1 --lr 0 --out {empty} --root {root}", "above zero"),
    ("train --epochs 1 --lr -0.1 --out {empty} --root {root}", "above zero"),
    ("train --epochs 1 --batch-size 0 --out {empty} --root {root}", "above zero"),
    ("train --epochs 1 --betas 1.0 0.999 --out {empty} --root {root}", "[0, 1)"),
    ("train --epochs 1 --g-steps 0 --out {empty} --root {root}", "above zero"),
    ("train --epochs 1 --g-steps 1.5 --out {empty} --root {root}", "whole number"),
    ("train --epochs 1 --device nonsense --out {empty} --root {root}", "unknown device"),
    ("train --epochs 1 --out {run} --root {root}", "--resume"),
    ("train --resume --out {empty} --root {root}", "nothing to resume"),
    ("train --resume --epochs 5 --out {run} --root {root}", "differs"),
    ("train --resume --g-steps 3 --out {run} --root {root}", "differs"),
    ("train --epochs 1 --out {empty} --root {missing}", "make data"),
]


@pytest.mark.parametrize("argv, phrase", BAD, ids=[b[0].split(" --out")[0][:60] for b in BAD])
def test_bad_input_is_one_line_and_exit_2_and_overwrites_nothing(bad_files, capsys, argv, phrase):
    run_files = {p.name: p.read_bytes() for p in bad_files["run"].iterdir()}
    code, out, err = cli(argv.format(**bad_files).split(), capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and phrase in lines[0], err
    assert bad_files["existing"].read_bytes() == b"keep me"
    assert {p.name: p.read_bytes() for p in bad_files["run"].iterdir()} == run_files
    assert list(bad_files["empty"].iterdir()) == []
    assert not bad_files["marker"].exists()


def test_help_lists_every_command_and_flag():
    done = subprocess.run([sys.executable, "-m", "lib.gan", "train", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0
    for flag in ("--epochs", "--out", "--seed", "--device", "--resume", "--betas", "--g-steps"):
        assert flag in done.stdout
