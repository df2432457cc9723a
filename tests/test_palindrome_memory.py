"""lib.palindrome.memory: η² on known groups, and the streamed statistics against the readable LSTM."""

import pytest
import torch

from lib.lstm.cell import LSTM
from lib.lstm.rnn import RNN
from lib.palindrome.data import heldout
from lib.palindrome.memory import eta_squared, memory_stats


def test_eta_squared_is_one_for_a_function_of_the_digit_and_zero_for_equal_means():
    labels = torch.arange(10).repeat(4)  # (40,) every digit four times
    by_digit = (labels.double() ** 2)[:, None]  # a function of the digit: η² = 1
    spread = torch.tensor([-1.0, 1.0, -2.0, 2.0]).repeat_interleave(10)[:, None]
    # every digit's group is {-1, 1, -2, 2}: the same mean for all, so η² = 0
    values = torch.cat([by_digit, spread], dim=1)  # (40, 2)
    assert eta_squared(values, labels).tolist() == pytest.approx([1.0, 0.0], abs=1e-12)


def test_eta_squared_matches_the_sums_of_squares():
    gen = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 10, (200,), generator=gen)
    values = torch.randn(200, 3, generator=gen, dtype=torch.float64) + labels[:, None]
    total = ((values - values.mean(0)) ** 2).sum(0)
    between = sum(
        (labels == d).sum() * (values[labels == d].mean(0) - values.mean(0)) ** 2
        for d in range(10)
    )
    assert torch.allclose(eta_squared(values, labels), between / total, atol=1e-12)


def test_streamed_eta2_and_gates_equal_the_readable_lstm_in_float64():
    torch.manual_seed(0)
    model = LSTM(10, 6, 10, forget_bias=2.0).double()
    length, size = 30, 50
    stats = memory_stats(model, length, size, seed=3, at=(1, 5, 29, 500))
    x, y = heldout(size, length, 3)  # (n, T-1, 10), (n,)
    states = model.states(x.double())  # T-1 states
    assert list(stats["eta2"]) == ["1", "5", "29"]  # the last step; none past the end
    for t in (1, 5, 29):
        expected = eta_squared(states[t - 1].c, y)
        assert stats["eta2"][str(t)] == pytest.approx(expected.tolist(), abs=1e-9)
    f = torch.stack([s.f for s in states])  # (T-1, n, H)
    assert stats["forget"]["mean"] == pytest.approx(f.mean((0, 1)).tolist(), abs=1e-12)
    assert stats["forget"]["max"] == pytest.approx(f.amax((0, 1)).tolist(), abs=1e-12)
    assert stats["forget"]["values"] == f.numel()
    logits = model(x.double())
    assert stats["accuracy"] == (logits.argmax(-1) == y).double().mean().item()


def test_a_saturated_forget_gate_is_exactly_one_in_float32():
    model = LSTM(10, 4, 10)
    with torch.no_grad():
        model.b_f.fill_(
            40.0
        )  # σ(40) rounds to 1 in float32 whatever else the unit adds
    stats = memory_stats(model, 20, size=10)
    assert stats["forget"]["exactly_one"] == stats["forget"]["values"] == 19 * 10 * 4
    assert max(stats["forget"]["max"]) == 1.0


def test_the_rnn_reports_its_hidden_state_and_no_gates():
    stats = memory_stats(RNN(10, 5, 10), 12, size=20, at=(3,))
    assert stats["state"] == "h" and "forget" not in stats
    assert list(stats["eta2"]) == ["3", "11"] and len(stats["eta2"]["3"]) == 5


def test_plot_memory_draws_one_line_per_run_and_every_lstm_unit():
    import matplotlib

    matplotlib.use("Agg")
    from lib.palindrome.plots import plot_memory

    torch.manual_seed(1)
    runs = [
        {"model": m, "seed": s, "memory": memory_stats(net, 40, size=30)}
        for s in (0, 1)
        for m, net in (("lstm", LSTM(10, 4, 10)), ("rnn", RNN(10, 3, 10)))
    ]
    runs.append({"model": "lstm", "seed": 2})  # a run without the study is left out
    fig = plot_memory(runs)
    left, right = fig.axes
    assert len(left.lines) == 4
    assert sum(p.get_height() for p in right.patches) == 2 * 4  # 2 seeds x 4 units


def test_transfer_records_the_memory_study_and_resumes(tmp_path, capsys):
    import json

    from lib.palindrome.__main__ import main

    out = tmp_path / "memory.json"
    argv = [
        "transfer", "--seeds", "0", "--models", "lstm,rnn", "--length", "6",
        "--steps", "30", "--hidden", "8", "--at", "6,12", "--size", "20",
        "--memory-at", "50", "--device", "cpu", "--threads", "1", "--out", str(out),
    ]  # fmt: skip
    assert main(argv) == 0
    runs = json.loads(out.read_text())["runs"]
    assert [r["model"] for r in runs] == ["lstm", "rnn"]
    lstm, rnn = (r["memory"] for r in runs)
    assert lstm["length"] == 50 and list(lstm["eta2"]) == ["1", "10", "49"]
    assert len(lstm["forget"]["mean"]) == 8 and "forget" not in rnn
    before = out.read_text()
    assert main(argv) == 0  # both runs are there: nothing is trained again
    assert out.read_text().split('"runs"')[1] == before.split('"runs"')[1]
    capsys.readouterr()
