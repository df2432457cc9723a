"""The R1 penalty of chapter 03's recipe (``lib.gan.losses.r1_penalty``, ``GANConfig.r1_gamma``),
checked against per-digit Jacobians and finite differences in float64."""

import copy

import pytest
import torch
from torch.func import jacrev, vmap

from lib.gan import GANConfig
from lib.gan.losses import r1_penalty
from lib.gan.models import Discriminator
from lib.gan.steps import gan_step
from lib.gan.train import new_state


def _discriminator64(seed=0) -> Discriminator:
    torch.manual_seed(seed)
    return Discriminator().double()


def _digits64(n=8, seed=1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g, dtype=torch.float64) * 2 - 1


def test_the_penalty_is_the_mean_squared_norm_of_each_digits_gradient():
    D, x = _discriminator64(), _digits64()
    x.requires_grad_(True)
    got = r1_penalty(D(x), x)
    # the gradient of one digit's logit, digit by digit: (B, 1, 28, 28)
    per_digit = vmap(jacrev(lambda one: D(one[None])[0]))(x.detach())
    expected = per_digit.pow(2).sum(dim=(1, 2, 3)).mean()
    torch.testing.assert_close(got, expected)


def test_the_penalty_trains_d_by_its_true_gradient():
    """Double backpropagation: autograd's derivative along a random direction of D's weights
    equals the central finite difference of the penalty."""
    D, x = _discriminator64(), _digits64()

    def penalty() -> torch.Tensor:
        xx = x.clone().requires_grad_(True)
        return r1_penalty(D(xx), xx)

    params = list(D.parameters())
    grads = torch.autograd.grad(penalty(), params, materialize_grads=True)
    g = torch.Generator().manual_seed(2)
    direction = [torch.randn(p.shape, generator=g, dtype=p.dtype) for p in params]
    along = sum((gr * d).sum() for gr, d in zip(grads, direction))
    eps = 1e-6
    with torch.no_grad():
        for p, d in zip(params, direction):
            p.add_(eps * d)
    up = penalty().detach()
    with torch.no_grad():
        for p, d in zip(params, direction):
            p.sub_(2 * eps * d)
    down = penalty().detach()
    torch.testing.assert_close(along, (up - down) / (2 * eps), rtol=1e-6, atol=1e-9)
    assert (
        along.abs() > 1e-3
    )  # the check is not vacuous: the penalty depends on D's weights


def _d_update(r1_gamma: float, r1_every: int = 1, step: int = 0):
    """D's change in one step with plain SGD at learning rate 1 (minus the step's gradient), D
    before the step, and the real batch; the step is the run's ``step``-th."""
    config = GANConfig(
        batch_size=16, device="cpu", r1_gamma=r1_gamma, r1_every=r1_every
    )
    state = new_state(config)
    state.step = step
    state.opt_d = torch.optim.SGD(state.discriminator.parameters(), lr=1.0)
    before = [p.detach().clone() for p in state.discriminator.parameters()]
    real = _digits64(16).float()
    D0 = copy.deepcopy(state.discriminator)
    gan_step(state, real)
    return (
        [b - p.detach() for b, p in zip(before, state.discriminator.parameters())],
        D0,
        real,
    )


def test_r1_gamma_adds_half_gamma_times_the_penalty_gradient_to_ds_step():
    plain, D0, real = _d_update(0.0)
    with_r1, _, _ = _d_update(4.0)
    x = real.clone().requires_grad_(True)
    expected = torch.autograd.grad(
        2.0 * r1_penalty(D0(x), x), list(D0.parameters()), materialize_grads=True
    )  # the last bias has no say in the penalty: its share is zero
    for got, want in zip((w - p for w, p in zip(with_r1, plain)), expected):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)
    assert any(w.abs().max() > 1e-4 for w in expected)


@pytest.mark.parametrize("step", [0, 1, 3, 6])
def test_every_nth_step_carries_the_penalty_n_times(step):
    plain, D0, real = _d_update(0.0, step=step)
    lazy, _, _ = _d_update(4.0, r1_every=3, step=step)
    x = real.clone().requires_grad_(True)
    # 3 x gamma / 2 = 6 on the steps 0, 3, 6, ...; nothing in between
    weight = 6.0 if step % 3 == 0 else 0.0
    expected = torch.autograd.grad(
        weight * r1_penalty(D0(x), x), list(D0.parameters()), materialize_grads=True
    )
    for got, want in zip((w - p for w, p in zip(lazy, plain)), expected):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)


def test_a_config_without_r1_gamma_loads_as_no_penalty():
    saved = GANConfig(device="cpu").to_dict()
    del saved["r1_gamma"], saved["r1_every"]  # a checkpoint from before the fields
    assert GANConfig.from_dict(saved).r1_gamma == 0.0


@pytest.mark.parametrize("gamma", [-1.0, float("nan"), float("inf"), "1", True])
def test_bad_r1_gammas_are_refused(gamma):
    with pytest.raises(ValueError, match="r1_gamma"):
        GANConfig(r1_gamma=gamma)


@pytest.mark.parametrize("every", [0, -2, 1.5, True])
def test_bad_r1_periods_are_refused(every):
    with pytest.raises(ValueError, match="r1_every"):
        GANConfig(r1_every=every)
