"""A palindrome LSTM of chapter 02 for the page: weights, and which units carry the first digit.

The page runs the readable LSTM of chapter 01 step by step on the digits a reader types and draws
the cell state c_t (and the gates) over time. To make the memory easy to find, units are ranked
by how much of their final cell state the first digit explains: the between-digit share of its
variance (η², 1 for a unit that encodes the first digit alone, 0 for one that ignores it), over
2,000 held-out palindromes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from lib.lstm.cell import GATES, LSTM
from lib.palindrome.config import TrainConfig
from lib.palindrome.data import encode, palindromes
from lib.palindrome.train import evaluate, train
from lib.web.encode import decode, f32

FRESH = 2026  # seed of palindromes neither training nor early stopping has seen

# Chapter 02's plain recipe at T = 20, where every saved seed of the LSTM reached 100%.
CONFIG = TrainConfig(model="lstm", length=20, seed=0, device="cpu")


def trained(config: TrainConfig = CONFIG) -> LSTM:
    """Train the page's LSTM (about a minute on two cores) and return it on the CPU."""
    if config.model != "lstm" or config.encoding != "onehot":
        raise ValueError(
            "the page runs a one-hot LSTM: use model='lstm', encoding='onehot'"
        )
    history = train(config, show_progress=True)
    if history.accuracy < 0.99:
        raise ValueError(
            f"held-out accuracy {history.accuracy:.3f} < 0.99 after {history.steps} steps: "
            "train longer (--steps) or try another --seed"
        )
    model = history.model.cpu().eval()
    readable = LSTM(model.input_dim, model.hidden_dim, model.output_dim)
    readable.load_state_dict(model.state_dict())
    return readable


def carriers(model: LSTM, length: int, n: int = 2000) -> torch.Tensor:
    """η² of each unit's final cell state with respect to the first digit, shape (H,)."""
    gen = torch.Generator().manual_seed(FRESH + 1)
    digits = palindromes(n, length, gen)  # (n, T)
    with torch.no_grad():
        c = model.states(encode(digits[:, :-1]))[-1].c.double()  # (n, H)
    first = digits[:, 0]
    means = torch.stack([c[first == d].mean(0) for d in range(10)])  # (10, H)
    counts = torch.bincount(first, minlength=10).double()  # (10,)
    between = (counts[:, None] * (means - c.mean(0)) ** 2).sum(0)  # (H,)
    total = ((c - c.mean(0)) ** 2).sum(0).clamp_min(1e-12)  # (H,)
    return between / total


def export_payload(model: LSTM, config: TrainConfig = CONFIG) -> dict[str, Any]:
    """Weights (float32), the units ranked by η², and the held-out accuracy at the length."""
    gen = torch.Generator().manual_seed(FRESH)
    digits = palindromes(1000, config.length, gen)  # (1000, T)
    accuracy = evaluate(model, encode(digits[:, :-1]), digits[:, -1])
    eta = carriers(model, config.length)
    weights = {name: f32(p) for name, p in model.state_dict().items()}
    return {
        "hidden": model.hidden_dim,
        "gates": list(GATES),
        "weights": weights,
        "eta2": f32(eta),
        "order": torch.argsort(eta, descending=True).tolist(),
        "trained": {
            **{k: v for k, v in dataclasses.asdict(config).items() if k != "device"},
            "heldout_accuracy": round(accuracy, 4),
        },
    }


def lstm_from_payload(payload: dict[str, Any]) -> LSTM:
    """The readable LSTM holding an exported payload's weights (float32, as the page has them)."""
    model = LSTM(10, payload["hidden"], 10)
    state = {
        name: decode(payload["weights"][name], "float32", p.shape)
        for name, p in model.state_dict().items()
    }
    model.load_state_dict(state)
    return model.eval()
