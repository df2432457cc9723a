"""Progress bars: ``tqdm.auto`` (a widget in Jupyter, text on stderr elsewhere), off with ``TQDM_DISABLE=1``.

Used by every long-running loop of chapters 02-04 (training, sweeps, preparing the digits).
tqdm reads ``TQDM_DISABLE`` itself, but its notebook bar (tqdm 4.70) overrides that default with
``disable=False``, so the variable is read here once more: the nbval runs set it, and their compared
outputs must not contain a bar.
"""

from __future__ import annotations

import os
from typing import Any

from tqdm.auto import tqdm


def progress(
    total: int | float | None = None,
    desc: str = "",
    disable: bool | None = None,
    **kwargs: Any,
):
    """A tqdm bar of ``total`` steps; ``disable`` None means: off when ``TQDM_DISABLE`` is set."""
    if disable is None:
        disable = os.environ.get("TQDM_DISABLE", "").lower() not in ("", "0", "false")
    return tqdm(total=total, desc=desc, disable=disable, **kwargs)
