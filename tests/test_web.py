"""The models exported for the static pages (lib.web): folding, 8-bit weights, the script files."""

import pytest
import torch
from torch import nn

from lib.gan.interpolate import pick_endpoints
from lib.gan.models import Generator
from lib.lstm.cell import LSTM
from lib.web import generator as gan_web
from lib.web import lstm as lstm_web
from lib.web.encode import decode, f32, i8, int8_rows, read_script, write_script


def _trained_looking_generator(seed: int = 0) -> Generator:
    """A generator whose batch norms hold running statistics far from 0 and 1, in eval mode."""
    torch.manual_seed(seed)
    g = Generator()
    for m in g.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.2, 3)
            m.weight.data.uniform_(0.5, 2)
            m.bias.data.uniform_(-0.5, 0.5)
    return g.eval()


def test_folded_generator_is_the_eval_generator():
    g = _trained_looking_generator()
    z = torch.randn(16, 100, dtype=torch.float64)
    want = g.double()(z).view(-1, 28, 28)
    got = gan_web.run(gan_web.fold(g), z)
    torch.testing.assert_close(got, want, atol=1e-10, rtol=1e-10)


def test_fold_refuses_a_layer_it_does_not_know():
    g = Generator()
    g.net.append(nn.Dropout())
    with pytest.raises(ValueError, match="cannot fold a Dropout"):
        gan_web.fold(g)


def test_int8_rows_are_within_half_a_step():
    w = (
        torch.randn(50, 30) * torch.logspace(-3, 1, 50)[:, None]
    )  # rows of very different size
    q, scale = int8_rows(w)
    assert q.dtype == torch.int8 and q.abs().max() == 127
    err = (q.float() * scale[:, None] - w).abs()
    assert (err <= scale[:, None] / 2 + 1e-7).all()


def test_arrays_survive_the_script(tmp_path):
    t = torch.randn(3, 4)
    q, _ = int8_rows(t)
    path = write_script(tmp_path / "m.js", "demo", {"a": f32(t), "q": i8(q)})
    payload = read_script(path)
    assert torch.equal(decode(payload["a"], "float32", (3, 4)), t)
    assert torch.equal(decode(payload["q"], "int8", (3, 4)), q)


def test_a_foreign_script_is_refused(tmp_path):
    path = tmp_path / "other.js"
    path.write_text("console.log('hello');\n")
    with pytest.raises(ValueError, match="not a model script"):
        read_script(path)


class _ByMeanPixel(nn.Module):
    """A stand-in classifier: the digit is read off an image's mean brightness."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(
            torch.zeros(1)
        )  # tells digit_probabilities the device

    def forward(self, x):
        m = x.reshape(len(x), -1).mean(1)  # (B,)
        centres = torch.linspace(-0.05, 0.05, 10)
        return -((m[:, None] - centres) ** 2) * 1e4  # (B, 10)


def test_digit_codes_are_the_endpoints_chapter_04_picks():
    g, clf = _trained_looking_generator(1), _ByMeanPixel()
    digits = (1, 3, 4, 7)
    codes = gan_web.pair_codes(g, clf, counts=(64,), digits=digits)  # (4, 4, 2, latent)
    for (j, a), (k, b) in [((1, 3), (2, 4)), ((0, 1), (3, 7)), ((1, 3), (1, 3))]:
        begin, end = pick_endpoints(g, clf, a, b, counts=(64,), strict=False)
        assert torch.equal(begin, codes[j, k, 0]) and torch.equal(end, codes[j, k, 1])


def test_carrier_scores_are_shares_of_variance():
    torch.manual_seed(0)
    model = LSTM(10, 16, 10)
    eta = lstm_web.carriers(model, length=6, n=300)
    assert eta.shape == (16,) and (eta >= 0).all() and (eta <= 1 + 1e-9).all()


def test_lstm_payload_holds_the_weights_exactly():
    torch.manual_seed(0)
    model = LSTM(10, 8, 10)
    config = lstm_web.CONFIG
    payload = lstm_web.export_payload(model, config)
    for name, p in model.state_dict().items():
        assert torch.equal(decode(payload["weights"][name], "float32", p.shape), p)
    assert sorted(payload["order"]) == list(range(8))
    assert payload["trained"]["length"] == config.length
