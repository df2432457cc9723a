"""The vanilla RNN that chapter 02 sets against the LSTM.

h = tanh(W_hx x + W_hh h_prev + b_h)
p = W_ph h_T + b_p
"""

from __future__ import annotations

import math

import torch
from torch import nn

from lib.lstm.cell import check_input, check_torch_pair, set_dims


class RNN(nn.Module):
    """A one-layer Elman RNN with a linear read-out of the last hidden state.

    ``forward(x)`` takes ``(batch, T, input_dim)`` and returns logits ``(batch, output_dim)``.
    """

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int):
        super().__init__()
        set_dims(self, input_dim, hidden_dim, output_dim)
        self.W_hx = nn.Parameter(torch.empty(hidden_dim, input_dim))
        self.W_hh = nn.Parameter(torch.empty(hidden_dim, hidden_dim))
        self.b_h = nn.Parameter(torch.empty(hidden_dim))
        self.W_ph = nn.Parameter(torch.empty(output_dim, hidden_dim))
        self.b_p = nn.Parameter(torch.empty(output_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform(-1/√H, 1/√H), as torch.nn.RNN does."""
        bound = 1.0 / math.sqrt(self.hidden_dim)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)

    def hiddens(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x (B, T, D) -> the T hidden states, each (B, H), from h_0 = 0."""
        check_input(x, self.input_dim)
        xw = x @ self.W_hx.T + self.b_h  # (B, T, H): all input projections at once
        h = x.new_zeros(x.shape[0], self.hidden_dim)  # (B, H)
        out = []
        for t in range(x.shape[1]):
            h = torch.tanh(xw[:, t] + h @ self.W_hh.T)  # (B, H)
            out.append(h)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, D) -> logits p (B, O) of the last step."""
        return self.hiddens(x)[-1] @ self.W_ph.T + self.b_p  # (B, O)

    @classmethod
    def from_torch(cls, rnn: nn.RNN, head: nn.Linear) -> "RNN":
        """Build an RNN with the weights of a one-layer tanh ``torch.nn.RNN`` (batch_first) and its head."""
        check_torch_pair(
            rnn,
            nn.RNN,
            head,
            simple=getattr(rnn, "nonlinearity", None) == "tanh",
            what="a one-layer, unidirectional tanh nn.RNN with batch_first=True",
        )
        ref = rnn.weight_ih_l0
        model = cls(rnn.input_size, rnn.hidden_size, head.out_features).to(
            dtype=ref.dtype, device=ref.device
        )
        with torch.no_grad():
            model.W_hx.copy_(rnn.weight_ih_l0)
            model.W_hh.copy_(rnn.weight_hh_l0)
            model.b_h.copy_(
                (rnn.bias_ih_l0 + rnn.bias_hh_l0)
                if rnn.bias
                else torch.zeros_like(model.b_h)
            )
            model.W_ph.copy_(head.weight)
            model.b_p.copy_(
                head.bias if head.bias is not None else torch.zeros_like(model.b_p)
            )
        return model
