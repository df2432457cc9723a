"""``python -m lib.palindrome``: the JSON summary line and the sweep's files (bad input: test_bad_input.py)."""

import json
import os
import subprocess
import sys

ENV = {**os.environ, "TQDM_DISABLE": "1", "DLBOOK_THREADS": "1"}


def run_cli(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "lib.palindrome", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
    )


def test_train_prints_a_json_summary_last():
    proc = run_cli(
        "train",
        "--model",
        "lstm",
        "--length",
        "4",
        "--steps",
        "300",
        "--hidden",
        "32",
        "--eval-size",
        "200",
        "--eval-every",
        "20",
        "--device",
        "cpu",
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"model", "length", "steps", "accuracy", "seconds"} <= set(summary)
    assert summary["model"] == "lstm" and summary["length"] == 4
    assert summary["accuracy"] >= 0.99 and summary["steps"] <= 300


def test_sweep_writes_one_file_per_run_and_resumes(tmp_path):
    args = [
        "sweep",
        "--lengths",
        "3,4",
        "--models",
        "lstm,rnn",
        "--seeds",
        "0",
        "--recipes",
        "plain",
        "--steps",
        "10",
        "--hidden",
        "8",
        "--eval-size",
        "50",
        "--eval-every",
        "5",
        "--out",
        str(tmp_path),
    ]
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (summary["runs"], summary["trained"]) == (4, 4)
    names = sorted(p.name for p in tmp_path.glob("*.json"))
    assert names == [
        "plain-lstm-T003-s0.json",
        "plain-lstm-T004-s0.json",
        "plain-rnn-T003-s0.json",
        "plain-rnn-T004-s0.json",
    ]
    data = json.loads((tmp_path / names[0]).read_text())
    assert data["command"].startswith("python -m lib.palindrome sweep --lengths 3,4")
    (tmp_path / names[0]).unlink()  # as if the sweep had been killed before this run
    again = json.loads(run_cli(*args).stdout.strip().splitlines()[-1])
    assert (again["trained"], again["skipped"]) == (1, 3)


def test_help_describes_every_flag():
    proc = run_cli("train", "--help")
    assert proc.returncode == 0
    for flag in (
        "--model",
        "--length",
        "--steps",
        "--batch-size",
        "--lr",
        "--hidden",
        "--encoding",
        "--seed",
        "--device",
        "--curriculum",
    ):
        assert flag in proc.stdout
