"""Palindromes (chapter 02): how long can an LSTM, and a vanilla RNN, remember one digit?

    data        -- the palindromes, their encodings, training and held-out streams
    curriculum  -- growing lengths for long palindromes
    config      -- ``TrainConfig``: one run, checked when it is made
    train       -- the model factory, the training loop and held-out accuracy
    stream      -- held-out accuracy at any length, one step at a time, in bounded memory
    memory      -- what the trained units hold over a long palindrome: η² of the state, forget gates
    checkpoint  -- a trained model saved atomically and loaded safely (``train --save``)
    sweep       -- lengths x models x recipes x seeds, one JSON file per run (resumable;
                   joblib processes here, or a Dask cluster)
    transfer    -- models trained at one length, evaluated at many (up to T = 100,000)
    stats       -- what the seeds say together: medians, ranges, seeds solved
    plots       -- accuracy curves and accuracy against length
    args, parser, __main__ -- the command line

Command line: ``python -m lib.palindrome train | evaluate | sweep | transfer`` (see ``--help``).
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
