"""lib.lstm.rnn.RNN against torch.nn.RNN + nn.Linear in float64: values and gradients."""

import pytest
import torch
from helpers import SHAPES, TOL, inputs, torch_logits
from torch import nn
from torch.testing import assert_close

from lib.lstm.rnn import RNN


def torch_pair(D=3, H=5, O=4, seed=0, bias=True):
    torch.manual_seed(seed)
    return nn.RNN(D, H, batch_first=True, bias=bias).double(), nn.Linear(
        H, O, bias=bias
    ).double()


@pytest.mark.parametrize("B,T", SHAPES)
def test_logits_and_hiddens_match_torch(B, T):
    rnn, head = torch_pair()
    model = RNN.from_torch(rnn, head)
    x = inputs(B, T)
    out, _ = rnn(x)
    hs = model.hiddens(x)
    assert len(hs) == T
    assert_close(torch.stack(hs, 1), out, **TOL)
    assert_close(model(x), torch_logits(rnn, head, x), **TOL)


@pytest.mark.parametrize("B,T", SHAPES)
def test_gradients_match_torch(B, T):
    rnn, head = torch_pair()
    model = RNN.from_torch(rnn, head)
    x = inputs(B, T)
    y = torch.arange(B) % head.out_features
    nn.functional.cross_entropy(torch_logits(rnn, head, x), y).backward()
    nn.functional.cross_entropy(model(x), y).backward()
    assert_close(rnn.bias_hh_l0.grad, rnn.bias_ih_l0.grad, **TOL)
    expected = {
        "W_hx": rnn.weight_ih_l0.grad,
        "W_hh": rnn.weight_hh_l0.grad,
        "b_h": rnn.bias_ih_l0.grad,
        "W_ph": head.weight.grad,
        "b_p": head.bias.grad,
    }
    for name, p in model.named_parameters():
        assert_close(
            p.grad, expected[name], **TOL, msg=lambda m, name=name: f"{name}: {m}"
        )


def test_from_torch_without_biases():
    rnn, head = torch_pair(bias=False)
    model = RNN.from_torch(rnn, head)
    x = inputs(2, 4)
    assert_close(model(x), torch_logits(rnn, head, x), **TOL)


def test_recurrent_weights_matter():
    """The comparison could fail: another W_hh gives other logits."""
    rnn, head = torch_pair()
    model = RNN.from_torch(rnn, head)
    with torch.no_grad():
        model.W_hh.mul_(0.5)
    x = inputs(2, 4)
    assert (model(x) - torch_logits(rnn, head, x)).abs().max() > 1e-6


@pytest.mark.parametrize(
    "make",
    [
        lambda: (nn.LSTM(3, 5, batch_first=True), nn.Linear(5, 4)),
        lambda: (nn.GRU(3, 5, batch_first=True), nn.Linear(5, 4)),
        lambda: (nn.RNN(3, 5, nonlinearity="relu", batch_first=True), nn.Linear(5, 4)),
        lambda: (nn.RNN(3, 5, num_layers=2, batch_first=True), nn.Linear(5, 4)),
        lambda: (nn.RNN(3, 5, bidirectional=True, batch_first=True), nn.Linear(10, 4)),
        lambda: (nn.RNN(3, 5), nn.Linear(5, 4)),  # batch_first=False
        lambda: (
            nn.RNN(3, 5, batch_first=True),
            nn.Linear(6, 4),
        ),  # head of the wrong width
        lambda: (nn.RNN(3, 5, batch_first=True), nn.Identity()),
    ],
    ids=[
        "lstm",
        "gru",
        "relu",
        "two-layers",
        "bidirectional",
        "time-first",
        "head-width",
        "head-type",
    ],
)
def test_from_torch_rejects_unsupported(make):
    with pytest.raises(ValueError):
        RNN.from_torch(*make())


@pytest.mark.parametrize(
    "dims", [(0, 4, 2), (3, -1, 2), (3, 4, 0), (2.5, 4, 2), (3, True, 2)]
)
def test_bad_dims_raise(dims):
    with pytest.raises(ValueError):
        RNN(*dims)


@pytest.mark.parametrize(
    "shape", [(5, 3), (2, 4, 2), (2, 4, 3, 1), (2, 0, 3), (0, 4, 3)]
)
def test_wrong_input_shape_raises(shape):
    model = RNN(3, 4, 2)
    with pytest.raises(ValueError):
        model(torch.zeros(shape))


def test_shapes_and_parameter_names():
    model = RNN(3, 4, 2)
    assert [n for n, _ in model.named_parameters()] == [
        "W_hx",
        "W_hh",
        "b_h",
        "W_ph",
        "b_p",
    ]
    assert model(torch.zeros(5, 7, 3)).shape == (5, 2)
