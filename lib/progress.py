"""Progress bars: tqdm's notebook bar inside Jupyter, a text bar on stderr elsewhere."""
from __future__ import annotations

import os
import sys
from typing import Any


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def progress(total: int | None = None, desc: str = "", disable: bool | None = None, **kwargs: Any):
    """Return a tqdm bar fit for where the code runs.

    ``DLBOOK_PROGRESS=0`` silences every bar (used by the test-suite and nbval runs, whose
    outputs must not change with timing).
    """
    if disable is None:
        disable = os.environ.get("DLBOOK_PROGRESS", "1") == "0"
    if _in_notebook():
        from tqdm.notebook import tqdm
        return tqdm(total=total, desc=desc, disable=disable, **kwargs)
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, disable=disable, file=sys.stderr, dynamic_ncols=True, **kwargs)
