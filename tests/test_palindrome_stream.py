"""Streaming evaluation and saved models of chapter 02: the same predictions as ``evaluate``, at
small T, and a command that evaluates a saved model at any length (its bad input refused clearly)."""

import json

import pytest
import torch
from helpers import evil_checkpoint
from test_palindrome_cli import run_cli

from lib.core.files import save_atomic
from lib.lstm.cell import LSTM
from lib.palindrome import TrainConfig, evaluate, heldout, make_model, train
from lib.palindrome.checkpoint import load_model, save_model
from lib.palindrome.stream import heldout_front, stream_accuracy, stream_logits
from lib.palindrome.train import STREAM_ABOVE, heldout_accuracy


@pytest.mark.parametrize("length", [2, 3, 8, 9])
def test_front_holds_the_heldout_digits(length):
    x, y = heldout(40, length, seed=3)  # (40, T-1, 10), (40,)
    front, target = heldout_front(40, length, seed=3)  # (⌈T/2⌉, 40), (40,)
    digits = x.argmax(-1)  # (40, T-1)
    assert front.dtype == torch.uint8 and front.shape == ((length + 1) // 2, 40)
    assert torch.equal(target, y)
    assert torch.equal(front.T.long(), digits[:, : (length + 1) // 2])


def _model(kind: str, encoding: str, dtype=torch.float64):
    config = TrainConfig(model=kind, encoding=encoding, hidden=16, seed=2)
    model = make_model(config).to(dtype)
    with (
        torch.no_grad()
    ):  # weights large enough that the logits differ from step to step
        for p in model.parameters():
            p.mul_(3.0)
    return model


@pytest.mark.parametrize("kind", ["lstm", "rnn"])
@pytest.mark.parametrize("encoding", ["onehot", "scalar"])
@pytest.mark.parametrize("length", [2, 3, 12, 25])
def test_streamed_logits_match_the_whole_sequence(kind, encoding, length):
    model = _model(kind, encoding)
    x, y = heldout(64, length, seed=1, encoding=encoding)
    with torch.no_grad():
        whole = model(x.double())  # (64, 10)
    front, _ = heldout_front(64, length, seed=1)
    streamed = stream_logits(model, front, length, encoding, show_progress=False)
    torch.testing.assert_close(streamed, whole)
    assert torch.equal(streamed.argmax(-1), whole.argmax(-1))


@pytest.mark.parametrize("kind", ["lstm", "rnn"])
def test_stream_accuracy_equals_evaluate_in_float32(kind):
    model = _model(kind, "onehot", torch.float32)
    for length in (5, 30):
        expected = evaluate(model, *heldout(300, length, seed=4))
        assert stream_accuracy(model, length, 300, seed=4, show_progress=False) == (
            expected
        )


def test_heldout_accuracy_streams_long_sets_with_the_same_answer():
    model = _model("lstm", "onehot", torch.float32)
    length = STREAM_ABOVE + 1
    expected = evaluate(model, *heldout(20, length, seed=0))
    assert heldout_accuracy(model, length, 20, 0, "onehot") == expected


def test_bad_input_is_refused_clearly():
    model = _model("lstm", "onehot")
    with pytest.raises(ValueError, match="at least 2"):
        stream_accuracy(model, 1, 10)
    with pytest.raises(ValueError, match="encoding"):
        stream_accuracy(model, 5, 10, encoding="scalar")
    with pytest.raises(TypeError, match="LSTM or an RNN"):
        stream_accuracy(torch.nn.Linear(10, 10), 5, 10)
    with pytest.raises(ValueError, match="front must be"):
        stream_logits(model, torch.zeros(4, 3, dtype=torch.uint8), 5)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    config = TrainConfig(length=4, steps=3, hidden=8, eval_size=20, device="cpu")
    history = train(config, show_progress=False)
    path = tmp_path_factory.mktemp("model") / "model.pt"
    save_model(history.model, config, path, {"accuracy": history.accuracy})
    return history, path


def test_saved_model_round_trip(saved):
    history, path = saved
    model, config, info = load_model(path)
    assert config == history.config and info == {"accuracy": history.accuracy}
    assert isinstance(model, LSTM) and not model.training
    for name, value in history.model.state_dict().items():
        assert torch.equal(model.state_dict()[name], value)


def test_missing_truncated_and_foreign_files_say_what_to_do(saved, tmp_path):
    _, path = saved
    with pytest.raises(FileNotFoundError, match="--save"):
        load_model(tmp_path / "none.pt")
    cut = tmp_path / "cut.pt"
    cut.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated.*--save"):
        load_model(cut)
    other = save_atomic({"kind": "gan", "format": 1}, tmp_path / "gan.pt")
    with pytest.raises(ValueError, match="'gan' checkpoint.*--save"):
        load_model(other)
    marker = tmp_path / "ran"
    with pytest.raises(ValueError, match="refused"):
        load_model(evil_checkpoint(tmp_path / "evil.pt", marker, kind="palindrome"))
    assert not marker.exists()


def test_train_saves_and_evaluate_prints_a_json_line(tmp_path):
    path = tmp_path / "lstm.pt"
    flags = ["--hidden", "8", "--steps", "2", "--eval-size", "10", "--device", "cpu"]
    proc = run_cli("train", "--length", "4", *flags, "--save", str(path))
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("evaluate", "--model-file", str(path), "--length", "50")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["length"] == 50 and summary["size"] == 1000
    assert 0 <= summary["accuracy"] <= 1 and summary["peak_rss_mb"] > 0
    proc = run_cli("evaluate", "--model-file", str(tmp_path / "no.pt"), "--length", "9")
    assert proc.returncode == 2 and "--save" in proc.stderr
    proc = run_cli("evaluate", "--model-file", str(path), "--length", "1")
    assert proc.returncode == 2 and "at least 2" in proc.stderr
