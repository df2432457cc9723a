"""lib.lstm.LSTM against torch.nn.LSTM + nn.Linear in float64: values and gradients."""

import pytest
import torch
from helpers import SHAPES, TOL, inputs, torch_logits
from torch import nn
from torch.testing import assert_close

from lib.lstm.cell import GATES, LSTM, TORCH_GATE_ORDER


def torch_pair(D=3, H=5, O=4, seed=0, bias=True):
    """A float64 torch.nn.LSTM (batch_first) and its head, with biases far from zero."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(D, H, batch_first=True, bias=bias).double()
    head = nn.Linear(H, O).double()
    return lstm, head


@pytest.mark.parametrize("B,T", SHAPES)
def test_logits_match_torch(B, T):
    lstm, head = torch_pair()
    model = LSTM.from_torch(lstm, head)
    x = inputs(B, T)
    assert_close(model(x), torch_logits(lstm, head, x), **TOL)


@pytest.mark.parametrize("B,T", SHAPES)
def test_states_match_torch(B, T):
    lstm, head = torch_pair()
    model = LSTM.from_torch(lstm, head)
    x = inputs(B, T)
    out, (h_T, c_T) = lstm(x)
    states = model.states(x)
    assert len(states) == T
    assert_close(torch.stack([s.h for s in states], 1), out, **TOL)
    assert_close(states[-1].c, c_T[0], **TOL)


def _torch_grads_by_our_names(lstm, head):
    """Regroup PyTorch's stacked (i, f, g, o) gradients under the chapter's names."""
    H = lstm.hidden_size
    grads = {"W_ph": head.weight.grad, "b_p": head.bias.grad}
    for k, gate in enumerate(TORCH_GATE_ORDER):
        rows = slice(k * H, (k + 1) * H)
        grads[f"W_{gate}x"] = lstm.weight_ih_l0.grad[rows]
        grads[f"W_{gate}h"] = lstm.weight_hh_l0.grad[rows]
        grads[f"b_{gate}"] = lstm.bias_ih_l0.grad[
            rows
        ]  # the same gradient reaches bias_hh_l0
        assert_close(lstm.bias_hh_l0.grad[rows], lstm.bias_ih_l0.grad[rows], **TOL)
    return grads


@pytest.mark.parametrize("B,T", SHAPES)
def test_gradients_match_torch(B, T):
    lstm, head = torch_pair()
    model = LSTM.from_torch(lstm, head)
    x = inputs(B, T)
    y = torch.arange(B) % head.out_features
    nn.functional.cross_entropy(torch_logits(lstm, head, x), y).backward()
    nn.functional.cross_entropy(model(x), y).backward()
    expected = _torch_grads_by_our_names(lstm, head)
    for name, p in model.named_parameters():
        assert_close(
            p.grad, expected[name], **TOL, msg=lambda m, name=name: f"{name}: {m}"
        )


def test_input_gradient_matches_torch():
    lstm, head = torch_pair()
    model = LSTM.from_torch(lstm, head)
    x1 = inputs(2, 5).requires_grad_()
    x2 = x1.detach().clone().requires_grad_()
    torch_logits(lstm, head, x1).sum().backward()
    model(x2).sum().backward()
    assert_close(x2.grad, x1.grad, **TOL)


def test_from_torch_without_biases():
    lstm, head = torch_pair(bias=False)
    head = nn.Linear(lstm.hidden_size, 4, bias=False).double()
    model = LSTM.from_torch(lstm, head)
    x = inputs(2, 4)
    assert_close(model(x), torch_logits(lstm, head, x), **TOL)
    assert torch.count_nonzero(model.b_g) == 0 and torch.count_nonzero(model.b_p) == 0


def test_gate_order_matters():
    """The mapping test could fail: swapping two gates' weights changes the logits."""
    lstm, head = torch_pair()
    model = LSTM.from_torch(lstm, head)
    x = inputs(2, 4)
    with torch.no_grad():
        W_i = model.W_ix.clone()
        model.W_ix.copy_(model.W_fx)
        model.W_fx.copy_(W_i)
    assert (model(x) - torch_logits(lstm, head, x)).abs().max() > 1e-6


@pytest.mark.parametrize(
    "make",
    [
        lambda: (nn.GRU(3, 5, batch_first=True), nn.Linear(5, 4)),
        lambda: (nn.RNN(3, 5, batch_first=True), nn.Linear(5, 4)),
        lambda: (nn.LSTM(3, 5, num_layers=2, batch_first=True), nn.Linear(5, 4)),
        lambda: (nn.LSTM(3, 5, bidirectional=True, batch_first=True), nn.Linear(10, 4)),
        lambda: (nn.LSTM(3, 5), nn.Linear(5, 4)),  # batch_first=False
        lambda: (nn.LSTM(3, 5, proj_size=2, batch_first=True), nn.Linear(2, 4)),
        lambda: (
            nn.LSTM(3, 5, batch_first=True),
            nn.Linear(6, 4),
        ),  # head of the wrong width
        lambda: (nn.LSTM(3, 5, batch_first=True), nn.Sequential(nn.Linear(5, 4))),
    ],
    ids=[
        "gru",
        "rnn",
        "two-layers",
        "bidirectional",
        "time-first",
        "projection",
        "head-width",
        "head-type",
    ],
)
def test_from_torch_rejects_unsupported(make):
    with pytest.raises(ValueError):
        LSTM.from_torch(*make())


@pytest.mark.parametrize(
    "dims", [(0, 4, 2), (3, -1, 2), (3, 4, 0), (2.5, 4, 2), (3, True, 2), (3, "4", 2)]
)
def test_bad_dims_raise(dims):
    with pytest.raises(ValueError):
        LSTM(*dims)


@pytest.mark.parametrize(
    "shape", [(5, 3), (2, 4, 2), (2, 4, 3, 1), (2, 0, 3), (0, 4, 3)]
)
def test_wrong_input_shape_raises(shape):
    model = LSTM(3, 4, 2)
    with pytest.raises(ValueError):
        model(torch.zeros(shape))


def test_shapes_and_parameter_names():
    model = LSTM(3, 4, 2)
    names = [n for n, _ in model.named_parameters()]
    assert names == [
        f"{kind}{k}{end}"
        for k in GATES
        for kind, end in (("W_", "x"), ("W_", "h"), ("b_", ""))
    ] + ["W_ph", "b_p"]
    assert (
        model.W_gx.shape == (4, 3)
        and model.W_gh.shape == (4, 4)
        and model.b_g.shape == (4,)
    )
    assert model(torch.zeros(5, 7, 3)).shape == (5, 2)


def test_forget_bias_and_init_bound():
    model = LSTM(3, 16, 2, forget_bias=2.5)
    assert torch.all(model.b_f == 2.5)
    bound = 16**-0.5
    for name, p in model.named_parameters():
        if name != "b_f":
            assert p.abs().max() <= bound
