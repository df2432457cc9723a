"""Settings for ``pytest --nbval notebooks``, so that the plain command readers are told to run
checks the notebooks exactly as ``make test`` does.

The notebook kernels inherit this process's environment. Progress bars and the hash seed would
otherwise put output into the compared cells that changes from run to run; the thread count is
left alone (``lib.core`` pins 2 unless DLBOOK_THREADS says otherwise). nbval is told to run the
kernels with this Python (where ``lib`` is installed) and to apply the sanitizing patterns next
to this file, wherever pytest was started from.
"""

import os
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("PYTHONHASHSEED", "0")


def pytest_configure(config):
    option = config.option
    if getattr(option, "nbval_sanitize_with", "unset") is None:
        option.nbval_sanitize_with = str(Path(__file__).with_name("nbval_sanitize.cfg"))
    if hasattr(option, "nbval_current_env"):
        option.nbval_current_env = True
