"""The models of the static pages, run by book/_extra/web/live.js in Chromium, against PyTorch.

The page's generator must draw the images PyTorch draws from the same 8-bit weights (within
2/255 a pixel), and its LSTM must give the probabilities the readable LSTM gives (within 1e-4).
The scripts are loaded from file:// with every request off the machine refused.
"""

import pytest
import torch

from lib.core.paths import web_dir
from lib.gan.interpolate import latent_path
from lib.web import generator as gan_web
from lib.web.encode import decode, read_script
from lib.web.lstm import lstm_from_payload

pytestmark = pytest.mark.browser

WEB = web_dir()
SCRIPTS = ("gan_model.js", "lstm_model.js", "live.js")
BUDGET = 4 * 1024 * 1024  # bytes the live models may add to the book


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    html = tmp_path_factory.mktemp("live") / "harness.html"
    tags = "".join(f'<script src="{(WEB / s).as_uri()}"></script>' for s in SCRIPTS)
    html.write_text(f"<!doctype html><html><body>{tags}</body></html>")
    remote = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        p = browser.new_page()
        p.route("**/*", lambda r: _local_only(r, remote))
        p.goto(html.as_uri(), wait_until="load")
        yield p
        browser.close()
    assert not remote, f"the live models requested {remote}"


def _local_only(route, remote):
    if route.request.url.startswith(("file:", "data:")):
        route.continue_()
    else:
        remote.append(route.request.url)
        route.abort()


def test_the_live_models_fit_the_budget():
    sizes = {s: (WEB / s).stat().st_size for s in SCRIPTS}
    assert sum(sizes.values()) <= BUDGET, sizes


@pytest.mark.parametrize(
    "a, b, steps, method",
    [(3, 4, 7, "spherical"), (1, 7, 7, "linear"), (5, 5, 2, "spherical")],
)
def test_generator_in_the_page_matches_pytorch(page, a, b, steps, method):
    payload = read_script(WEB / "gan_model.js")
    codes = decode(payload["codes"], "float32", (10, 10, 2, payload["latent"]))
    z = latent_path(codes[a, b, 0].double(), codes[a, b, 1].double(), steps, method)
    want = gan_web.run(gan_web.dequantize(payload["layers"]), z).reshape(len(z), -1)
    got = page.evaluate(
        """([a, b, steps, method]) => {
            const L = window.DLBOOK_LIVE, g = L.loadGenerator(window.DLBOOK_MODELS.gan);
            const [begin, end] = L.endpoints(g, a, b);
            return L.path(begin, end, steps, method).map((z) => Array.from(L.generate(g, z)));
        }""",
        [a, b, steps, method],
    )
    got = torch.tensor(got, dtype=torch.float64)
    assert got.shape == want.shape == (steps + 2, 784)
    assert ((got - want).abs() / 2).max() <= 2 / 255  # pixels in [0, 1]


def test_the_8_bit_error_is_measured_and_small():
    error = read_script(WEB / "gan_model.js")["int8_error"]
    assert (
        error["images"] >= 1000 and 0 < error["mean"] <= 1 / 255 and error["max"] < 0.1
    )


@pytest.mark.parametrize(
    "digits",
    ["3141592653356295141", "0000000000000000000", "12", "98765432100123456789"],
)
def test_lstm_in_the_page_matches_pytorch(page, digits):
    model = lstm_from_payload(read_script(WEB / "lstm_model.js")).double()
    x = torch.nn.functional.one_hot(torch.tensor([[int(d) for d in digits]]), 10)
    with torch.no_grad():
        want = torch.softmax(model(x.double()), dim=-1)[0]
    got = page.evaluate(
        """(digits) => {
            const L = window.DLBOOK_LIVE, m = L.loadLSTM(window.DLBOOK_MODELS.lstm);
            return L.readDigits(m, Array.from(digits, Number)).probs;
        }""",
        digits,
    )
    assert (torch.tensor(got, dtype=torch.float64) - want).abs().max() <= 1e-4
