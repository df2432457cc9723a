"""Shared code of the book: every notebook imports its models, data and training loops from here.

Modules (one concept each):
    device      -- choose the torch device (``auto`` picks CUDA when present)
    repro       -- seeds and thread counts pinned for reproducible runs
    progress    -- progress bars: a notebook bar in Jupyter, a text bar on stderr elsewhere
    cli         -- command-line helpers: one-line errors with exit status 2, JSON summaries
    checkpoint  -- atomic writes and safe (``weights_only=True``) loads of state dicts with their config
    lstm        -- the LSTM of chapter 01, written gate by gate
    rnn         -- the vanilla RNN of chapter 02
    palindrome  -- palindrome data, training and sweeps (``python -m lib.palindrome``)
    mnist       -- MNIST on disk in torchvision's layout, without internet (``python -m lib.mnist``)
    gan         -- the fully connected GAN of chapters 03 and 04 (``python -m lib.gan``)
"""
