"""The fast LSTM's optional C++ loops: build ``lib/lstm_loops.cpp`` once per machine and load it.

``loops()`` returns ``torch.ops.dlbook_lstm`` (``forward_loop``, ``backward_loop``) or ``None``.
PyTorch's ``torch.utils.cpp_extension`` compiles the file with the machine's C++ compiler the first
time (about 30 s on 2 cores) and caches the library under ``TORCH_EXTENSIONS_DIR`` (default
``~/.cache/torch_extensions``); later processes load it in well under a second. Without a working
compiler, or with ``DLBOOK_NATIVE=0``, ``loops()`` returns ``None`` and ``lib.lstm_fast`` runs its
Python loops, which compute the same values (tests/test_lstm_fast.py checks both paths against
the readable ``lib.lstm.LSTM``).

    python -m lib.native        # build now (the Makefile does this after installing the venv)
"""
from __future__ import annotations

import hashlib
import logging
import os
import platform
import sys
import warnings
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("lstm_loops.cpp")
# -ffast-math lets GCC call glibc's vectorised exp (libmvec); it is a compile flag only, so the
# process's floating-point mode is untouched (linking with it would flush denormals everywhere).
# -mno-recip: under -ffast-math GCC would divide vectors of floats by a reciprocal estimate, whose
# refinement step turns 1 / (1 + exp(100)) = 1 / inf into NaN instead of 0, i.e. every saturated
# gate (tests/test_lstm_fast.py::test_saturated_gates_match_readable checks float32 and float64).
# -march=native: the library is built on, and for, the machine that runs it; the CPU's features
# are part of the cache key, so a home folder shared by different machines gets one build each.
CFLAGS = ("-O3", "-ffast-math", "-mno-recip", "-march=native", "-fopenmp")
LDFLAGS = ("-fopenmp",)  # the OpenMP runtime torch already loaded (libgomp), for at::parallel_for
DISABLE_VARIABLE = "DLBOOK_NATIVE"


def _cpu_features() -> str:
    """The CPU's feature flags (Linux), else the processor name: part of the build's cache key."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return line
    except OSError:
        pass
    return platform.processor() or platform.machine()


def build_name() -> str:
    """A library name that changes with the source, the flags, torch and the CPU."""
    key = "\n".join([SOURCE.read_text(), " ".join(CFLAGS + LDFLAGS), torch.__version__, _cpu_features()])
    return "dlbook_lstm_loops_" + hashlib.sha256(key.encode()).hexdigest()[:12]


def build_directory(name: str) -> Path:
    root = os.environ.get("TORCH_EXTENSIONS_DIR") or Path.home() / ".cache" / "torch_extensions"
    return Path(root) / name


def disabled() -> bool:
    return os.environ.get(DISABLE_VARIABLE, "1").strip() == "0"


def _compile_and_load(name: str, announce: bool) -> None:
    # torch.utils.cpp_extension logs a CUDA_HOME warning on import on CPU-only machines; it is
    # noise here (no CUDA code is built) and would land in notebook outputs.
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
    from torch.utils.cpp_extension import load_inline

    folder = build_directory(name)
    if announce and not (folder / f"{name}.so").is_file():
        print(f"compiling the C++ LSTM loops once (about 30 s) into {folder}", file=sys.stderr, flush=True)
    folder.mkdir(parents=True, exist_ok=True)
    load_inline(name, cpp_sources=[SOURCE.read_text()], extra_cflags=list(CFLAGS),
                extra_ldflags=list(LDFLAGS), build_directory=str(folder), is_python_module=False,
                verbose=False)


_loaded: dict[str, object] = {}  # "ops": what loops() returned first in this process; "why": if None
FAILED_MARKER = "BUILD_FAILED"   # in the build folder: why the last build failed on this machine


def loops(announce: bool = False, retry: bool = False):
    """``torch.ops.dlbook_lstm`` once the C++ loops are built and loaded, else ``None``.

    A failed build warns once and leaves a marker in its build folder, so that later processes
    (a notebook's kernel, say) use the Python loops quietly instead of failing the same way, with a
    warning in every output. ``retry`` ignores the marker (``python -m lib.native`` does);
    ``announce`` prints a line on stderr before a first build.
    """
    if disabled():
        return None
    if "ops" not in _loaded:
        _loaded["ops"] = _build_and_load(announce, retry)
    return _loaded["ops"]


def forget() -> None:
    """Make the next loops() try again (tests switch DLBOOK_NATIVE and the source)."""
    _loaded.clear()


def _build_and_load(announce: bool, retry: bool):
    name = build_name()  # hashes the source and the CPU's flags: once per load
    marker = build_directory(name) / FAILED_MARKER
    if marker.is_file() and not retry:
        _loaded["why"] = marker.read_text().strip()
        return None
    try:
        _compile_and_load(name, announce)
    except Exception as exc:  # no compiler, a failed build, a read-only cache: the Python loops still work
        _loaded["why"] = _reason(exc)
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(f"{_loaded['why']}\n")
        except OSError:
            pass
        warnings.warn(f"the fast LSTM's C++ loops are unavailable ({_loaded['why']}); using its Python loops "
                      f"(same results, slower). `python -m lib.native` tries the build again; "
                      f"{DISABLE_VARIABLE}=0 skips it.", RuntimeWarning, stacklevel=3)
        return None
    marker.unlink(missing_ok=True)
    return torch.ops.dlbook_lstm


def _reason(exc: Exception) -> str:
    """One short line on why a build failed: the compiler's own complaint when there is one (torch's
    message starts with the whole compile command), else the message's first line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
    telling = [line for line in lines[1:] if any(word in line.lower() for word in ("error", "not found", "no such file"))
               and not line.startswith(("FAILED:", "ninja:"))]
    reason = (telling or lines)[0]
    return reason if len(reason) <= 160 else reason[:157] + "..."


def status() -> str:
    """'native' when the C++ loops are in use, else 'python' and why."""
    if disabled():
        return f"python ({DISABLE_VARIABLE}=0)"
    if loops() is not None:
        return "native"
    return f"python (the C++ build failed: {_loaded.get('why')}; `python -m lib.native` tries again)"


def main() -> int:
    ops = loops(announce=True, retry=True)
    print(f"LSTM loops: {status()}" + (f" ({build_directory(build_name())})" if ops is not None else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
