"""Chunked inference: a model applied to thousands of images a slice at a time, without gradients.

Used by the MNIST judge (chapters 03-04: FID features, predicted digits) and by chapter 04's digit
probabilities along an interpolation path.
"""

from __future__ import annotations

from typing import Callable

import torch

CHUNK = 1000  # images per forward pass: bounds memory for 10,000-image sets


@torch.no_grad()
def chunked(
    fn: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    device: torch.device,
    size: int = CHUNK,
) -> torch.Tensor:
    """``fn`` over ``x`` in slices of ``size`` rows, each moved to ``device``; the results on ``x``'s device."""
    return torch.cat([fn(chunk.to(device)).to(x.device) for chunk in x.split(size)])
