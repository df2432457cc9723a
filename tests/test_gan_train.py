"""The training loop: both steps move their network, snapshots and history are recorded, runs are seeded."""

import copy
import dataclasses
import json
from pathlib import Path

import pytest
import torch
from torch import nn

import lib.mnist
from lib.core.repro import torch_threads
from lib.gan import DEFAULT_CONFIG, GANConfig, default_run, sample
from lib.gan.cache import cache_path
from lib.gan.losses import discriminator_loss, non_saturating_loss
from lib.gan.steps import gan_step, generator_step
from lib.gan.train import new_state, run_epoch, steps_per_epoch, train

ROOT = Path(__file__).resolve().parents[1]


def tiny_images(n=128, seed=0):
    """Synthetic 'digits' in [-1, 1]: enough for the loop's mechanics, fast."""
    return (
        torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    )


def tiny_config(**changes):
    return GANConfig(**{"epochs": 2, "batch_size": 32, "device": "cpu", **changes})


def test_one_step_moves_both_networks_and_reports_probabilities():
    state = new_state(tiny_config())
    g0 = [p.clone() for p in state.generator.parameters()]
    d0 = [p.clone() for p in state.discriminator.parameters()]
    loss_d, loss_g, d_real, d_fake = gan_step(state, tiny_images(32))
    assert all(not torch.equal(a, b) for a, b in zip(g0, state.generator.parameters()))
    assert all(
        not torch.equal(a, b) for a, b in zip(d0, state.discriminator.parameters())
    )
    assert loss_d > 0 and loss_g > 0 and 0 < d_real < 1 and 0 < d_fake < 1


def test_discriminator_step_alone_does_not_touch_the_generator():
    state = new_state(tiny_config())
    state.opt_g = torch.optim.SGD(
        state.generator.parameters(), lr=0.0
    )  # freeze G's update, keep its gradient
    g0 = [p.clone() for p in state.generator.parameters()]
    gan_step(state, tiny_images(32))
    assert all(torch.equal(a, b) for a, b in zip(g0, state.generator.parameters()))


def test_the_generator_step_gets_gs_gradients_without_computing_ds():
    state = new_state(tiny_config())
    z = torch.randn(
        32, state.config.latent_dim, generator=torch.Generator().manual_seed(1)
    )
    G, D = copy.deepcopy(state.generator), copy.deepcopy(state.discriminator)
    non_saturating_loss(
        D(G(z))
    ).backward()  # the reference: autograd through an unfrozen D
    generator_step(state, state.generator(z))
    for expected, p in zip(G.parameters(), state.generator.parameters()):
        assert torch.equal(p.grad, expected.grad)
    assert all(p.grad is None for p in state.discriminator.parameters())
    assert all(p.requires_grad for p in state.discriminator.parameters())


def adam_updates(optimiser) -> set[int]:
    """How many times Adam has updated each parameter (its per-parameter step counter)."""
    return {int(moments["step"]) for moments in optimiser.state.values()}


@pytest.mark.parametrize("g_steps", [1, 2, 3])
def test_g_steps_is_the_number_of_generator_updates_per_discriminator_update(g_steps):
    state = train(new_state(tiny_config(epochs=1, g_steps=g_steps)), tiny_images(128))
    assert state.step == 4  # still one real batch per training step
    assert adam_updates(state.opt_d) == {4} and adam_updates(state.opt_g) == {
        4 * g_steps
    }


def test_extra_generator_steps_change_the_run():
    one = train(new_state(tiny_config(epochs=1)), tiny_images())
    two = train(new_state(tiny_config(epochs=1, g_steps=2)), tiny_images())
    assert not torch.equal(one.generator.net[0].weight, two.generator.net[0].weight)
    assert (
        len(two.history["loss_g"]) == one.step
    )  # one record per training step, the mean over its G steps


def test_run_epoch_stops_when_asked_and_the_partial_pass_is_no_epoch():
    state, images = new_state(tiny_config()), tiny_images(128)
    assert run_epoch(state, images, stop=lambda: state.step >= 3) is False
    assert (state.step, state.epoch, state.history["epoch_end_step"]) == (3, 0, [])
    assert run_epoch(state, images) is True
    assert (state.step, state.epoch, state.history["epoch_end_step"]) == (7, 1, [7])


def test_history_snapshots_and_tracking():
    cfg = tiny_config(epochs=3, track_every=2, track_samples=10)
    state = new_state(cfg)
    begin = sample(state.generator, 25, z=state.fixed_z)
    train(state, tiny_images(128))
    steps = steps_per_epoch(128, 32) * 3
    assert state.step == steps and state.epoch == 3
    assert all(
        len(state.history[k]) == steps for k in ("loss_d", "loss_g", "d_real", "d_fake")
    )
    assert state.history["epoch_end_step"] == [4, 8, 12]
    assert set(state.snapshots) == {"begin", "middle", "final"}
    assert all(s.shape == (25, 1, 28, 28) for s in state.snapshots.values())
    assert torch.equal(state.snapshots["begin"], begin)
    assert not torch.equal(state.snapshots["begin"], state.snapshots["final"])
    assert state.tracked["epoch"] == [0, 2, 3]
    assert state.tracked["images"][0].dtype == torch.uint8 and state.tracked["images"][
        0
    ].shape == (10, 1, 28, 28)
    assert state.generator.training  # sampling for the snapshots gave the mode back


def test_same_seed_same_weights_other_seed_other_weights():
    a = train(new_state(tiny_config()), tiny_images())
    b = train(new_state(tiny_config()), tiny_images())
    c = train(new_state(tiny_config(seed=1)), tiny_images())
    assert all(
        torch.equal(x, y)
        for x, y in zip(
            a.generator.state_dict().values(), b.generator.state_dict().values()
        )
    )
    assert not torch.equal(a.generator.net[0].weight, c.generator.net[0].weight)


def test_fewer_digits_fewer_steps_and_too_few_fail_clearly():
    state = train(new_state(tiny_config(epochs=1)), tiny_images(64))
    assert state.step == 2
    with pytest.raises(ValueError, match="fewer than one batch"):
        train(new_state(tiny_config()), tiny_images(16))


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_the_losses_training_calls_equal_binary_cross_entropy(smoothing):
    real, fake = torch.randn(
        2, 64, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
    )
    bce = nn.BCEWithLogitsLoss()
    expected_d = bce(real, torch.full_like(real, 1 - smoothing)) + bce(
        fake, torch.zeros_like(fake)
    )
    torch.testing.assert_close(discriminator_loss(real, fake, smoothing), expected_d)
    torch.testing.assert_close(
        non_saturating_loss(fake), bce(fake, torch.ones_like(fake))
    )


def test_new_state_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    new_state(tiny_config())
    assert torch.equal(torch.rand(3), expected)


def test_default_run_trains_once_then_loads_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(
        lib.mnist,
        "source_info",
        lambda root="data": {"source": "fake", "sha256": "abc"},
    )
    monkeypatch.setattr(
        lib.mnist,
        "mnist_tensors",
        lambda root="data", train=True: (tiny_images(), torch.zeros(128)),
    )
    cfg = tiny_config(epochs=1)
    first = default_run(cache_dir=tmp_path, device="cpu", config=cfg)
    assert cache_path(cfg, cache_dir=tmp_path).is_file()
    import lib.gan.cache as cache

    monkeypatch.setattr(
        cache,
        "train",
        lambda *a, **k: pytest.fail("trained again instead of loading the cache"),
    )
    second = default_run(cache_dir=tmp_path, device="cpu", config=cfg)
    assert not second.generator.training
    assert all(
        torch.equal(x, y)
        for x, y in zip(
            first.generator.state_dict().values(),
            second.generator.state_dict().values(),
        )
    )
    other_data = cache_path(cfg, cache_dir=tmp_path)
    monkeypatch.setattr(
        lib.mnist,
        "source_info",
        lambda root="data": {"source": "fake", "sha256": "other"},
    )
    assert (
        cache_path(cfg, cache_dir=tmp_path) != other_data
    )  # other data, other cache entry
    assert cache_path(tiny_config(epochs=2), cache_dir=tmp_path) != cache_path(
        cfg, cache_dir=tmp_path
    )


# benchmarks/gan_recipes.py's stages in the order they were run: each winner goes on to the next
STAGES = [
    "gan_recipes.json",
    "gan_recipes_final.json",
    "gan_recipes_momentum.json",
    "gan_recipes_r1.json",
    "gan_recipes_lr.json",
    "gan_recipes_lr8.json",
    "gan_recipes_lazy.json",
]


def _ranked(results: dict) -> list[dict]:
    """The rule: seeds on target (the later stages), classes of the worst seed, then mean FID."""
    return sorted(
        results["results"],
        key=lambda r: (
            -r.get("seeds_on_target", 0),
            -r["min_classes_present"],
            r["fid_mean"],
        ),
    )


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_names_its_winner_by_the_rule(stage):
    results = json.loads((ROOT / "results" / stage).read_text())
    ranked = _ranked(results)
    assert results["winner"] == ranked[0]["recipe"]
    assert results["winner_overrides"] == ranked[0]["overrides"]
    # every run of every recipe trained on one budget, measured on the same clock
    budget = results["budget_seconds"]
    assert all(
        budget <= run["cpu_seconds"] < budget + 1
        for r in results["results"]
        for run in r["runs"]
    )


@pytest.mark.parametrize("earlier, later", list(zip(STAGES, STAGES[1:])))
def test_each_winner_runs_in_the_next_stage(earlier, later):
    winner = json.loads((ROOT / "results" / earlier).read_text())["winner_overrides"]
    entrants = json.loads((ROOT / "results" / later).read_text())["results"]
    assert any(r["overrides"] == winner for r in entrants)


# stages whose winner was not adopted: the winner's five seeds at the chapter's epochs, and the
# then default's five seeds that overruled them
NOT_ADOPTED = {
    "gan_recipes_lr8.json": ("gan_seeds_recipe_k.json", "gan_seeds_recipe_j.json")
}


def _is_default(overrides: dict) -> bool:
    """Whether a stage's recipe (its overrides on GANConfig's defaults, as the stage trained it) is
    DEFAULT_CONFIG's, whatever their lengths and tracking."""
    recipe = GANConfig(**overrides)
    ignored = {"epochs", "track_every", "track_samples", "seed", "device"}
    return all(
        getattr(recipe, f.name) == getattr(DEFAULT_CONFIG, f.name)
        for f in dataclasses.fields(GANConfig)
        if f.name not in ignored
    )


def test_default_recipe_is_the_newest_adopted_winner():
    adopted = [stage for stage in STAGES if stage not in NOT_ADOPTED]
    results = json.loads((ROOT / "results" / adopted[-1]).read_text())
    assert _is_default(_ranked(results)[0]["overrides"])
    # every later stage set the default against a challenger, and the default kept its place
    for stage in STAGES[STAGES.index(adopted[-1]) + 1 :]:
        assert stage in NOT_ADOPTED


def _on_target(seeds: dict, targets: dict) -> int:
    """Seeds of a ``python -m lib.gan seeds`` file meeting a stage's saved ``targets``."""
    return sum(
        s["inception_score"] >= targets["inception_ratio"] * s["real_inception_score"]
        and s["min_class_count"]
        >= targets["min_class_fraction"] * sum(s["class_counts"])
        for s in seeds["seeds"]
    )


def test_the_defaults_saved_seeds_are_its_recipe_and_all_on_target():
    seeds = json.loads((ROOT / "results" / "gan_seeds.json").read_text())
    recipe = {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in DEFAULT_CONFIG.to_dict().items()
        if k not in ("seed", "device")
    }
    assert seeds["recipe"] == recipe  # made by the default as it stands
    stage = json.loads((ROOT / "results" / STAGES[-1]).read_text())
    assert len(seeds["seeds"]) == 5
    assert _on_target(seeds, stage["targets"]) == 5


@pytest.mark.parametrize("stage, files", NOT_ADOPTED.items())
def test_a_winner_not_adopted_did_worse_over_the_chapters_epochs(stage, files):
    results = json.loads((ROOT / "results" / stage).read_text())
    winner = results["winner_overrides"]
    challenger, default = (
        json.loads((ROOT / "results" / name).read_text()) for name in files
    )
    assert not _is_default(winner)
    # the challenger's seeds are the winner's recipe, trained as long as the default's
    assert challenger["recipe"] == {
        **default["recipe"],
        **winner,
    }
    assert [s["seed"] for s in challenger["seeds"]] == [
        s["seed"] for s in default["seeds"]
    ]
    targets = results["targets"]  # the targets the stage ranked by
    assert _on_target(challenger, targets) < _on_target(default, targets)


def test_cache_key_holds_the_thread_count(tmp_path):
    """Weights trained with 1 and 2 CPU threads differ in the last bits: they must not share an entry."""
    cfg = tiny_config(device="cpu")
    with torch_threads(1):
        one = cache_path(cfg, cache_dir=tmp_path)
    with torch_threads(2):
        two = cache_path(cfg, cache_dir=tmp_path)
    assert one != two


def test_without_ema_the_run_delivers_g_itself():
    state = new_state(tiny_config())
    assert state.averaged is None and state.sampler is state.generator


def test_the_weight_average_follows_g_by_its_decay():
    state = new_state(tiny_config(ema=0.75))
    assert state.sampler is state.averaged
    before = [p.clone() for p in state.averaged.parameters()]
    assert all(
        torch.equal(a, p) for a, p in zip(before, state.generator.parameters())
    )  # the average starts at G
    gan_step(state, tiny_images(32))
    for mean, old, new in zip(
        state.averaged.parameters(), before, state.generator.parameters()
    ):
        assert torch.allclose(mean, 0.75 * old + 0.25 * new, atol=1e-7)
        assert not mean.requires_grad
    # its batch-norm statistics are its own (tests/test_gan_average.py), not G's, copied
    norm = state.averaged.net[3]
    assert torch.equal(norm.running_mean, torch.zeros_like(norm.running_mean))


def test_snapshots_come_from_the_average():
    state = train(new_state(tiny_config(ema=0.9, epochs=1)), tiny_images(64))
    assert torch.equal(
        state.snapshots["final"], sample(state.averaged, 25, z=state.fixed_z)
    )
    assert not torch.equal(
        state.snapshots["final"], sample(state.generator, 25, z=state.fixed_z)
    )


@pytest.mark.parametrize("ema", [-0.1, 1.0, 1.5, float("nan"), "0.9"])
def test_bad_ema_decays_are_refused(ema):
    with pytest.raises(ValueError, match="ema"):
        tiny_config(ema=ema)


def test_adam_is_fused_where_torch_has_the_kernel_and_the_cache_key_says_so(
    monkeypatch,
):
    from lib.gan import cache as gan_cache
    from lib.gan.train import fused_adam

    state = new_state(GANConfig(device="cpu"))
    assert state.opt_g.defaults["fused"] and state.opt_d.defaults["fused"]
    assert fused_adam(torch.device("cuda")) and fused_adam(torch.device("mps")) is None
    # a run trained by another optimiser is not reused from the cache
    before = cache_path(GANConfig(device="cpu"), root="data", cache_dir="cache")
    monkeypatch.setattr(gan_cache, "OPTIMIZER", "Adam, one kernel per tensor")
    assert cache_path(GANConfig(device="cpu"), root="data", cache_dir="cache") != before
