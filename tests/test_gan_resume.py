"""Interrupted GAN training loses nothing: resuming ends with the weights of an uninterrupted run.

The last test kills `python -m lib.gan train` with SIGKILL between two checkpoints, checks that the
checkpoint on disk is whole, resumes, and compares the final weights with torch.equal.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from helpers import fake_mnist

from lib.gan import GANConfig
from lib.gan.checkpoints import load_state, save_state
from lib.gan.train import new_state, train

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "DLBOOK_THREADS": "1", "TQDM_DISABLE": "1"}


# Resume must give torch.equal weights: pin one thread so reductions round the same in every run.
pytestmark = pytest.mark.usefixtures("one_thread")


def weights(state) -> dict[str, torch.Tensor]:
    out = {f"G.{k}": v for k, v in state.generator.state_dict().items()}
    out.update({f"D.{k}": v for k, v in state.discriminator.state_dict().items()})
    if state.averaged is not None:
        out.update({f"A.{k}": v for k, v in state.averaged.state_dict().items()})
    for name, opt in (("opt_g", state.opt_g), ("opt_d", state.opt_d)):
        for index, moments in opt.state_dict()["state"].items():
            out.update({f"{name}.{index}.{k}": v for k, v in moments.items()})
    return out


def assert_equal_weights(a, b):
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    different = [k for k in wa if not torch.equal(wa[k], wb[k])]
    assert not different, (
        f"resumed run differs from the uninterrupted one in {different[:5]}"
    )


class Interrupt(Exception):
    pass


@pytest.mark.parametrize(
    "g_steps, recipe",
    [(1, {}), (2, {}), (1, {"ema": 0.9, "track_every": 1})],
)
def test_resume_in_process_equals_an_uninterrupted_run(tmp_path, g_steps, recipe):
    images = (
        torch.rand(96, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    )
    config = GANConfig(
        epochs=4,
        batch_size=32,
        seed=5,
        device="cpu",
        label_smoothing=0.1,
        g_steps=g_steps,
        **recipe,
    )
    whole = train(new_state(config), images)

    def save_then_stop(state):
        save_state(state, tmp_path / "checkpoint.pt")
        if state.epoch == 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        train(new_state(config), images, save=save_then_stop)
    torch.manual_seed(
        999
    )  # whatever happened to the global RNG in between must not matter
    resumed, _ = load_state(tmp_path / "checkpoint.pt")
    assert resumed.epoch == 2
    train(resumed, images)
    assert_equal_weights(whole, resumed)
    assert resumed.history == whole.history
    assert all(
        torch.equal(resumed.snapshots[k], whole.snapshots[k]) for k in whole.snapshots
    )
    assert all(
        torch.equal(a, b)
        for a, b in zip(resumed.tracked["images"], whole.tracked["images"])
    )


def gan_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "lib.gan", "train", *args]


def test_sigkill_between_checkpoints_then_resume(tmp_path):
    root = fake_mnist(tmp_path / "data")
    common = [
        "--epochs",
        "10",
        "--batch-size",
        "32",
        "--seed",
        "7",
        "--device",
        "cpu",
        "--root",
        str(root),
    ]
    whole = subprocess.run(
        gan_cli(*common, "--out", str(tmp_path / "whole")),
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert whole.returncode == 0, whole.stderr

    out = tmp_path / "killed"
    proc = subprocess.Popen(
        gan_cli(*common, "--out", str(out)),
        env=ENV,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    checkpoint = out / "checkpoint.pt"
    deadline = time.monotonic() + 300
    while (
        not checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline
    ):
        time.sleep(0.01)
    assert proc.poll() is None, (
        "training ended before it could be killed between two checkpoints"
    )
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL

    state, _ = load_state(checkpoint)  # whole, not half-written
    assert 1 <= state.epoch < 10
    assert not (out / "mnist_generator.pt").exists()  # the run really stopped early
    leftovers = {p.name for p in out.iterdir()} - {"checkpoint.pt"}
    assert all(
        name.startswith(".checkpoint.pt.") and name.endswith(".tmp")
        for name in leftovers
    ), leftovers

    resumed = subprocess.run(
        gan_cli("--out", str(out), "--resume", "--root", str(root), "--device", "cpu"),
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert summary["resumed_from_epoch"] == state.epoch and summary["epochs"] == 10
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]

    final_whole, _ = load_state(tmp_path / "whole" / "checkpoint.pt")
    final_resumed, _ = load_state(checkpoint)
    assert_equal_weights(final_whole, final_resumed)
    g_whole = torch.load(tmp_path / "whole" / "mnist_generator.pt", weights_only=True)[
        "generator"
    ]
    g_resumed = torch.load(out / "mnist_generator.pt", weights_only=True)["generator"]
    assert all(torch.equal(g_whole[k], g_resumed[k]) for k in g_whole)
