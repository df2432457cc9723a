"""Helpers shared by the tests: float64 references, a tiny fake MNIST, a checkpoint whose pickle runs code."""

import json
from pathlib import Path

import torch

import lib.mnist

# --------------------------------------------------------- float64 references (chapters 01-02)


# Chapter 01's models against torch.nn in float64: agreement to 1e-10, at these (batch, T):
# batch 1, T = 1, odd and even T.
TOL = dict(atol=1e-10, rtol=1e-10)
SHAPES = [(1, 1), (1, 6), (3, 1), (2, 5), (4, 8)]


def inputs(B, T, D=3, seed=1):
    """A seeded float64 batch x of shape (B, T, D)."""
    return torch.randn(
        B, T, D, dtype=torch.float64, generator=torch.Generator().manual_seed(seed)
    )


def torch_logits(recurrent, head, x):
    """Logits of a batch_first torch.nn recurrent module and its Linear head, read at the last step."""
    out, _ = recurrent(x)  # (B, T, H)
    return head(out[:, -1])  # (B, O)


# ------------------------------------------------------------------ data and files (chapters 03-04)


def fake_mnist(root: Path, n_train: int = 256, n_test: int = 64) -> Path:
    """A tiny prepared MNIST under ``root`` (random pixels, labels 0-9 cycling) in lib.mnist's layout."""
    folder = lib.mnist.raw_folder(root)
    folder.mkdir(parents=True)
    generator = torch.Generator().manual_seed(0)
    for split, n in (("train", n_train), ("test", n_test)):
        images = torch.randint(
            0, 256, (n, 28, 28), generator=generator, dtype=torch.uint8
        )
        labels = (torch.arange(n) % 10).to(torch.uint8)
        (folder / lib.mnist.RAW_FILES[(split, "images")]).write_bytes(
            lib.mnist.idx_bytes(images)
        )
        (folder / lib.mnist.RAW_FILES[(split, "labels")]).write_bytes(
            lib.mnist.idx_bytes(labels)
        )
    info = {
        "source": "fake",
        "counts": {"train": n_train, "test": n_test},
        "sha256": f"fake-{n_train}-{n_test}",
    }
    (folder.parent / lib.mnist.SOURCE_FILE).write_text(json.dumps(info))
    return root


class RunsCode:
    """Unpickling this object creates ``marker``: proof that a load ran code from the file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def evil_checkpoint(path: Path, marker: Path, kind: str = "gan-generator") -> Path:
    """A checkpoint shaped like a ``kind`` one whose pickle would create ``marker`` on an unsafe load."""
    torch.save(
        {"kind": kind, "format": 1, "config": {}, "generator": RunsCode(marker)}, path
    )
    return path
