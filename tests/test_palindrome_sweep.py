"""Sweeps over seeds: one resumable file per run, loading them back, and the statistics over seeds."""

import json

import pytest

from lib.palindrome.parser import build_parser
from lib.palindrome.stats import longest_solved, solved_table, summarize
from lib.palindrome.sweep import (
    Job,
    jobs,
    load_runs,
    load_sweep,
    run_job,
    run_jobs,
    save_sweep,
)
from lib.palindrome.train import TrainConfig

TINY = TrainConfig(steps=4, eval_every=2, eval_size=20, hidden=4, device="cpu")


def _run(recipe, model, length, seed, accuracy):
    return {
        "recipe": recipe,
        "model": model,
        "length": length,
        "seed": seed,
        "accuracy": accuracy,
        "steps": 10,
    }


def test_jobs_cover_every_combination_longest_first():
    todo = jobs([5, 20], ["lstm", "rnn"], [0, 1], ["plain"])
    assert len(todo) == 8 and len({job.name for job in todo}) == 8
    assert [job.length for job in todo[:2]] == [20, 20]
    assert Job("curriculum", "rnn", 7, 3).name == "curriculum-rnn-T007-s3"


def test_a_job_writes_its_file_once_and_records_the_command(tmp_path):
    job = Job("curriculum", "lstm", 4, 1)
    path = run_job(job, TINY, tmp_path, command="python -m lib.palindrome sweep ...")
    first = path.read_text()
    assert (
        run_job(job, TINY, tmp_path, command="other") == path
        and path.read_text() == first
    )
    (run,) = load_runs(tmp_path)
    assert (run["recipe"], run["model"], run["length"], run["seed"]) == (
        "curriculum",
        "lstm",
        4,
        1,
    )
    assert run["command"].startswith("python -m lib.palindrome sweep")
    assert run["config"]["steps"] == TINY.steps


def test_a_killed_sweep_resumes_with_the_runs_it_lacks(tmp_path):
    todo = jobs([3], ["rnn"], [0, 1, 2], ["plain"])
    run_job(todo[1], TINY, tmp_path)
    done = run_jobs(todo, TINY, tmp_path, n_jobs=1, progress=False)
    assert sorted(p.name for p in done) == [
        "plain-rnn-T003-s0.json",
        "plain-rnn-T003-s2.json",
    ]
    assert len(load_runs(tmp_path)) == 3


def test_parallel_runs_equal_runs_in_one_process(tmp_path):
    todo = jobs([3], ["lstm"], [0, 1], ["plain"])
    for name, n_jobs in (("a", 2), ("b", 1)):
        (tmp_path / name).mkdir()
        run_jobs(todo, TINY, tmp_path / name, n_jobs=n_jobs, progress=False)
    a = {r["seed"]: r["records"] for r in load_runs(tmp_path / "a")}
    b = {r["seed"]: r["records"] for r in load_runs(tmp_path / "b")}
    strip = lambda recs: [{k: v for k, v in r.items() if k != "seconds"} for r in recs]  # noqa: E731
    assert {s: strip(r) for s, r in a.items()} == {s: strip(r) for s, r in b.items()}


def test_foreign_and_missing_files_are_refused(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_sweep(tmp_path / "bad.json")
    (tmp_path / "bad.json").write_text(json.dumps({"format": 99, "runs": []}))
    with pytest.raises(ValueError, match="format"):
        load_sweep(tmp_path / "bad.json")
    with pytest.raises(FileNotFoundError, match="lib.palindrome sweep"):
        load_runs(tmp_path / "nowhere")
    save_sweep([], tmp_path / "empty.json")
    assert load_sweep(tmp_path / "empty.json") == []


def test_statistics_over_seeds():
    runs = [_run("plain", "lstm", 5, s, 1.0) for s in range(5)]
    runs += [
        _run("plain", "lstm", 10, s, acc)
        for s, acc in enumerate([1.0, 1.0, 1.0, 0.5, 0.1])
    ]
    runs += [
        _run("plain", "lstm", 20, s, acc)
        for s, acc in enumerate([1.0, 0.1, 0.1, 0.1, 0.1])
    ]
    cells = summarize(runs)
    ten = cells[("plain", "lstm", 10)]
    assert (ten.median, ten.low, ten.high, ten.solved, ten.n) == (1.0, 0.1, 1.0, 3, 5)
    assert longest_solved(cells, "plain", "lstm", quorum=5) == 5
    assert longest_solved(cells, "plain", "lstm", quorum=3) == 10
    assert longest_solved(cells, "plain", "lstm", quorum=1) == 20
    table = solved_table(cells, ("plain",), ("lstm",))
    assert "| 10 | 3/5 |" in table and "| 20 | 1/5 |" in table


def test_a_repeated_seed_is_an_error():
    with pytest.raises(ValueError, match="seed repeated"):
        summarize([_run("plain", "rnn", 5, 0, 1.0), _run("plain", "rnn", 5, 0, 0.5)])


def test_sweep_takes_the_seed_lists_of_the_gan_commands():
    args = build_parser().parse_args(["sweep", "--seeds", "0-2,7"])
    assert args.seeds == (0, 1, 2, 7)
