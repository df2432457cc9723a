"""`python -m lib.gan`: the commands work and print a JSON summary last (bad input: test_bad_input.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from helpers import fake_mnist
from PIL import Image

import lib.mnist
from lib.core.cli import run
from lib.gan.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT / "data"


pytestmark = pytest.mark.usefixtures("quiet_commands")  # see conftest.py


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
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lib.gan",
            "train",
            "--epochs",
            "1",
            "--device",
            "cpu",
            "--root",
            str(root),
            "--out",
            str(base / "run"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DLBOOK_THREADS": "1", "TQDM_DISABLE": "1"},
    )
    assert done.returncode == 0, done.stderr
    return base, json.loads(done.stdout.strip().splitlines()[-1])


def test_train_writes_grids_checkpoint_and_generator(trained_run):
    base, summary = trained_run
    run_dir = base / "run"
    for name in (
        "begin.png",
        "middle.png",
        "final.png",
        "checkpoint.pt",
        "mnist_generator.pt",
        "history.json",
    ):
        assert (run_dir / name).is_file(), name
    assert Image.open(run_dir / "final.png").size == (5 * 28 + 6 * 2,) * 2  # a 5×5 grid
    assert summary["epochs"] == 1 and summary["data"]["train_digits"] == 128
    assert (
        torch.load(run_dir / "mnist_generator.pt", weights_only=True)["kind"]
        == "gan-generator"
    )


def test_sample_writes_a_grid(trained_run, tmp_path, capsys):
    base, _ = trained_run
    code, out, err = cli(
        [
            "sample",
            "--checkpoint",
            base / "run" / "mnist_generator.pt",
            "--out",
            tmp_path / "g.png",
            "--count",
            "16",
            "--device",
            "cpu",
        ],
        capsys,
    )
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["count"] == 16
    assert Image.open(tmp_path / "g.png").size == (4 * 28 + 5 * 2,) * 2


@pytest.mark.skipif(
    not lib.mnist.is_prepared(REAL_DATA),
    reason="needs the prepared MNIST: run `make data`",
)
def test_evaluate_and_interpolate_on_real_data(
    trained_run, classifier_cache, tmp_path, capsys
):
    base, _ = trained_run
    generator = base / "run" / "mnist_generator.pt"
    common = ["--root", REAL_DATA, "--cache", classifier_cache, "--device", "cpu"]
    code, out, err = cli(
        ["evaluate", "--checkpoint", generator, "--samples", "500", *common], capsys
    )
    assert code == 0, err
    scores = json.loads(out.strip().splitlines()[-1])
    assert {"fid", "real_floor", "class_counts", "classes_present"} <= scores.keys()
    assert (
        sum(scores["class_counts"]) == 500 and scores["fid"] > scores["real_floor"] > 0
    )
    # one epoch's digits are far less sure and less even than the real ones
    assert 1 <= scores["inception_score"] < scores["real_inception_score"] <= 10
    # A one-epoch generator does not draw every digit yet: interpolate between the two it draws most.
    a, b = sorted(range(10), key=lambda d: -scores["class_counts"][d])[:2]
    code, out, err = cli(
        [
            "interpolate",
            "--checkpoint",
            generator,
            "--from-digit",
            a,
            "--to-digit",
            b,
            "--steps",
            "7",
            "--out",
            tmp_path / "strip.png",
            *common,
        ],
        capsys,
    )
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["images"] == 9 and summary["labels"][0] == a
    # The second digit's best image may sit on a class border after one epoch; the summary must then
    # say so (the warning path) rather than claim a labelled endpoint.
    assert summary["endpoints_labelled"] == [True, summary["labels"][-1] == b]
    assert Image.open(tmp_path / "strip.png").size == (9 * 28 + 10 * 2, 28 + 2 * 2)


def test_help_lists_every_command_and_flag(capsys):
    code, out, _ = cli(["train", "--help"], capsys)
    assert code == 0
    for flag in (
        "--epochs",
        "--out",
        "--seed",
        "--device",
        "--resume",
        "--betas",
        "--g-steps",
        "--r1-gamma",
        "--r1-every",
    ):
        assert flag in out
