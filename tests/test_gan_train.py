"""The training loop: both steps move their network, snapshots and history are recorded, runs are seeded."""
import json
from pathlib import Path

import pytest
import torch
from torch import nn

import lib.mnist
from lib.gan import DEFAULT_CONFIG, GANConfig, default_run, sample
from lib.gan.cache import cache_path
from lib.gan.train import gan_step, new_state, steps_per_epoch, train

ROOT = Path(__file__).resolve().parents[1]


def tiny_images(n=128, seed=0):
    """Synthetic 'digits' in [-1, 1]: enough for the loop's mechanics, fast."""
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def tiny_config(**changes):
    return GANConfig(**{"epochs": 2, "batch_size": 32, "device": "cpu", **changes})


def test_one_step_moves_both_networks_and_reports_probabilities():
    state = new_state(tiny_config())
    g0 = [p.clone() for p in state.generator.parameters()]
    d0 = [p.clone() for p in state.discriminator.parameters()]
    loss_d, loss_g, d_real, d_fake = gan_step(state, tiny_images(32), nn.BCEWithLogitsLoss())
    assert all(not torch.equal(a, b) for a, b in zip(g0, state.generator.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(d0, state.discriminator.parameters()))
    assert loss_d > 0 and loss_g > 0 and 0 < d_real < 1 and 0 < d_fake < 1


def test_discriminator_step_alone_does_not_touch_the_generator():
    state = new_state(tiny_config())
    state.opt_g = torch.optim.SGD(state.generator.parameters(), lr=0.0)  # freeze G's update, keep its gradient
    g0 = [p.clone() for p in state.generator.parameters()]
    gan_step(state, tiny_images(32), nn.BCEWithLogitsLoss())
    assert all(torch.equal(a, b) for a, b in zip(g0, state.generator.parameters()))


def test_history_snapshots_and_tracking():
    cfg = tiny_config(epochs=3, track_every=2, track_samples=10)
    state = new_state(cfg)
    begin = sample(state.generator, 25, z=state.fixed_z)
    train(state, tiny_images(128))
    steps = steps_per_epoch(128, 32) * 3
    assert state.step == steps and state.epoch == 3
    assert all(len(state.history[k]) == steps for k in ("loss_d", "loss_g", "d_real", "d_fake"))
    assert state.history["epoch_end_step"] == [4, 8, 12]
    assert set(state.snapshots) == {"begin", "middle", "final"}
    assert all(s.shape == (25, 1, 28, 28) for s in state.snapshots.values())
    assert torch.equal(state.snapshots["begin"], begin)
    assert not torch.equal(state.snapshots["begin"], state.snapshots["final"])
    assert state.tracked["epoch"] == [0, 2, 3]
    assert state.tracked["images"][0].dtype == torch.uint8 and state.tracked["images"][0].shape == (10, 1, 28, 28)
    assert state.generator.training  # sampling for the snapshots gave the mode back


def test_same_seed_same_weights_other_seed_other_weights():
    a = train(new_state(tiny_config()), tiny_images())
    b = train(new_state(tiny_config()), tiny_images())
    c = train(new_state(tiny_config(seed=1)), tiny_images())
    assert all(torch.equal(x, y) for x, y in zip(a.generator.state_dict().values(), b.generator.state_dict().values()))
    assert not torch.equal(a.generator.net[0].weight, c.generator.net[0].weight)


def test_limit_uses_a_subset_and_too_few_digits_fail_clearly():
    state = train(new_state(tiny_config(limit=64, epochs=1)), tiny_images(128))
    assert state.step == 2
    with pytest.raises(ValueError, match="fewer than one batch"):
        train(new_state(tiny_config()), tiny_images(16))


def test_new_state_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    new_state(tiny_config())
    assert torch.equal(torch.rand(3), expected)


def test_default_run_trains_once_then_loads_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(lib.mnist, "source_info", lambda root="data": {"source": "fake", "sha256": "abc"})
    monkeypatch.setattr(lib.mnist, "mnist_tensors", lambda root="data", train=True: (tiny_images(), torch.zeros(128)))
    cfg = tiny_config(epochs=1)
    first = default_run(cache_dir=tmp_path, device="cpu", config=cfg)
    assert cache_path(cfg, cache_dir=tmp_path).is_file()
    import lib.gan.cache as cache

    monkeypatch.setattr(cache, "train", lambda *a, **k: pytest.fail("trained again instead of loading the cache"))
    second = default_run(cache_dir=tmp_path, device="cpu", config=cfg)
    assert not second.generator.training
    assert all(torch.equal(x, y) for x, y in
               zip(first.generator.state_dict().values(), second.generator.state_dict().values()))
    other_data = cache_path(cfg, cache_dir=tmp_path)
    monkeypatch.setattr(lib.mnist, "source_info", lambda root="data": {"source": "fake", "sha256": "other"})
    assert cache_path(cfg, cache_dir=tmp_path) != other_data  # other data, other cache entry
    assert cache_path(tiny_config(epochs=2), cache_dir=tmp_path) != cache_path(cfg, cache_dir=tmp_path)


def test_default_recipe_is_the_benchmark_winner():
    results = json.loads((ROOT / "results" / "gan_recipes.json").read_text())
    winner = next(r for r in results["results"] if r["recipe"] == results["winner"])
    overrides = winner["overrides"]
    assert tuple(overrides.get("betas", (0.9, 0.999))) == DEFAULT_CONFIG.betas
    assert overrides.get("label_smoothing", 0.0) == DEFAULT_CONFIG.label_smoothing
