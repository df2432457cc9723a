"""Infrastructure every chapter shares, one concept per module.

paths     -- where data, caches and results live (``DLBOOK_DATA``, ``DLBOOK_CACHE``)
device    -- ``--device`` names and ``auto`` through ``torch.accelerator``
repro     -- seeds and thread counts; the numeric context a cache key includes
checks    -- argument checks (whole numbers, positive numbers, fractions) for configs and models
files     -- atomic writes (fsync, then rename) and safe ``weights_only=True`` checkpoint loads
cache     -- ``cached()``: train once, then load, keyed by config, data and numeric context
seeded    -- build a module under a fixed seed without touching the global RNG
progress  -- tqdm.auto progress bars, off with ``TQDM_DISABLE=1``
cli       -- command-line helpers: one-line errors with exit status 2, argument types (seed
             lists among them), the shared --device/--root/--cache flags, JSON summaries
flags     -- ``--field`` flags made from a config dataclass's documented fields
"""
