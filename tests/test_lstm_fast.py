"""lib.lstm.fast.FastLSTM against the readable lib.lstm.LSTM and torch.nn.LSTM, in float64.

FastLSTM must be a drop-in for LSTM: the same state dict, the same logits and the same gradients
for every parameter. Speed is measured in benchmarks/lstm_step.py, never here.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lib.lstm.cell import LSTM
from lib.lstm.fast import FastLSTM

DTYPE = torch.float64
# (batch, T, input_dim, hidden) — B=1, T=1, odd and even T, scalar and one-hot inputs, odd hidden
SHAPES = [
    (1, 1, 1, 7),
    (1, 5, 10, 7),
    (4, 1, 10, 7),
    (3, 7, 1, 7),
    (5, 8, 10, 7),
    (2, 13, 10, 16),
]


def _pair(
    input_dim: int, hidden: int, output_dim: int = 10, seed: int = 0
) -> tuple[LSTM, FastLSTM]:
    torch.manual_seed(seed)
    readable = LSTM(input_dim, hidden, output_dim).to(DTYPE)
    with (
        torch.no_grad()
    ):  # random biases, so that a wrong gate order cannot hide behind b_f = 1
        for p in readable.parameters():
            p.uniform_(-0.8, 0.8)
    fast = FastLSTM(input_dim, hidden, output_dim).to(DTYPE)
    fast.load_state_dict(readable.state_dict())
    return readable, fast


def _inputs(
    batch: int, T: int, input_dim: int, seed: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    if input_dim == 1:
        x = torch.randn(batch, T, 1, generator=gen, dtype=DTYPE)  # (B, T, 1) scalar
    else:
        digits = torch.randint(0, input_dim, (batch, T), generator=gen)
        x = nn.functional.one_hot(digits, input_dim).to(DTYPE)  # (B, T, D) one-hot
    y = torch.randint(0, 10, (batch,), generator=gen)  # (B,)
    return x, y


def _loss_and_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    model.zero_grad(set_to_none=True)
    logits = model(x)  # (B, O)
    nn.functional.cross_entropy(logits, y).backward()
    return logits.detach(), {
        name: p.grad.clone() for name, p in model.named_parameters()
    }


@pytest.mark.parametrize("batch,T,input_dim,hidden", SHAPES)
def test_fast_matches_readable_values_and_gradients(batch, T, input_dim, hidden):
    readable, fast = _pair(input_dim, hidden)
    x, y = _inputs(batch, T, input_dim)
    logits_r, grads_r = _loss_and_grads(readable, x, y)
    logits_f, grads_f = _loss_and_grads(fast, x, y)
    torch.testing.assert_close(logits_f, logits_r, rtol=1e-10, atol=1e-12)
    assert grads_f.keys() == grads_r.keys()
    for name in grads_r:
        torch.testing.assert_close(
            grads_f[name], grads_r[name], rtol=1e-9, atol=1e-12, msg=name
        )


@pytest.mark.parametrize("batch,T,input_dim,hidden", SHAPES)
def test_fast_matches_torch_lstm_through_from_torch(batch, T, input_dim, hidden):
    torch.manual_seed(2)
    lstm = nn.LSTM(input_dim, hidden, batch_first=True).to(DTYPE)
    head = nn.Linear(hidden, 10).to(DTYPE)
    fast = FastLSTM.from_torch(lstm, head)
    assert type(fast) is FastLSTM
    x, y = _inputs(batch, T, input_dim)
    logits_f, grads_f = _loss_and_grads(fast, x, y)
    out, _ = lstm(x)  # (B, T, H)
    logits_t = head(out[:, -1])  # (B, O)
    nn.functional.cross_entropy(logits_t, y).backward()
    torch.testing.assert_close(logits_f, logits_t.detach(), rtol=1e-10, atol=1e-12)
    # torch.nn.LSTM's gradients, mapped onto FastLSTM's names (PyTorch stacks gates i, f, g, o).
    H = hidden
    for k, gate in enumerate(("i", "f", "g", "o")):
        rows = slice(k * H, (k + 1) * H)
        torch.testing.assert_close(grads_f[f"W_{gate}x"], lstm.weight_ih_l0.grad[rows])
        torch.testing.assert_close(grads_f[f"W_{gate}h"], lstm.weight_hh_l0.grad[rows])
        torch.testing.assert_close(
            grads_f[f"b_{gate}"], lstm.bias_ih_l0.grad[rows]
        )  # b_ih and b_hh get the same gradient
    torch.testing.assert_close(grads_f["W_ph"], head.weight.grad)
    torch.testing.assert_close(grads_f["b_p"], head.bias.grad)


def test_input_gradient_matches_readable():
    readable, fast = _pair(3, 7)
    x = torch.randn(4, 6, 3, dtype=DTYPE)
    x_r, x_f = x.clone().requires_grad_(), x.clone().requires_grad_()
    readable(x_r).square().sum().backward()
    fast(x_f).square().sum().backward()
    torch.testing.assert_close(x_f.grad, x_r.grad)


def test_state_dict_round_trip_with_readable():
    readable, fast = _pair(10, 7)
    assert list(fast.state_dict()) == list(readable.state_dict())
    back = LSTM(10, 7, 10).to(DTYPE)
    back.load_state_dict(fast.state_dict())
    x, _ = _inputs(3, 5, 10)
    torch.testing.assert_close(back(x), readable(x))
    torch.testing.assert_close(fast(x), back(x))


def test_no_grad_forward_and_float32():
    readable, fast = _pair(10, 7)
    x, _ = _inputs(3, 9, 10)
    with torch.no_grad():
        torch.testing.assert_close(fast(x), readable(x))
    fast32, readable32 = fast.float(), readable.float()
    torch.testing.assert_close(
        fast32(x.float()), readable32(x.float()), rtol=1e-5, atol=1e-6
    )


def test_repeated_steps_do_not_share_buffers():
    """Two forwards before one backward: each graph must keep its own saved tensors."""
    readable, fast = _pair(10, 7)
    x1, y1 = _inputs(3, 5, 10, seed=3)
    x2, y2 = _inputs(3, 5, 10, seed=4)
    loss_f = nn.functional.cross_entropy(fast(x1), y1) + nn.functional.cross_entropy(
        fast(x2), y2
    )
    loss_r = nn.functional.cross_entropy(
        readable(x1), y1
    ) + nn.functional.cross_entropy(readable(x2), y2)
    loss_f.backward()
    loss_r.backward()
    for (name, p_f), p_r in zip(fast.named_parameters(), readable.parameters()):
        torch.testing.assert_close(p_f.grad, p_r.grad, msg=name)


@pytest.mark.parametrize("shape", [(3, 5), (3, 5, 4), (3, 0, 10)])
def test_bad_input_shape_raises(shape):
    _, fast = _pair(10, 7)
    with pytest.raises(ValueError, match="expected x of shape"):
        fast(torch.zeros(shape, dtype=DTYPE))


def test_dtype_mismatch_raises():
    _, fast = _pair(10, 7)
    with pytest.raises(ValueError, match="move one of them"):
        fast(torch.zeros(3, 5, 10, dtype=torch.float32))


def test_consecutive_steps_reuse_buffers_correctly():
    """The buffers of one step are reused by the next; every step's gradients must stay right."""
    readable, fast = _pair(10, 7)
    for seed in range(3):
        x, y = _inputs(4, 6, 10, seed=10 + seed)
        _, grads_r = _loss_and_grads(readable, x, y)
        _, grads_f = _loss_and_grads(fast, x, y)
        for name in grads_r:
            torch.testing.assert_close(
                grads_f[name], grads_r[name], msg=f"step {seed}: {name}"
            )


def test_retained_graph_backward_twice():
    readable, fast = _pair(10, 7)
    x, y = _inputs(4, 6, 10)
    for model in (readable, fast):
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward(retain_graph=True)
        loss.backward()
    for (name, p_f), p_r in zip(fast.named_parameters(), readable.parameters()):
        torch.testing.assert_close(p_f.grad, p_r.grad, msg=name)


def test_retained_graph_after_buffers_reused_fails_loudly():
    """A retained graph whose buffers a later step overwrote must not give wrong gradients."""
    _, fast = _pair(10, 7)
    x, y = _inputs(4, 6, 10)
    loss = nn.functional.cross_entropy(fast(x), y)
    loss.backward(retain_graph=True)
    fast(x + 1.0)  # same shapes: takes over the buffers the first graph gave back
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("kind", ["dense", "almost_one_hot", "one_hot"])
def test_one_hot_lookup_and_dense_matmul_paths_agree_with_readable(kind):
    """One-hot inputs take a row lookup for x_t W_x^T + b, any other input the full matmul."""
    readable, fast = _pair(10, 7)
    x, y = _inputs(5, 6, 10, seed=3)
    if kind == "dense":
        x = torch.randn(
            x.shape, generator=torch.Generator().manual_seed(4), dtype=DTYPE
        )
    elif kind == "almost_one_hot":
        x[2, 3] *= 2.0  # one entry is 2: no longer one-hot
    logits_r, grads_r = _loss_and_grads(readable, x, y)
    logits_f, grads_f = _loss_and_grads(fast, x, y)
    torch.testing.assert_close(logits_f, logits_r, rtol=1e-10, atol=1e-12)
    for name in grads_r:
        torch.testing.assert_close(
            grads_f[name], grads_r[name], rtol=1e-9, atol=1e-12, msg=name
        )


def _close_in(
    dtype: torch.dtype, actual: torch.Tensor, expected: torch.Tensor, msg: str = ""
) -> None:
    """actual (computed in dtype) against a float64 reference: 1e-9 in float64; in float32 within
    1e-4 of the reference's largest entry (the readable model in float32 is off by up to 3e-5)."""
    if dtype == torch.float64:
        torch.testing.assert_close(actual, expected, rtol=1e-9, atol=1e-9, msg=msg)
    else:
        scale = expected.abs().max().item()
        torch.testing.assert_close(
            actual.double(), expected, rtol=1e-4, atol=1e-4 * scale, msg=msg
        )


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_saturated_gates_match_readable(dtype):
    """Pre-activations of ±hundreds: exp overflows to inf inside the C++ sigmoid, which must give 0 or 1
    (not NaN), in float32 as well as in float64."""
    readable, fast = _pair(10, 7)
    with torch.no_grad():
        for model in (readable, fast):
            for p in model.parameters():
                p.mul_(300.0)
    x, y = _inputs(4, 6, 10)
    logits_r, grads_r = _loss_and_grads(readable, x, y)  # float64 reference
    logits_f, grads_f = _loss_and_grads(fast.to(dtype), x.to(dtype), y)
    assert torch.isfinite(logits_f).all()
    _close_in(dtype, logits_f, logits_r, "logits")
    for name in grads_r:
        assert torch.isfinite(grads_f[name]).all(), name
        _close_in(dtype, grads_f[name], grads_r[name], name)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_nan_input_gives_nan_logits(dtype):
    """Fast-math code must not turn a NaN into a number: a NaN input has to surface in the logits."""
    _, fast = _pair(10, 7)
    fast = fast.to(dtype)
    x = torch.randn(3, 5, 10, dtype=dtype)
    x[1, 2, 4] = float("nan")
    logits = fast(x)
    assert torch.isnan(logits[1]).all()
    assert torch.isfinite(logits[[0, 2]]).all()


def test_float32_gradients_at_training_shapes_match_float64_reference():
    """The shapes of the benchmark (batch 128, T 30, hidden 128) in float32, against float64."""
    readable, fast = _pair(10, 128, seed=5)
    with (
        torch.no_grad()
    ):  # _pair's uniform(-0.8, 0.8) saturates 128 units; use the usual scale
        for p_r, p_f in zip(readable.parameters(), fast.parameters()):
            p_r.mul_(0.1)
            p_f.copy_(p_r)
    x, y = _inputs(128, 30, 10, seed=6)
    logits_r, grads_r = _loss_and_grads(readable, x, y)
    logits_f, grads_f = _loss_and_grads(fast.float(), x.float(), y)
    torch.testing.assert_close(logits_f, logits_r.float(), rtol=1e-4, atol=1e-5)
    for name in grads_r:
        scale = grads_r[name].abs().max().item()
        torch.testing.assert_close(
            grads_f[name], grads_r[name].float(), rtol=1e-3, atol=1e-4 * scale, msg=name
        )


@pytest.mark.parametrize(
    "input_dim", [10, 1]
)  # the one-hot lookup and the dense matmul
@pytest.mark.parametrize("T,segment", [(13, 4), (12, 4), (7, 1), (9, 8)])
def test_segmented_backward_matches_the_whole_pass(input_dim, T, segment):
    """Recomputing the forward segment by segment (long T) changes no logit or gradient."""
    readable, whole = _pair(input_dim, 7)
    parts = FastLSTM(input_dim, 7, 10, segment=segment).to(DTYPE)
    parts.load_state_dict(readable.state_dict())
    x, y = _inputs(3, T, input_dim)
    logits_r, grads_r = _loss_and_grads(readable, x, y)
    logits_w, grads_w = _loss_and_grads(whole, x, y)
    logits_s, grads_s = _loss_and_grads(parts, x, y)
    # equal up to float64's last bits: a segment's matrix products have other shapes than the
    # whole pass's, and on some CPUs (AVX2, not AVX-512) the kernels for them round differently
    torch.testing.assert_close(logits_s, logits_w, rtol=1e-14, atol=1e-15)
    for name in grads_w:
        torch.testing.assert_close(
            grads_s[name], grads_w[name], rtol=1e-12, atol=1e-14, msg=name
        )
        torch.testing.assert_close(
            grads_s[name], grads_r[name], rtol=1e-9, atol=1e-12, msg=name
        )


def test_segmented_input_gradient_and_second_backward():
    readable, _ = _pair(1, 5)
    parts = FastLSTM(1, 5, 10, segment=3).to(DTYPE)
    parts.load_state_dict(readable.state_dict())
    x, _ = _inputs(2, 10, 1)
    x_r, x_s = x.clone().requires_grad_(), x.clone().requires_grad_()
    readable(x_r).sum().backward()
    out = parts(x_s).sum()
    out.backward(retain_graph=True)
    first = x_s.grad.clone()
    torch.testing.assert_close(first, x_r.grad, rtol=1e-9, atol=1e-12)
    out.backward()  # recomputed again: the same gradient once more
    torch.testing.assert_close(x_s.grad, 2 * first, rtol=1e-12, atol=1e-14)


def test_segment_is_automatic_above_the_threshold_and_checked():
    from lib.lstm.fast_segments import SEGMENT, SEGMENT_ABOVE, segment_length

    assert segment_length(SEGMENT_ABOVE) is None  # the fast path at ordinary lengths
    assert segment_length(SEGMENT_ABOVE + 1) == SEGMENT
    assert segment_length(50, 10) == 10 and segment_length(10, 10) is None
    with pytest.raises(ValueError, match="segment"):
        FastLSTM(10, 4, 10, segment=0)


@pytest.mark.parametrize("S, B, T, H", [(3, 8, 7, 16), (1, 2, 1, 5), (2, 5, 12, 9)])
def test_the_seed_benchmarks_stacked_side_computes_what_fast_lstm_computes(S, B, T, H):
    """benchmarks/seeds_together.py times S models as one computation (benchmarks/stacked_fast.py);
    its logits and weight gradients must be FastLSTM's, model by model."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "benchmarks" / "stacked_fast.py"
    spec = importlib.util.spec_from_file_location("stacked_fast", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.check_against_fast(S, B, T, H) < 1e-9
