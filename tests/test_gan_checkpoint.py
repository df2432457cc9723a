"""GAN checkpoints: a full round trip, and clear refusals of pickled code, truncation and other models."""

import pytest
import torch
from helpers import evil_checkpoint

from lib.core.files import save_atomic
from lib.gan import GANConfig
from lib.gan.checkpoints import load_generator, load_state, save_generator, save_state
from lib.gan.train import new_state, train

# Resume must give torch.equal weights: pin one thread so reductions round the same in every run.
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def trained():
    images = (
        torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    )
    return train(
        new_state(
            GANConfig(
                epochs=1, batch_size=32, device="cpu", track_every=1, track_samples=4
            )
        ),
        images,
    )


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_training_state_round_trip(trained, tmp_path):
    path = save_state(trained, tmp_path / "checkpoint.pt", {"source": "test"})
    state, data = load_state(path)
    assert data == {"source": "test"}
    assert state.config == trained.config and (state.epoch, state.step) == (
        trained.epoch,
        trained.step,
    )
    assert same(state.generator.state_dict(), trained.generator.state_dict())
    assert same(state.discriminator.state_dict(), trained.discriminator.state_dict())
    for opt, ref in ((state.opt_g, trained.opt_g), (state.opt_d, trained.opt_d)):
        for k, moments in ref.state_dict()["state"].items():
            assert same(opt.state_dict()["state"][k], moments)
    assert state.history == trained.history
    assert same(state.snapshots, trained.snapshots)
    assert state.tracked["epoch"] == trained.tracked["epoch"]
    assert torch.equal(state.data_rng.get_state(), trained.data_rng.get_state())
    assert torch.equal(state.noise_rng.get_state(), trained.noise_rng.get_state())
    assert torch.equal(state.fixed_z, trained.fixed_z)


def test_generator_file_round_trip(trained, tmp_path):
    path = save_generator(
        trained.generator, trained.config, tmp_path / "mnist_generator.pt"
    )
    generator, config = load_generator(path)
    assert config == trained.config and not generator.training
    assert same(generator.state_dict(), trained.generator.state_dict())
    from_full, _ = load_generator(
        save_state(trained, tmp_path / "checkpoint.pt")
    )  # the full checkpoint works too
    assert same(from_full.state_dict(), trained.generator.state_dict())


def test_no_temporary_file_is_left(trained, tmp_path):
    save_state(trained, tmp_path / "checkpoint.pt")
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_a_pickle_that_would_run_code_is_refused_and_does_not_run(tmp_path):
    marker = tmp_path / "code_ran"
    path = tmp_path / "evil.pt"
    evil_checkpoint(path, marker)
    with pytest.raises(ValueError, match="refused"):
        load_generator(path)
    with pytest.raises(ValueError, match="refused"):
        load_state(path)
    assert not marker.exists()
    torch.load(
        path, weights_only=False
    )  # the control: an unrestricted load does run it
    assert marker.exists()


def test_a_truncated_checkpoint_gives_a_clear_error(trained, tmp_path):
    path = save_generator(trained.generator, trained.config, tmp_path / "g.pt")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_generator(path)


@pytest.mark.parametrize("kind", ["palindrome", "mnist-classifier", "lstm"])
def test_a_checkpoint_of_another_model_is_refused(tmp_path, kind):
    path = save_atomic(
        {"kind": kind, "format": 1, "config": {}, "state_dict": {"w": torch.zeros(2)}},
        tmp_path / "other.pt",
    )
    with pytest.raises(ValueError, match=kind):
        load_generator(path)
    with pytest.raises(ValueError, match=kind):
        load_state(path)


def test_a_gan_checkpoint_with_wrong_weights_is_refused(tmp_path):
    path = save_atomic(
        {
            "kind": "gan-generator",
            "format": 1,
            "config": GANConfig().to_dict(),
            "generator": {"net.0.weight": torch.zeros(3, 3)},
        },
        tmp_path / "g.pt",
    )
    with pytest.raises(ValueError, match="do not fit"):
        load_generator(path)


def test_a_missing_checkpoint_is_a_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_generator(tmp_path / "nothing.pt")


def test_the_weight_average_survives_a_checkpoint_and_is_what_loads(tmp_path):
    images = (
        torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    )
    config = GANConfig(epochs=1, batch_size=32, device="cpu", ema=0.9)
    trained = train(new_state(config), images)
    path = save_state(trained, tmp_path / "checkpoint.pt")
    state, _ = load_state(path)
    assert same(state.averaged.state_dict(), trained.averaged.state_dict())
    assert same(state.generator.state_dict(), trained.generator.state_dict())
    generator, _ = load_generator(path)  # a full checkpoint delivers the average
    assert same(generator.state_dict(), trained.averaged.state_dict())
    checkpoint = torch.load(path, weights_only=True)
    del checkpoint["averaged"]
    torch.save(checkpoint, tmp_path / "cut.pt")
    with pytest.raises(ValueError, match="does not match"):
        load_state(tmp_path / "cut.pt")
