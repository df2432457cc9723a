"""The hand-derived BPTT of chapter 01 against autograd, and the gradient diagnostics, in float64."""

import pytest
import torch
from torch.testing import assert_close

from lib.lstm import gradients as diag
from lib.lstm.bptt import lstm_backward, lstm_loss_and_grads, step_backward
from lib.lstm.cell import LSTM
from lib.lstm.rnn import RNN

TOL = dict(atol=1e-10, rtol=1e-10)
SHAPES = [(1, 1), (1, 6), (3, 1), (2, 5), (4, 8), (5, 17)]  # (batch, T)


def model_and_data(B, T, D=3, H=5, O=4, forget_bias=1.0, seed=0):
    torch.manual_seed(seed)
    model = LSTM(D, H, O, forget_bias=forget_bias).double()
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(B, T, D, dtype=torch.float64, generator=g)
    y = torch.randint(0, O, (B,), generator=g)
    return model, x, y


@pytest.mark.parametrize("B,T", SHAPES)
@pytest.mark.parametrize("forget_bias", [0.0, 1.0, 3.0])
def test_hand_gradients_match_autograd(B, T, forget_bias):
    model, x, y = model_and_data(B, T, forget_bias=forget_bias)
    loss, grads = lstm_loss_and_grads(model, x, y)
    ref_loss, ref_grads = diag.autograd_loss_and_grads(model, x, y)
    assert_close(loss, ref_loss, **TOL)
    assert list(grads) == list(ref_grads)
    for name in ref_grads:
        assert_close(
            grads[name], ref_grads[name], **TOL, msg=lambda m, name=name: f"{name}: {m}"
        )


@pytest.mark.parametrize("B,T", SHAPES)
def test_hidden_gradients_match_autograd(B, T):
    model, x, y = model_and_data(B, T)
    dh = lstm_backward(model, x, y).dh
    assert len(dh) == T
    assert_close(
        torch.stack([d.norm() for d in dh]), diag.hidden_grad_norms(model, x, y), **TOL
    )


def test_hand_backward_uses_no_autograd():
    model, x, y = model_and_data(2, 4)
    loss, grads = lstm_loss_and_grads(model, x, y)
    assert not loss.requires_grad and not any(g.requires_grad for g in grads.values())
    assert all(p.grad is None for p in model.parameters())


def test_cell_path_is_diag_f():
    """What flows from c_t to c_{t-1} along the cell is dc ⊙ f_t, and nothing else."""
    model, x, _ = model_and_data(3, 2)
    s = model.states(x)[-1]
    dc = torch.randn_like(s.c)
    back = step_backward(s, torch.zeros_like(s.c), torch.zeros_like(s.h), dc, model)
    assert_close(back.dc_prev, dc * s.f, **TOL)


def test_a_wrong_gradient_is_caught():
    model, x, y = model_and_data(2, 5)
    _, grads = lstm_loss_and_grads(model, x, y)
    _, ref = diag.autograd_loss_and_grads(model, x, y)
    grads["W_fh"] = grads["W_fh"] * (1 + 1e-6)
    rows = {r.name: r for r in diag.compare_grads(grads, ref)}
    assert not rows["W_fh"].matches and rows["W_gx"].matches


def test_compare_grads_rejects_different_names():
    with pytest.raises(ValueError):
        diag.compare_grads({"a": torch.zeros(1)}, {"b": torch.zeros(1)})


def test_compare_grads_flags_shape_mismatch():
    (row,) = diag.compare_grads({"a": torch.zeros(2)}, {"a": torch.zeros(3)})
    assert not row.matches


@pytest.mark.parametrize(
    "y", [torch.tensor([0, 1, 2]), torch.tensor([[0], [1]]), torch.tensor(0)]
)
def test_bad_targets_raise(y):
    model, x, _ = model_and_data(2, 3)
    with pytest.raises(ValueError):
        lstm_loss_and_grads(model, x, y)


def test_wrong_input_shape_raises():
    model, _, y = model_and_data(2, 3)
    with pytest.raises(ValueError):
        lstm_loss_and_grads(model, torch.zeros(2, 3, 7, dtype=torch.float64), y)


def test_rnn_hidden_grad_norms_match_manual_backprop():
    """For the RNN, ∂L/∂h_{t-1} = (∂L/∂h_t ⊙ (1 - h_t²)) W_hh, written out by hand."""
    torch.manual_seed(0)
    model = RNN(10, 6, 10).double()
    x, y = diag.first_digit_task(3, 7, torch.Generator().manual_seed(0))
    with torch.no_grad():
        hs = model.hiddens(x)
        p = hs[-1] @ model.W_ph.T + model.b_p
        dh = (
            (torch.softmax(p, -1) - torch.nn.functional.one_hot(y, 10)) / 3 @ model.W_ph
        )
        norms = [dh.norm()]
        for h in reversed(hs[1:]):
            dh = (dh * (1 - h**2)) @ model.W_hh
            norms.append(dh.norm())
    assert_close(diag.hidden_grad_norms(model, x, y), torch.stack(norms[::-1]), **TOL)
    assert all(p.grad is None for p in model.parameters())


def test_hidden_grad_norms_rejects_other_models():
    with pytest.raises(ValueError):
        diag.hidden_grad_norms(
            torch.nn.Linear(3, 3),
            torch.zeros(1, 2, 3),
            torch.zeros(1, dtype=torch.long),
        )


def test_decay_per_step():
    norms = torch.tensor([0.125, 0.25, 0.5, 1.0])
    assert diag.decay_per_step(norms) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        diag.decay_per_step(torch.tensor([1.0]))


def test_first_digit_task_is_seeded_one_hot():
    x, y = diag.first_digit_task(4, 9, torch.Generator().manual_seed(3))
    x2, y2 = diag.first_digit_task(4, 9, torch.Generator().manual_seed(3))
    assert x.shape == (4, 9, 10) and y.shape == (4,)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert torch.equal(x.sum(-1), torch.ones(4, 9, dtype=x.dtype))
    assert torch.equal(x[:, 0].argmax(-1), y)


def test_plot_grad_norms_zoom_adds_a_panel_with_one_curve():
    import matplotlib

    matplotlib.use("Agg")
    norms = {"RNN": torch.logspace(-5, 0, 10), "LSTM": torch.linspace(0.5, 1, 10)}
    assert len(diag.plot_grad_norms(norms).axes) == 1
    fig = diag.plot_grad_norms(norms, zoom="LSTM")
    left, right = fig.axes
    assert len(left.get_lines()) == 2 and len(right.get_lines()) == 1
    # the same model keeps its colour in both panels
    assert right.get_lines()[0].get_color() == left.get_lines()[1].get_color()
