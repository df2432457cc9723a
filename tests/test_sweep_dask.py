"""Chapter 02's sweep on a Dask cluster (``--backend dask``): a local cluster stands in for the
machines, its worker processes sharing the test's folder as real ones share a filesystem."""

import json

import pytest
from distributed import LocalCluster
from test_palindrome_cli import ENV, run_cli

from lib.core import cli
from lib.palindrome.__main__ import main

PROG = "python -m lib.palindrome"

TINY = (
    "--lengths 3,4 --models rnn --seeds 0-1 --recipes plain --steps 20 --hidden 4 "
    "--eval-size 20 --eval-every 10 --device cpu --threads 1"
).split()
NAMES = [f"plain-rnn-T00{t}-s{s}.json" for t in (3, 4) for s in (0, 1)]


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster


def _sweep(capsys, *args) -> dict:
    assert main(["sweep", *args]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_sweep_on_a_cluster_writes_every_run_and_resumes(
    cluster, tmp_path, capsys, quiet_commands
):
    args = [
        *TINY,
        *("--backend", "dask", "--scheduler", cluster.scheduler_address),
        *("--out", str(tmp_path)),
    ]
    summary = _sweep(capsys, *args)
    assert (summary["runs"], summary["trained"]) == (4, 4)
    assert sorted(p.name for p in tmp_path.glob("*.json")) == NAMES
    for name in NAMES:
        data = json.loads((tmp_path / name).read_text())
        assert "--backend dask --scheduler tcp://" in data["command"]
        assert data["runs"][0]["config"]["steps"] == 20
    assert any("run_job" in key for key in cluster.scheduler.task_prefixes)
    assert _sweep(capsys, *args)["skipped"] == 4  # nothing left to do
    (tmp_path / NAMES[2]).unlink()  # as if a worker had died before writing this run
    again = _sweep(capsys, *args)
    assert (again["trained"], again["skipped"]) == (1, 3)
    assert (tmp_path / NAMES[2]).exists()


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--backend", "dask"], "needs --scheduler"),
        (["--scheduler", "tcp://127.0.0.1:8786"], "add --backend dask"),
        (["--backend", "dask", "--scheduler", "nowhere"], "missing port number"),
    ],
)
def test_the_dask_backend_and_the_scheduler_come_together(
    tmp_path, capsys, quiet_commands, flags, message
):
    with pytest.raises(SystemExit) as exit:
        cli.run(main, ["sweep", *TINY, *flags, "--out", str(tmp_path)], prog=PROG)
    assert exit.value.code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"{PROG}: error:") and message in line
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_error_line(tmp_path, monkeypatch):
    # dask's own setting: give up on the closed port after 2 s instead of 30
    monkeypatch.setitem(ENV, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", "2s")
    flags = ["--backend", "dask", "--scheduler", "tcp://127.0.0.1:1"]
    proc = run_cli("sweep", *TINY, *flags, "--out", str(tmp_path), timeout=60)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"{PROG}: error: cannot reach a Dask scheduler at")
    assert "`dask scheduler`" in line and not list(tmp_path.iterdir())
