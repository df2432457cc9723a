"""Palindrome training: config validation, the model factory, the curriculum and a smoke run."""

import dataclasses

import pytest
import torch

from lib.lstm.fast import FastLSTM
from lib.lstm.fast_rnn import FastRNN
from lib.palindrome import curriculum
from lib.palindrome.train import (
    History,
    TrainConfig,
    _probe,
    evaluate,
    make_model,
    train,
)


@pytest.mark.parametrize(
    "field, value",
    [
        ("length", 1),
        ("length", 0),
        ("length", 2.5),
        ("length", True),
        ("length", "20"),
        ("lr", 0),
        ("lr", -1.0),
        ("lr", float("nan")),
        ("lr", float("inf")),
        ("batch_size", 0),
        ("batch_size", -128),
        ("hidden", 0),
        ("hidden", 1.5),
        ("steps", 0),
        ("probe_from", 1),
        ("model", "gru"),
        ("encoding", "binary"),
        ("device", "tpu"),
        ("seed", -1),
        ("seed", 1.0),
        ("clip", 0),
        ("eval_every", 0),
        ("eval_size", 0),
        ("target_accuracy", 1.5),
        ("advance_at", 0),
        ("curriculum", "yes"),
        ("stage_lr", 0),
        ("stage_lr", 1.5),
        ("growth", 1.0),
        ("start_length", 1),
        ("forget_bias", float("nan")),
    ],
)
def test_bad_config_raises_value_error(field, value):
    with pytest.raises(ValueError, match=field.split("_")[0]):
        TrainConfig(**{field: value})


def test_defaults_follow_the_reports():
    c = TrainConfig()
    assert (c.model, c.batch_size, c.lr, c.hidden, c.clip, c.encoding) == (
        "lstm",
        128,
        1e-3,
        128,
        10.0,
        "onehot",
    )


def test_curriculum_switches_on_above_30_unless_told():
    assert TrainConfig(length=30).stages() == [30]
    assert (
        TrainConfig(length=31).stages()[-1] == 31
        and len(TrainConfig(length=31).stages()) > 1
    )
    assert TrainConfig(length=100, curriculum=False).stages() == [100]
    assert TrainConfig(length=20, curriculum=True, start_length=5).stages() == [
        5,
        7,
        10,
        15,
        20,
    ]


def test_curriculum_stages_grow_to_the_target():
    lengths = curriculum.stages(100, 10, 1.5)
    assert lengths[0] == 10 and lengths[-1] == 100
    assert all(a < b for a, b in zip(lengths, lengths[1:]))
    assert curriculum.stages(8, 10, 1.5) == [8]
    with pytest.raises(ValueError):
        curriculum.stages(100, 10, 1.0)


def test_factory_builds_the_asked_model_reproducibly():
    lstm = make_model(TrainConfig(model="lstm", hidden=16))
    assert isinstance(lstm, FastLSTM)
    assert isinstance(
        make_model(TrainConfig(model="rnn", hidden=16, encoding="scalar")), FastRNN
    )
    again = make_model(TrainConfig(model="lstm", hidden=16))
    other = make_model(TrainConfig(model="lstm", hidden=16, seed=1))
    assert torch.equal(lstm.W_gh, again.W_gh) and not torch.equal(lstm.W_gh, other.W_gh)
    torch.testing.assert_close(lstm.b_f, torch.full((16,), 1.0))
    x = torch.zeros(3, 7, 10)
    assert lstm(x).shape == (3, 10)


def test_make_model_leaves_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    make_model(TrainConfig(hidden=8))
    assert torch.equal(torch.rand(3), expected)


def test_evaluate_counts_correct_predictions():
    class Fixed(torch.nn.Module):  # always predicts digit 3
        def forward(self, x):
            return torch.nn.functional.one_hot(torch.full((len(x),), 3), 10).float()

    y = torch.tensor([3, 3, 1, 3])
    assert evaluate(Fixed(), torch.zeros(4, 2, 10), y, chunk=3) == 0.75


def test_lstm_learns_length_5_to_100_percent():
    config = TrainConfig(length=5, steps=600, eval_every=25, eval_size=500)
    history = train(config, show_progress=False)
    assert history.accuracy == 1.0
    assert history.steps < config.steps  # stopped early
    assert history.records[-1].accuracy == 1.0
    steps = [r.step for r in history.records]
    assert steps == sorted(steps) and all(
        0 <= r.train_accuracy <= 1 for r in history.records
    )
    summary = history.summary()
    assert {"model", "length", "steps", "accuracy", "seconds"} <= set(summary)


def test_curriculum_walks_through_its_stages():
    stages = dict(curriculum=True, start_length=4, growth=2.0)
    config = TrainConfig(length=12, **stages, steps=800, eval_every=25, eval_size=300)
    config = dataclasses.replace(config, hidden=32, lr=3e-3)
    history = train(config, show_progress=False)
    seen = [r.length for r in history.records]
    assert seen[0] == 4 and seen == sorted(seen)
    assert set(seen) == {4, 8, 12}
    assert history.accuracy >= 0.99


@pytest.mark.parametrize(
    "passes, stage, probed",
    [
        (
            {15: 1.0, 22: 0.995, 30: 0.5},
            (3, 0.5),
            [(15, 1.0), (22, 0.995)],
        ),  # trains at 30
        (
            {15: 1.0, 22: 1.0, 30: 1.0},
            (3, 1.0),
            [(15, 1.0), (22, 1.0), (30, 1.0)],
        ),  # done
        ({15: 0.9}, (1, 0.9), []),  # the first probe fails: train at 15
        (
            {30: 0.995},
            (3, 0.995),
            [],
        ),  # the last length needs target_accuracy, not advance_at
    ],
)
def test_probing_skips_only_the_stages_the_model_passes(passes, stage, probed):
    config = TrainConfig(length=30, curriculum=True, probe_from=12)
    lengths = [10, 15, 22, 30]
    history = History(config=config)
    start = 1 if 15 in passes else 3
    assert _probe(start, lengths, config, passes.__getitem__, history) == stage
    assert history.probed == probed
    assert ("skipped_stages" in history.summary()) == bool(probed)


def test_stages_below_probe_from_are_trained_not_probed():
    config = TrainConfig(length=30, curriculum=True)  # probe_from 200: never probed
    history = History(config=config)

    def held_out(length):
        raise AssertionError(f"probed T={length}")

    assert _probe(1, [10, 15, 22, 30], config, held_out, history) == (1, -1.0)
    assert history.probed == []


def test_same_seed_same_history():
    config = TrainConfig(
        model="rnn",
        length=6,
        steps=30,
        eval_every=10,
        eval_size=100,
        hidden=16,
        device="cpu",
    )
    a, b = train(config, show_progress=False), train(config, show_progress=False)
    assert [(r.loss, r.accuracy) for r in a.records] == [
        (r.loss, r.accuracy) for r in b.records
    ]
    c = train(dataclasses.replace(config, seed=1), show_progress=False)
    assert [r.loss for r in a.records] != [r.loss for r in c.records]


def test_a_run_whose_long_stages_pass_their_probes_stops_without_training_them(
    monkeypatch,
):
    import importlib

    # the module (the package's ``train`` attribute is the function)
    training = importlib.import_module("lib.palindrome.train")

    asked = []

    def always_right(model, length, size, seed, encoding):
        asked.append(length)
        return 1.0

    monkeypatch.setattr(training, "heldout_accuracy", always_right)
    config = TrainConfig(
        length=12, curriculum=True, start_length=4, growth=2.0, probe_from=8
    )
    config = dataclasses.replace(config, hidden=8, eval_every=5, device="cpu")
    history = train(config, show_progress=False)
    assert history.steps == 5  # trained at T = 4 only, until the first check
    assert asked == [4, 8, 12]  # the probes' result is the run's: no second look
    assert history.probed == [(8, 1.0), (12, 1.0)] and history.accuracy == 1.0
    assert history.summary()["skipped_stages"] == [[8, 1.0], [12, 1.0]]
