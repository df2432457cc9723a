"""FastRNN against the readable RNN of lib.lstm.rnn in float64: the same logits and every gradient."""

import pytest
import torch

from lib.lstm.fast_rnn import FastRNN
from lib.lstm.rnn import RNN


def _pair(D=10, H=16, O=10, dtype=torch.float64):
    torch.manual_seed(0)
    slow = RNN(D, H, O).to(dtype)
    fast = FastRNN(D, H, O).to(dtype)
    fast.load_state_dict(slow.state_dict())
    return slow, fast


@pytest.mark.parametrize("T", [1, 2, 17])
def test_logits_and_gradients_match_the_readable_rnn(T):
    slow, fast = _pair()
    x = torch.randn(5, T, 10, dtype=torch.float64)
    y = torch.randint(0, 10, (5,))
    losses = [torch.nn.functional.cross_entropy(m(x), y) for m in (slow, fast)]
    torch.testing.assert_close(losses[1], losses[0], rtol=1e-12, atol=1e-12)
    for loss in losses:
        loss.backward()
    for (name, p), q in zip(slow.named_parameters(), fast.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-10, atol=1e-12, msg=name)


def test_gradient_reaches_the_input_and_passes_gradcheck():
    _, fast = _pair(D=3, H=4, O=2)
    x = torch.randn(2, 6, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: fast(x), (x,))


def test_float32_at_the_training_shapes_stays_close():
    slow, fast = _pair(H=128, dtype=torch.float32)
    x = torch.nn.functional.one_hot(torch.randint(0, 10, (128, 30)), 10).float()
    torch.testing.assert_close(fast(x), slow(x), rtol=1e-4, atol=1e-5)


def test_bad_input_names_the_expected_shape():
    _, fast = _pair()
    with pytest.raises(ValueError, match="expected x of shape"):
        fast(torch.zeros(2, 3, 4, dtype=torch.float64))
