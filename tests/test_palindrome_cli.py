"""``python -m lib.palindrome``: the JSON summary line, the sweep's files and one-line errors."""
import json
import os
import subprocess
import sys

import pytest

ENV = {**os.environ, "DLBOOK_PROGRESS": "0", "DLBOOK_THREADS": "1"}


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "lib.palindrome", *args], capture_output=True, text=True,
                          env=ENV, timeout=timeout)


def test_train_prints_a_json_summary_last():
    proc = run_cli("train", "--model", "lstm", "--length", "4", "--steps", "300", "--hidden", "32",
                   "--eval-size", "200", "--eval-every", "20", "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"model", "length", "steps", "accuracy", "seconds"} <= set(summary)
    assert summary["model"] == "lstm" and summary["length"] == 4
    assert summary["accuracy"] >= 0.99 and summary["steps"] <= 300


def test_sweep_writes_results_and_figure(tmp_path):
    proc = run_cli("sweep", "--lengths", "3,4", "--models", "lstm,rnn", "--steps", "10", "--hidden", "8",
                   "--eval-size", "50", "--eval-every", "5", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["runs"] == 4
    runs = json.loads((tmp_path / "palindrome_sweep.json").read_text())["runs"]
    assert sorted((r["model"], r["length"]) for r in runs) == [("lstm", 3), ("lstm", 4), ("rnn", 3), ("rnn", 4)]
    assert all(r["records"] for r in runs)
    assert (tmp_path / "palindrome_sweep.png").stat().st_size > 1000


@pytest.mark.parametrize("args, word", [
    (["train", "--length", "1"], "length"),
    (["train", "--length", "2.5"], "length"),
    (["train", "--lr", "-1"], "lr"),
    (["train", "--model", "gru"], "model"),
    (["train", "--device", "tpu"], "device"),
    (["train", "--batch-size", "0"], "batch-size"),
    (["train", "--encoding", "binary"], "encoding"),
    (["sweep", "--models", "lstm,gru"], "model"),
    (["sweep", "--out", "/no/such/folder"], "folder"),
])
def test_bad_input_is_one_line_and_exit_2(args, word):
    proc = run_cli(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_help_describes_every_flag():
    proc = run_cli("train", "--help")
    assert proc.returncode == 0
    for flag in ("--model", "--length", "--steps", "--batch-size", "--lr", "--hidden", "--encoding", "--seed",
                 "--device", "--curriculum"):
        assert flag in proc.stdout
