"""Streaming inference (chapter 02): held-out accuracy at any length, in memory that T barely touches.

``evaluate`` runs a model over whole sequences: it needs the inputs (N, T-1, 10) as floats, and
``FastLSTM`` keeps every step's activations for a backward pass that never comes. At T = 30,000 and
N = 1,000 that is tens of gigabytes. Here the recurrence runs one step at a time over all N
palindromes at once, under ``torch.no_grad``, keeping only the current h (and c):

    z_t = E[d_t] + h_{t-1} W_hᵀ        E (10, G): row d is the encoded digit d times W_xᵀ, plus b
    LSTM: i, f, o = σ(z), g = tanh(z), c = g ⊙ i + c ⊙ f, h = tanh(c) ⊙ o        (G = 4H)
    RNN:  h = tanh(z)                                                          (G = H)

A one-hot input times W_x is a row of W_xᵀ, so the input projection is a table lookup, not a matmul.
A palindrome's inputs are its first ⌈T/2⌉ digits read forwards and then backwards, so only those
are kept, as bytes. Memory: N·⌈T/2⌉ bytes for the digits (150 MB at N = 300, T = 10⁶), BLOCK·N·G
floats of looked-up projections (20 MB at N = 300, H = 128), and the state, N·G floats.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from lib.core.progress import progress
from lib.lstm.cell import LSTM
from lib.lstm.rnn import RNN
from lib.palindrome.data import DIGITS, check_length, encode, heldout_seed, input_dim

BLOCK = 32  # time steps whose input projections are looked up at once
DRAW_BYTES = 1 << 24  # digits drawn per call when making the held-out set


def heldout_front(
    n: int, length: int, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """The held-out set of ``heldout(n, length, seed)``, kept as its first ⌈T/2⌉ digits.

    Returns front, uint8 (⌈T/2⌉, n) time-major, and the targets y (n,), the last digit (which is
    the first). The digits are those ``heldout`` draws (same generator, same order), drawn a few
    palindromes at a time so that no (n, ⌈T/2⌉) int64 tensor is ever made.
    """
    check_length(length)
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a whole number above zero, got {n!r}")
    generator = torch.Generator().manual_seed(heldout_seed(seed))
    half = (length + 1) // 2
    front = torch.empty(half, n, dtype=torch.uint8)  # (⌈T/2⌉, n)
    rows = max(1, DRAW_BYTES // half)
    for start in range(0, n, rows):
        k = min(rows, n - start)
        draw = torch.randint(
            0, DIGITS, (k, half), generator=generator, dtype=torch.uint8
        )  # (k, ⌈T/2⌉)
        front[:, start : start + k] = draw.T
    return front, front[0].long()


def _block_digits(front: torch.Tensor, start: int, stop: int, length: int):
    """The digits read at steps start..stop-1, (stop-start, n) int64: d_t = d_{T-1-t} past the middle."""
    half = front.shape[0]
    steps = torch.arange(start, stop)
    rows = torch.where(steps < half, steps, length - 1 - steps)  # (K,)
    return front.index_select(0, rows).long()  # (K, n)


def _weights(model: nn.Module, encoding: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The lookup table E (10, G) and W_hᵀ (H, G) of an LSTM (gates i, f, o, g) or an RNN."""
    if isinstance(model, LSTM):
        gates = "ifog"
        W_x = torch.cat([getattr(model, f"W_{k}x") for k in gates])  # (4H, D)
        W_h = torch.cat([getattr(model, f"W_{k}h") for k in gates])  # (4H, H)
        b = torch.cat([getattr(model, f"b_{k}") for k in gates])  # (4H,)
    elif isinstance(model, RNN):
        W_x, W_h, b = model.W_hx, model.W_hh, model.b_h  # (H, D), (H, H), (H,)
    else:
        raise TypeError(
            f"streaming needs an LSTM or an RNN of lib.lstm, got {type(model).__name__}"
        )
    if model.input_dim != input_dim(encoding):
        raise ValueError(
            f"the model reads {model.input_dim} inputs per digit, but the {encoding} "
            f"encoding gives {input_dim(encoding)}: pass the encoding it was trained with"
        )
    digits = torch.arange(DIGITS, device=b.device)[None]  # (1, 10)
    E = encode(digits, encoding)[0].to(b.dtype) @ W_x.T + b  # (10, G)
    return E, W_h.T.contiguous()


def _stepper(z: torch.Tensor, h: torch.Tensor, gated: bool):
    """The pointwise part of one step, in place: z (n, G) pre-activations -> the new h (and c).

    Returns the step and the state it updates, as named (n, H) views: h, and for the LSTM also
    c and the gates i, f, o, g (what ``stream_logits``'s ``observe`` sees after each step).
    """
    if not gated:
        return (lambda: torch.tanh(z, out=h)), {"h": h}  # h = tanh(z)
    H = h.shape[1]
    c = torch.zeros_like(h)  # (n, H)
    sig, g = z[:, : 3 * H], z[:, 3 * H :]
    i, f, o = sig.split(H, dim=1)  # (n, H) views

    def step() -> None:
        sig.sigmoid_()
        g.tanh_()
        c.mul_(f).addcmul_(i, g)  # c = g ⊙ i + c_prev ⊙ f
        torch.tanh(c, out=h).mul_(o)  # h = tanh(c) ⊙ o

    return step, {"h": h, "c": c, "i": i, "f": f, "o": o, "g": g}


def stream_logits(
    model: nn.Module,
    front: torch.Tensor,
    length: int,
    encoding: str = "onehot",
    show_progress: bool | None = None,
    observe: Callable[[int, dict[str, torch.Tensor]], None] | None = None,
) -> torch.Tensor:
    """Logits (n, O) after reading the first T-1 digits of palindromes of ``length`` digits whose
    first ⌈T/2⌉ digits are ``front`` (⌈T/2⌉, n), one step at a time (memory: see the module).

    ``observe(t, state)``, when given, is called after step t = 1..T-1 with the state's (n, H)
    views (h; for the LSTM also c, i, f, o, g), which the next step overwrites.
    """
    check_length(length)
    if front.dim() != 2 or front.shape[0] != (length + 1) // 2:
        raise ValueError(
            f"front must be (⌈T/2⌉, n) = ({(length + 1) // 2}, n) for T = {length}, "
            f"got {tuple(front.shape)}"
        )
    with torch.no_grad():
        E, W_hT = _weights(model, encoding)  # (10, G), (H, G)
        n, G = front.shape[1], E.shape[1]
        h = E.new_zeros(n, W_hT.shape[0])  # (n, H)
        z = E.new_empty(n, G)  # (n, G)
        step, state = _stepper(z, h, isinstance(model, LSTM))
        hide = None if show_progress is None else not show_progress
        with progress(total=length - 1, desc=f"T={length}", disable=hide) as bar:
            for start in range(0, length - 1, BLOCK):
                stop = min(start + BLOCK, length - 1)
                digits = _block_digits(front, start, stop, length).to(E.device)
                xs = E.index_select(0, digits.view(-1)).view(-1, n, G)  # (K, n, G)
                for t, x_t in enumerate(xs, start=start + 1):
                    torch.addmm(x_t, h, W_hT, out=z)  # (n, G)
                    step()
                    if observe is not None:
                        observe(t, state)
                bar.update(stop - start)
        return torch.addmm(model.b_p, h, model.W_ph.T)  # (n, O)


def stream_accuracy(
    model: nn.Module,
    length: int,
    size: int = 1000,
    seed: int = 0,
    encoding: str = "onehot",
    show_progress: bool | None = None,
) -> float:
    """Held-out accuracy of ``model`` on ``heldout(size, length, seed, encoding)``, streamed.

    The same palindromes and the same predictions as ``evaluate`` on that set, in memory that
    does not hold T steps of activations (see the module docstring).
    """
    front, y = heldout_front(size, length, seed)  # (⌈T/2⌉, n), (n,)
    logits = stream_logits(model, front, length, encoding, show_progress)  # (n, O)
    correct = (logits.argmax(-1).cpu() == y).sum().item()
    return correct / len(y)
