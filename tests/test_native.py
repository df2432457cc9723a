"""lib.native: building, caching and loading the C++ LSTM loops, and the fallback without them.

The loops' numbers are checked in tests/test_lstm_fast.py; here: the switch, the cache key, a
failed build, and that loading the library leaves the process's floating point untouched.
"""
from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
import torch

from lib import native
from lib.lstm_fast import FastLSTM


@pytest.fixture
def fresh_loops():
    """Forget which loops this process loaded, before and after the test."""
    native.forget()
    yield
    native.forget()


def test_disabled_by_environment(monkeypatch, fresh_loops):
    monkeypatch.setenv("DLBOOK_NATIVE", "0")
    assert native.loops() is None
    assert native.status() == "python (DLBOOK_NATIVE=0)"
    with pytest.raises(RuntimeError, match="C\\+\\+ loops are unavailable.*install a C\\+\\+ compiler"):
        FastLSTM(10, 7, 10, loops="native")
    model = FastLSTM(10, 7, 10)                                      # auto: falls back, still trains
    model(torch.zeros(2, 3, 10)).sum().backward()
    assert model.W_gh.grad is not None


def test_missing_compiler_warns_and_falls_back(monkeypatch, tmp_path, fresh_loops):
    monkeypatch.setenv("CXX", str(tmp_path / "no-such-compiler"))
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path / "extensions"))  # nothing built there yet
    # A name of its own: torch would otherwise count this attempt as an earlier version of the real
    # library and rebuild that under a new name later in this process.
    monkeypatch.setattr(native, "build_name", lambda: "dlbook_lstm_loops_test_no_compiler")
    monkeypatch.delenv("DLBOOK_NATIVE", raising=False)
    with pytest.warns(RuntimeWarning, match="using its Python loops"):
        assert native.loops() is None
    assert native.status().startswith("python (the C++ build failed")
    assert "no-such-compiler" in native.status()                     # the shell's complaint, not the command
    assert len(native.status()) < 300
    native.forget()                                                  # as a later process would
    with warnings.catch_warnings():
        warnings.simplefilter("error")                               # no second warning: the marker
        assert native.loops() is None
    assert "python -m lib.native` tries again" in native.status()
    native.forget()
    with pytest.warns(RuntimeWarning, match="using its Python loops"):
        assert native.loops(retry=True) is None                      # what `python -m lib.native` does


def test_build_name_follows_the_source(monkeypatch, tmp_path):
    name = native.build_name()
    edited = tmp_path / "lstm_loops.cpp"
    edited.write_text(native.SOURCE.read_text() + "\n// one more comment\n")
    monkeypatch.setattr(native, "SOURCE", edited)
    assert native.build_name() != name
    assert native.build_name().startswith("dlbook_lstm_loops_")


def test_built_library_is_cached_and_reused():
    if native.loops() is None:
        pytest.skip(f"the C++ loops cannot be built here: {native.status()}")
    done = subprocess.run([sys.executable, "-m", "lib.native"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("LSTM loops: native")
    assert "compiling" not in done.stderr                          # built once, by this process's loops()


def test_loading_keeps_denormals():
    """A library linked with -ffast-math would switch the whole process to flush-to-zero."""
    if native.loops() is None:
        pytest.skip(f"the C++ loops cannot be built here: {native.status()}")
    tiny = torch.tensor([1e-39], dtype=torch.float32)               # below float32's normal range
    assert (tiny * 0.5).item() != 0.0


def test_native_loops_refuse_other_dtypes_and_auto_falls_back():
    if native.loops() is None:
        pytest.skip(f"the C++ loops cannot be built here: {native.status()}")
    x = torch.nn.functional.one_hot(torch.randint(0, 10, (2, 4)), 10).to(torch.bfloat16)  # (2, 4, 10)
    strict = FastLSTM(10, 7, 10, loops="native").to(torch.bfloat16)
    with pytest.raises(ValueError, match="float32 or float64 on the CPU.*loops='auto'"):
        strict(x)
    auto = FastLSTM(10, 7, 10).to(torch.bfloat16)
    assert auto(x).shape == (2, 10)                                   # the Python loops took over
