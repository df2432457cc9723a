"""The LSTM of chapter 01, written gate by gate with the chapter's names.

    g = tanh(W_gx x + W_gh h + b_g)        candidate cell input
    i = σ(W_ix x + W_ih h + b_i)           input gate
    f = σ(W_fx x + W_fh h + b_f)           forget gate
    o = σ(W_ox x + W_oh h + b_o)           output gate
    c = g ⊙ i + c_prev ⊙ f                 cell state
    h = tanh(c) ⊙ o                        hidden state
    p = W_ph h_T + b_p                     logits from the last step; ŷ = softmax(p)

No ``torch.nn.LSTM``, ``nn.RNN`` or ``nn.LSTMCell`` is used: the loop over time is written out.
This is the readable reference; a fused fast path for training lives in ``lib.lstm.fast``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

GATES = ("g", "i", "f", "o")
TORCH_GATE_ORDER = (
    "i",
    "f",
    "g",
    "o",
)  # the row blocks of torch.nn.LSTM's weight_ih_l0 / weight_hh_l0


class LSTMState(NamedTuple):
    """Everything one time step computes; kept for the backward pass of chapter 01."""

    g: torch.Tensor  # (B, H)
    i: torch.Tensor  # (B, H)
    f: torch.Tensor  # (B, H)
    o: torch.Tensor  # (B, H)
    c: torch.Tensor  # (B, H)
    h: torch.Tensor  # (B, H)


def check_input(x: torch.Tensor, input_dim: int) -> None:
    """Refuse anything but a (batch, T, input_dim) tensor with at least one step and one example."""
    if x.dim() != 3 or x.shape[-1] != input_dim or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(
            f"expected x of shape (batch >= 1, T >= 1, {input_dim}), got {tuple(x.shape)}"
        )


def _check_dims(**dims: int) -> None:
    for name, value in dims.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a whole number above zero, got {value!r}")


def set_dims(
    module: nn.Module, input_dim: int, hidden_dim: int, output_dim: int
) -> None:
    """Check the three sizes of a recurrent model and keep them on ``module``."""
    _check_dims(input_dim=input_dim, hidden_dim=hidden_dim, output_dim=output_dim)
    module.input_dim, module.hidden_dim, module.output_dim = (
        input_dim,
        hidden_dim,
        output_dim,
    )


def check_torch_pair(
    module: nn.Module, kind: type, head: nn.Module, simple: bool, what: str
) -> None:
    """Refuse a ``from_torch`` source that is not a one-layer ``kind`` with an ``nn.Linear``
    head on its hidden state; ``simple`` says the rest of its configuration fits ``what``."""
    if not isinstance(module, kind) or not isinstance(head, nn.Linear):
        raise ValueError(
            f"from_torch needs an {kind.__name__} and an nn.Linear, "
            f"got {type(module).__name__} and {type(head).__name__}"
        )
    if module.num_layers != 1 or module.bidirectional or not module.batch_first:
        simple = False
    if not simple:
        raise ValueError(f"from_torch needs {what}")
    if head.in_features != module.hidden_size:
        raise ValueError(
            f"head takes {head.in_features} features but the {kind.__name__[3:]} has "
            f"hidden size {module.hidden_size}"
        )


class LSTM(nn.Module):
    """A one-layer LSTM with a linear read-out of the last hidden state.

    ``forward(x)`` takes ``x`` of shape ``(batch, T, input_dim)`` and returns the logits ``p``
    of shape ``(batch, output_dim)``. ``forget_bias`` initialises ``b_f`` (1.0 helps the cell
    keep its memory from the first step of training).
    """

    def __init__(
        self, input_dim: int, hidden_dim: int, output_dim: int, forget_bias: float = 1.0
    ):
        super().__init__()
        set_dims(self, input_dim, hidden_dim, output_dim)
        H, D = hidden_dim, input_dim
        for gate in GATES:
            setattr(self, f"W_{gate}x", nn.Parameter(torch.empty(H, D)))
            setattr(self, f"W_{gate}h", nn.Parameter(torch.empty(H, H)))
            setattr(self, f"b_{gate}", nn.Parameter(torch.empty(H)))
        self.W_ph = nn.Parameter(torch.empty(output_dim, H))
        self.b_p = nn.Parameter(torch.empty(output_dim))
        self.reset_parameters(forget_bias)

    def reset_parameters(self, forget_bias: float = 1.0) -> None:
        """Uniform(-1/√H, 1/√H) as torch.nn.LSTM does, then ``b_f = forget_bias``."""
        bound = 1.0 / math.sqrt(self.hidden_dim)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)
            self.b_f.fill_(forget_bias)

    def step(self, x: torch.Tensor, h: torch.Tensor, c_prev: torch.Tensor) -> LSTMState:
        """One time step: x (B, D), h and c_prev (B, H) -> the state of this step."""
        g = torch.tanh(x @ self.W_gx.T + h @ self.W_gh.T + self.b_g)  # (B, H)
        i = torch.sigmoid(x @ self.W_ix.T + h @ self.W_ih.T + self.b_i)  # (B, H)
        f = torch.sigmoid(x @ self.W_fx.T + h @ self.W_fh.T + self.b_f)  # (B, H)
        o = torch.sigmoid(x @ self.W_ox.T + h @ self.W_oh.T + self.b_o)  # (B, H)
        c = g * i + c_prev * f  # (B, H)
        h = torch.tanh(c) * o  # (B, H)
        return LSTMState(g, i, f, o, c, h)

    def states(self, x: torch.Tensor) -> list[LSTMState]:
        """Run the recurrence over x (B, T, D) from h_0 = c_0 = 0; return the T states."""
        check_input(x, self.input_dim)
        B = x.shape[0]
        h = x.new_zeros(B, self.hidden_dim)  # (B, H)
        c = x.new_zeros(B, self.hidden_dim)  # (B, H)
        out = []
        for t in range(x.shape[1]):
            state = self.step(x[:, t], h, c)
            h, c = state.h, state.c
            out.append(state)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, D) -> logits p (B, O) of the last step."""
        h_T = self.states(x)[-1].h  # (B, H)
        return h_T @ self.W_ph.T + self.b_p  # (B, O)

    @classmethod
    def from_torch(cls, lstm: nn.LSTM, head: nn.Linear) -> "LSTM":
        """Build an LSTM with the weights of a one-layer ``torch.nn.LSTM`` and its ``nn.Linear`` head.

        PyTorch stacks its gates in the order i, f, g, o and keeps two biases per gate
        (``b_ih + b_hh``); both are mapped onto this module's names.
        """
        check_torch_pair(
            lstm,
            nn.LSTM,
            head,
            simple=not getattr(lstm, "proj_size", 0),
            what="a one-layer, unidirectional nn.LSTM with batch_first=True and no "
            "projection",
        )
        ref = lstm.weight_ih_l0
        model = cls(lstm.input_size, lstm.hidden_size, head.out_features).to(
            dtype=ref.dtype, device=ref.device
        )
        H = lstm.hidden_size
        b_ih = (
            lstm.bias_ih_l0
            if lstm.bias
            else torch.zeros(4 * H, dtype=ref.dtype, device=ref.device)
        )
        b_hh = lstm.bias_hh_l0 if lstm.bias else torch.zeros_like(b_ih)
        with torch.no_grad():
            for k, gate in enumerate(TORCH_GATE_ORDER):
                rows = slice(k * H, (k + 1) * H)
                getattr(model, f"W_{gate}x").copy_(lstm.weight_ih_l0[rows])
                getattr(model, f"W_{gate}h").copy_(lstm.weight_hh_l0[rows])
                getattr(model, f"b_{gate}").copy_(b_ih[rows] + b_hh[rows])
            model.W_ph.copy_(head.weight)
            model.b_p.copy_(
                head.bias if head.bias is not None else torch.zeros_like(model.b_p)
            )
        return model
