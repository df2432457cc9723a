"""The weight average the GAN delivers gets batch-norm statistics of its own (lib.gan.steps)."""

import torch

from lib.gan import GANConfig
from lib.gan.steps import gan_step, refresh_statistics
from lib.gan.train import delivered, new_state


def averaged_state():
    state = new_state(GANConfig(batch_size=32, ema=0.9, device="cpu"))
    images = (
        torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    )
    for batch in images.split(32):
        gan_step(state, batch)
    return state


def test_the_average_gets_the_statistics_of_its_own_activations():
    state = averaged_state()
    refresh_statistics(state)
    first = state.averaged.net[3]  # the first BatchNorm1d, after Linear 128 -> 256
    assert isinstance(first, torch.nn.BatchNorm1d) and first.momentum == 0.1
    rng = torch.Generator().manual_seed(state.config.seed + 5)  # its noise, redrawn
    z = torch.randn(100 * 32, 100, generator=rng)
    with torch.no_grad():
        pre = state.averaged.net[:3](z)  # (N, 256) what the norm saw
    assert torch.allclose(first.running_mean, pre.mean(0), atol=1e-5)
    # G's own statistics are another matter: the average's are not a copy of them
    assert not torch.equal(first.running_mean, state.generator.net[3].running_mean)


def test_the_statistics_depend_on_the_weights_only():
    state = averaged_state()
    delivered(state)
    once = [b.clone() for b in state.averaged.buffers()]
    state.averaged.net[3].running_mean.add_(1.0)  # whatever was there before
    delivered(state)
    assert all(torch.equal(a, b) for a, b in zip(once, state.averaged.buffers()))


def test_without_an_average_g_keeps_its_own_statistics():
    state = new_state(GANConfig(batch_size=32, device="cpu"))
    gan_step(state, torch.rand(32, 1, 28, 28) * 2 - 1)
    before = [b.clone() for b in state.generator.buffers()]
    assert delivered(state) is state.generator
    assert all(torch.equal(a, b) for a, b in zip(before, state.generator.buffers()))


def test_a_mid_run_checkpoint_delivers_the_average_with_its_own_statistics(tmp_path):
    from lib.gan.checkpoints import load_generator, save_state

    state = averaged_state()  # trained, never refreshed: its statistics are stale
    save_state(state, tmp_path / "checkpoint.pt")
    loaded, _ = load_generator(tmp_path / "checkpoint.pt")
    delivered(state)
    for mine, fresh in zip(loaded.buffers(), state.averaged.buffers()):
        assert torch.equal(mine, fresh)
    assert not loaded.training
