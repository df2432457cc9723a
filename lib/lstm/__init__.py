"""Chapter 01: the LSTM and the vanilla RNN written from their equations, and their gradients.

cell       -- ``LSTM``: the gate-by-gate model, names as in the chapter (g, i, f, o, c, h)
rnn        -- ``RNN``: the vanilla tanh recurrence chapter 02 sets against it
bptt       -- back-propagation through time derived by hand, checked against autograd
gradients  -- how the gradient's size changes going back in time (vanishing gradients)
fast       -- ``FastLSTM``: the same LSTM with fused gates and the hand-derived backward pass,
              used for training in chapter 02
fast_loops -- FastLSTM's time loops and the buffers they reuse from step to step
fast_segments -- the backward pass recomputed in segments, so long T trains in bounded memory
fast_rnn   -- ``FastRNN``: the same for the RNN
"""

from lib.lstm.cell import LSTM
from lib.lstm.rnn import RNN

__all__ = ["LSTM", "RNN"]
