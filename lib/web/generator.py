"""Chapter 03's generator for chapter 04's page: batch norms folded, 8-bit weights, digit codes.

In eval mode a BatchNorm1d is an affine map per feature, y = s ⊙ (x − μ) + β with
s = γ / √(σ² + ε), so it folds into the Linear before it: W' = diag(s) W and b' = s ⊙ (b − μ) + β.
The page then computes four Linear + LeakyReLU(0.2) layers and a Linear + tanh, about 1.5 M
multiply-adds an image. Each weight matrix travels as int8 with one scale per row (a quarter of
float32's size); the error this costs is measured at export against the float model and shipped
with the weights, and the page's arithmetic is checked against ``run`` on the same 8-bit weights.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from lib.gan.interpolate import DIGITS, pick_endpoints
from lib.gan.models import Generator, sample
from lib.web.encode import decode, f32, i8, int8_rows

Layer = tuple[torch.Tensor, torch.Tensor, str]  # W (O, I), b (O,), activation


def fold(generator: Generator) -> list[Layer]:
    """The generator as Linear layers in float64 with every eval-mode batch norm folded in."""
    layers: list[Layer] = []
    for module in generator.net:
        if isinstance(module, nn.Linear):
            layers.append((module.weight.double(), module.bias.double(), "none"))
        elif isinstance(module, nn.BatchNorm1d):
            W, b, act = layers[-1]
            s = module.weight.double() / torch.sqrt(
                module.running_var.double() + module.eps
            )  # (O,)
            mean, shift = module.running_mean.double(), module.bias.double()
            layers[-1] = (s[:, None] * W, s * (b - mean) + shift, act)
        elif isinstance(module, (nn.LeakyReLU, nn.Tanh)):
            W, b, _ = layers[-1]
            slope = getattr(module, "negative_slope", None)
            layers[-1] = (W, b, "tanh" if slope is None else f"leaky_relu:{slope}")
        else:
            raise ValueError(f"cannot fold a {type(module).__name__} for the page")
    return [(W.detach(), b.detach(), act) for W, b, act in layers]


def run(layers: list[Layer], z: torch.Tensor) -> torch.Tensor:
    """Images (B, 28, 28) in [-1, 1] from noise z (B, latent), as the page computes them."""
    x = z.to(layers[0][0].dtype)  # (B, latent)
    for W, b, act in layers:
        x = x @ W.T + b  # (B, O)
        if act == "tanh":
            x = torch.tanh(x)
        elif act.startswith("leaky_relu:"):
            x = torch.nn.functional.leaky_relu(x, float(act.split(":")[1]))
    return x.view(-1, 28, 28)


def quantize(layers: list[Layer]) -> list[dict[str, Any]]:
    """Each layer as the page reads it: int8 rows with float32 scales, a float32 bias."""
    out = []
    for W, b, act in layers:
        q, scale = int8_rows(W)
        out.append(
            {
                "shape": list(W.shape),
                "q": i8(q),
                "scale": f32(scale),
                "bias": f32(b),
                "act": act,
            }
        )
    return out


def dequantize(payload_layers: list[dict[str, Any]]) -> list[Layer]:
    """The layers the page computes with: q · scale in float64, the float32 bias."""
    layers = []
    for layer in payload_layers:
        O, I = layer["shape"]
        q = decode(layer["q"], "int8", (O, I)).double()
        scale = decode(layer["scale"], "float32", (O,)).double()
        bias = decode(layer["bias"], "float32", (O,)).double()
        layers.append((q * scale[:, None], bias, layer["act"]))
    return layers


def pair_codes(
    generator: Generator,
    classifier: nn.Module,
    counts: tuple[int, ...] = (1000, 4000, 16000),
    digits: range | tuple[int, ...] = DIGITS,
) -> torch.Tensor:
    """(D, D, 2, latent): the (begin, end) noise vectors ``pick_endpoints`` gives each pair.

    The page walks from codes[a, b, 0] to codes[a, b, 1] when the reader asks for a → b: the
    very endpoints chapter 04 uses (80 KB of float32 for all 100 pairs).
    """
    rows = []
    for a in digits:
        pairs = [
            pick_endpoints(generator, classifier, a, b, counts=counts, strict=False)
            for b in digits
        ]
        rows.append(
            torch.stack([torch.stack(pair) for pair in pairs])
        )  # (D, 2, latent)
    return torch.stack(rows)  # (D, D, 2, latent)


def export_payload(generator: Generator, classifier: nn.Module) -> dict[str, Any]:
    """Everything chapter 04's page needs, with the 8-bit encoding's error measured."""
    generator = generator.cpu().eval()
    layers = fold(generator)
    payload_layers = quantize(layers)
    codes = pair_codes(generator, classifier)  # (10, 10, 2, latent)
    z = torch.randn(
        1000, generator.latent_dim, generator=torch.Generator().manual_seed(1)
    )
    exact = sample(generator, len(z), z=z).view(-1, 28, 28).double()  # the float model
    error = (run(dequantize(payload_layers), z) - exact).abs() / 2  # pixels in [0, 1]
    return {
        "latent": generator.latent_dim,
        "layers": payload_layers,
        "codes": f32(codes),
        "default": {"from": 3, "to": 4, "steps": 7, "path": "spherical"},
        "int8_error": {
            "images": len(z),
            "max": round(float(error.max()), 5),
            "mean": round(float(error.mean()), 6),
        },
    }
