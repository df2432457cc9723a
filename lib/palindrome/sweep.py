"""Sweeps over lengths, models, recipes and seeds: the saved runs behind chapter 02's claims.

One run (a recipe, a model, a length and a seed) is the unit of work. ``run_job`` trains it and
writes its own JSON file, named after it, and does nothing when that file already exists: a killed
sweep resumes where it stopped, and the runs can be spread over processes (``n_jobs``, through
joblib) in any order, or over the machines of a Dask cluster (``backend="dask"``, through joblib's
Dask backend) that share the results folder. ``load_runs`` reads a folder of such files back as
plain dicts.

    python -m lib.palindrome sweep --seeds 0-4 --out results/palindrome_runs
    python -m lib.palindrome sweep --backend dask --scheduler tcp://HOST:8786 --out /shared/runs
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from lib.core import files
from lib.palindrome.train import TrainConfig, train

FORMAT = 1
# plain: train at T from the start; curriculum: grow T stage by stage
RECIPES = ("plain", "curriculum")
# local: joblib's processes on this machine; dask: the workers of a running Dask scheduler
BACKENDS = ("local", "dask")
WORKER_WAIT = 60  # seconds to wait for a Dask scheduler's first worker before giving up


@dataclass(frozen=True)
class Job:
    """One run of a sweep; ``base`` supplies every other setting."""

    recipe: str  # 'plain' or 'curriculum'
    model: str  # 'lstm' or 'rnn'
    length: int  # T
    seed: int  # seeds the weights, the training stream and the held-out stream

    @property
    def name(self) -> str:
        """The run's file stem, e.g. ``curriculum-lstm-T100-s3``."""
        return f"{self.recipe}-{self.model}-T{self.length:03d}-s{self.seed}"

    def path(self, folder: str | os.PathLike) -> Path:
        """The file this run writes in ``folder``."""
        return Path(folder) / f"{self.name}.json"

    def config(self, base: TrainConfig) -> TrainConfig:
        """``base`` with this run's model, length, seed and recipe."""
        if self.recipe not in RECIPES:
            raise ValueError(f"unknown recipe {self.recipe!r}: use plain or curriculum")
        return dataclasses.replace(
            base,
            model=self.model,
            length=self.length,
            seed=self.seed,
            curriculum=self.recipe == "curriculum",
        )


def jobs(
    lengths: Iterable[int],
    models: Iterable[str],
    seeds: Iterable[int],
    recipes: Iterable[str] = RECIPES,
) -> list[Job]:
    """Every combination, longest lengths first (the slowest runs start early when run in parallel)."""
    return [
        Job(r, m, t, s)
        for r in recipes
        for m in models
        for t in sorted(set(lengths), reverse=True)
        for s in seeds
    ]


def save_sweep(
    runs: list[dict[str, Any]], path: str | os.PathLike, **meta: Any
) -> Path:
    """Write runs (and metadata such as the command that made them) to ``path`` as JSON, atomically."""
    return files.save_json({"format": FORMAT, **meta, "runs": runs}, path)


def run_job(
    job: Job,
    base: TrainConfig,
    folder: str | os.PathLike,
    command: str = "",
    threads: int | None = None,
) -> Path:
    """Train ``job`` and write ``folder/<job.name>.json``; skip it if that file exists."""
    path = job.path(folder)
    if path.exists():
        return path
    if not Path(folder).is_dir():  # on a cluster: a worker that does not see the folder
        raise FileNotFoundError(
            f"folder {str(folder)!r} does not exist on {socket.gethostname()}: "
            "give --out a folder that every worker sees (a shared filesystem)"
        )
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    history = train(job.config(base), show_progress=False)
    return save_sweep([history.to_dict()], path, command=command)


@contextlib.contextmanager
def on_dask(scheduler: str) -> Iterator[None]:
    """Send joblib's work inside the block to the workers of the Dask scheduler at ``scheduler``.

    Chapter 02's sweep on a cluster: the workers run this repository's package (the same venv)
    and must see the sweep's folder. ValueError, saying what to do, when the scheduler cannot
    be reached or has no worker.
    """
    from distributed import Client
    from joblib import parallel_config

    try:
        client = Client(scheduler)
    except (OSError, ValueError) as err:
        raise ValueError(
            f"cannot reach a Dask scheduler at {scheduler!r} ({err}): start one with "
            "`dask scheduler` and pass the address it prints, e.g. tcp://HOST:8786"
        ) from None
    with client:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT)
        except TimeoutError:
            raise ValueError(
                f"the Dask scheduler at {scheduler!r} has no worker after {WORKER_WAIT} s: "
                f"start some with `dask worker {scheduler} --nthreads 1`"
            ) from None
        with parallel_config(backend="dask", client=client):
            yield


def _engine(backend: str, scheduler: str | None) -> contextlib.AbstractContextManager:
    """Where ``run_jobs`` sends its runs: joblib's processes here, or a Dask cluster."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: use local or dask")
    if backend == "dask" and not scheduler:
        raise ValueError(
            "the dask backend needs --scheduler, the address of a running "
            "`dask scheduler`, e.g. tcp://HOST:8786"
        )
    if backend == "local" and scheduler:
        raise ValueError("--scheduler is for the Dask backend: add --backend dask")
    return on_dask(scheduler) if backend == "dask" else contextlib.nullcontext()


def run_jobs(
    todo: list[Job],
    base: TrainConfig,
    folder: str | os.PathLike,
    command: str = "",
    n_jobs: int = 1,
    progress: bool | None = None,
    backend: str = "local",
    scheduler: str | None = None,
) -> list[Path]:
    """Run every job not done yet, ``n_jobs`` processes at a time (1: in this process).

    With ``backend="dask"`` the runs go to the workers of the Dask scheduler at ``scheduler``,
    as many at a time as they have threads (``n_jobs`` is ignored; joblib runs them in this
    process when the cluster has only one); ``folder`` must be one that every worker sees.
    """
    from joblib import Parallel, delayed

    from lib.core.progress import progress as bar

    engine = _engine(backend, scheduler)
    pending = [job for job in todo if not job.path(folder).exists()]
    # parallel runs share the cores: one thread each
    threads = 1 if n_jobs != 1 or backend == "dask" else None
    work = (delayed(run_job)(job, base, folder, command, threads) for job in pending)
    paths = []
    quiet = None if progress is None else not progress
    with engine, bar(total=len(pending), desc="sweep", disable=quiet) as b:
        for path in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(work):
            paths.append(path)
            b.update(1)
    return paths


def _missing(what: str, path: Path) -> FileNotFoundError:
    return FileNotFoundError(
        f"no {what} at {str(path)!r}: run `python -m lib.palindrome sweep` first"
    )


def read_sweep(path: str | os.PathLike) -> dict[str, Any]:
    """The contents of a file written by ``save_sweep``, as written: format, metadata, runs.

    FileNotFoundError if it is missing, ValueError if it is not such a file.
    """
    path = Path(path)
    if not path.is_file():
        raise _missing("sweep results", path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{str(path)!r} is not valid JSON ({err}); run the sweep again"
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("runs"), list)
    ):
        raise ValueError(f"{str(path)!r} is not a palindrome sweep of format {FORMAT}")
    return data


def load_sweep(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The runs of one file written by ``save_sweep``, each with the file's ``command``."""
    data = read_sweep(path)
    return [{**run, "command": data.get("command", "")} for run in data["runs"]]


def recipe_of(run: dict[str, Any]) -> str:
    """'curriculum' if the run trained through growing lengths, else 'plain'."""
    return (
        "curriculum"
        if len(run["stages"]) > 1 or run["config"]["curriculum"]
        else "plain"
    )


def load_runs(folder: str | os.PathLike) -> list[dict[str, Any]]:
    """Every run saved in ``folder`` (one JSON file each), with its ``recipe`` and ``command``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise _missing("sweep folder", folder)
    runs = [run for path in sorted(folder.glob("*.json")) for run in load_sweep(path)]
    return [{**run, "recipe": recipe_of(run)} for run in runs]
