"""Images of the GAN's work: 5×5 snapshot grids and interpolation strips, as tensors or PNG files."""

from __future__ import annotations

import io
import os
from pathlib import Path

import torch
from torchvision.utils import make_grid, save_image

from lib.core.files import atomic_file


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """Map images from the generator's [-1, 1] to [0, 1] for display."""
    return (images.clamp(-1, 1) + 1) / 2


def grid(images: torch.Tensor, nrow: int = 5, padding: int = 2) -> torch.Tensor:
    """A (3, H, W) picture of ``images`` (N, 1, 28, 28) in [-1, 1], ``nrow`` per row, for imshow/save."""
    return make_grid(
        to_unit(images.detach().cpu()), nrow=nrow, padding=padding, pad_value=1.0
    )  # (3, H, W)


def save_grid(images: torch.Tensor, path: str | os.PathLike, nrow: int = 5) -> Path:
    """Write ``images`` as one PNG grid; the file appears whole or not at all."""
    with atomic_file(path) as file:
        save_image(
            to_unit(images.detach().cpu()),
            file,
            format="png",
            nrow=nrow,
            padding=2,
            pad_value=1.0,
        )
    return Path(path)


def png_bytes(images: torch.Tensor, nrow: int = 5, scale: int = 1) -> bytes:
    """The PNG encoding of a grid of ``images`` (used by the live widget), enlarged ``scale`` times."""
    pictures = to_unit(images.detach().cpu())  # (N, 1, 28, 28)
    if scale > 1:
        pictures = pictures.repeat_interleave(scale, dim=2).repeat_interleave(
            scale, dim=3
        )  # nearest-neighbour zoom
    buffer = io.BytesIO()
    save_image(pictures, buffer, format="png", nrow=nrow, padding=2, pad_value=1.0)
    return buffer.getvalue()


def show_grid(ax, images: torch.Tensor, title: str, nrow: int = 5) -> None:
    """Draw a grid of ``images`` on a matplotlib axis, with a title and no pixel ticks."""
    ax.imshow(grid(images, nrow=nrow).permute(1, 2, 0).numpy())  # (H, W, 3)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
