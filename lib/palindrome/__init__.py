"""Palindromes (chapter 02): how long can an LSTM, and a vanilla RNN, remember one digit?

    data        -- the palindromes, their encodings, training and held-out streams
    curriculum  -- growing lengths for long palindromes
    train       -- ``TrainConfig``, the model factory and the training loop
    sweep       -- lengths x models x recipes x seeds, one JSON file per run (resumable)
    stats       -- what the seeds say together: medians, ranges, seeds solved
    plots       -- accuracy curves and accuracy against length

Command line: ``python -m lib.palindrome train --model lstm --length 20`` and ``python -m lib.palindrome sweep``.
"""

from lib.palindrome.data import (
    Batches,
    batch,
    encode,
    heldout,
    input_dim,
    palindromes,
    split,
)
from lib.palindrome.train import (
    History,
    Record,
    TrainConfig,
    accuracy_by_length,
    evaluate,
    make_model,
    train,
)

__all__ = [
    "Batches",
    "History",
    "Record",
    "TrainConfig",
    "accuracy_by_length",
    "batch",
    "encode",
    "evaluate",
    "heldout",
    "input_dim",
    "make_model",
    "palindromes",
    "split",
    "train",
]
