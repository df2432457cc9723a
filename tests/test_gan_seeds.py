"""`python -m lib.gan seeds`: seed lists, a results file rewritten after every seed, resuming, bad input.

Training the chapter's recipe takes minutes, so most tests replace `lib.gan.seeds.run_seed` (the
train-and-score step) with a stand-in and check what the command does around it; one slow test runs
a real seed end to end on a tiny fake MNIST.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import fake_mnist

import lib.gan.seeds as seeds
from lib.core.cli import parse_seeds, run
from lib.gan.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.usefixtures("quiet_commands")  # see conftest.py


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return fake_mnist(tmp_path_factory.mktemp("seeds") / "data", n_train=128, n_test=64)


def cli(argv, capsys):
    """Run the CLI in this process; return (exit status, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        run(main, [str(a) for a in argv])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def seeds_argv(data: Path, tmp_path: Path, seed_list: str) -> list:
    return [
        "seeds",
        "--seeds",
        seed_list,
        "--root",
        data,
        "--cache",
        tmp_path / "cache",
        "--out",
        tmp_path / "seeds.json",
        "--samples",
        64,
        "--device",
        "cpu",
    ]


def stand_in(trained: list[int], fail_at: int | None = None):
    """A run_seed that records which seeds it was asked for and returns a plausible entry quickly."""

    def run_seed(job, seed, classifier, test_images):
        if seed == fail_at:
            raise KeyboardInterrupt  # as if the process were stopped while training this seed
        trained.append(seed)
        paths = [
            {
                "pair": list(p),
                "endpoints_labelled": True,
                "same_labels": 9,
                "middle_contrast": {"linear": 0.8, "spherical": 0.9},
            }
            for p in seeds.PAIRS
        ]
        return {
            "seed": seed,
            "wall_seconds": 1.0 + seed,
            "fid": 100.0 + seed,
            "real_floor": 5.0,
            "classes_present": 10,
            "min_class_count": 50,
            "evenness": 0.98,
            "inception_score": 8.0 + seed / 10,
            "real_inception_score": 9.5,
            "classifier_test_accuracy": 0.99,
            "last_epoch": {"d_real": 0.6, "d_fake": 0.4, "loss_d": 1.2, "loss_g": 1.0},
            "fid_over_training": {"epoch": [0, 40], "fid": [1000.0, 110.0 + seed]},
            "paths": paths,
        }

    return run_seed


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0-2", (0, 1, 2)),
        ("0,1,2", (0, 1, 2)),
        ("5", (5,)),
        ("0-2,7", (0, 1, 2, 7)),
        (" 3 - 4 , 9 ", (3, 4, 9)),
        ("2,0", (2, 0)),
    ],
)
def test_seed_lists(text, expected):
    assert parse_seeds(text) == expected


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("", "not a list of seeds"),
        ("-1", "not a list of seeds"),
        ("a-b", "not a list of seeds"),
        ("0-", "not a list of seeds"),
        ("1.5", "not a list of seeds"),
        ("0,,1", "not a list of seeds"),
        ("2-0", "counts down"),
        ("0-2,1", "appears twice"),
    ],
)
def test_bad_seed_lists_are_refused(text, phrase):
    with pytest.raises(ValueError, match=phrase):
        parse_seeds(text)


def test_writes_every_seed_with_command_and_summary(
    data, tmp_path, capsys, monkeypatch
):
    trained = []
    monkeypatch.setattr(seeds, "run_seed", stand_in(trained))
    code, out, err = cli(seeds_argv(data, tmp_path, "0-2"), capsys)
    assert code == 0, err
    assert trained == [0, 1, 2]
    saved = json.loads((tmp_path / "seeds.json").read_text())
    assert [entry["seed"] for entry in saved["seeds"]] == [0, 1, 2]
    assert saved["commands"] == [
        f"python -m lib.gan seeds --seeds 0-2 --root {data} --cache {tmp_path / 'cache'} "
        f"--out {tmp_path / 'seeds.json'} --samples 64 --device cpu"
    ]
    assert saved["summary"]["fid"] == {"median": 101.0, "min": 100.0, "max": 102.0}
    assert saved["summary"]["final_tracked_fid"]["max"] == 112.0
    ratio = saved["summary"]["inception_ratio"]
    assert (ratio["min"], ratio["max"]) == pytest.approx((8.0 / 9.5, 8.2 / 9.5))
    assert (
        saved["recipe"]["epochs"] == seeds.DEFAULT_CONFIG.epochs
        and "seed" not in saved["recipe"]
    )
    summary = json.loads(
        out.strip().splitlines()[-1]
    )  # the last stdout line is the JSON summary
    assert summary["trained"] == [0, 1, 2] and summary["fid"]["max"] == 102.0


def test_a_stopped_run_resumes_without_redoing_finished_seeds(
    data, tmp_path, capsys, monkeypatch
):
    trained = []
    monkeypatch.setattr(seeds, "run_seed", stand_in(trained, fail_at=1))
    code, _, _ = cli(seeds_argv(data, tmp_path, "0-2"), capsys)
    assert code == 130  # interrupted during seed 1
    first = json.loads((tmp_path / "seeds.json").read_text())
    assert [entry["seed"] for entry in first["seeds"]] == [
        0
    ]  # seed 0 was saved before seed 1 began
    assert not list(tmp_path.glob(".seeds.json.*"))  # no temporary file left behind

    trained.clear()
    monkeypatch.setattr(seeds, "run_seed", stand_in(trained))
    code, out, err = cli(seeds_argv(data, tmp_path, "0,1,2"), capsys)
    assert code == 0, err
    assert trained == [1, 2]
    saved = json.loads((tmp_path / "seeds.json").read_text())
    assert saved["seeds"][0] == first["seeds"][0]  # kept as it was
    assert len(saved["commands"]) == 2 and json.loads(out.strip().splitlines()[-1])[
        "skipped"
    ] == [0]

    trained.clear()
    code, out, _ = cli(
        seeds_argv(data, tmp_path, "2,0"), capsys
    )  # everything done: nothing to train
    assert code == 0 and trained == []
    assert json.loads((tmp_path / "seeds.json").read_text()) == saved


@pytest.mark.parametrize(
    "field, value",
    [("recipe", {"epochs": 200}), ("optimizer", "Adam, one kernel per tensor")],
)
def test_a_file_of_another_recipe_is_not_mixed_in(
    data, tmp_path, capsys, monkeypatch, field, value
):
    trained = []
    monkeypatch.setattr(seeds, "run_seed", stand_in(trained))
    assert cli(seeds_argv(data, tmp_path, "0"), capsys)[0] == 0
    saved = json.loads((tmp_path / "seeds.json").read_text())
    saved[field] = {**saved[field], **value} if isinstance(value, dict) else value
    (tmp_path / "seeds.json").write_text(json.dumps(saved))
    code, _, err = cli(seeds_argv(data, tmp_path, "0-1"), capsys)
    assert (
        code == 2 and len(err.strip().splitlines()) == 1 and f"another {field}" in err
    )
    assert trained == [0]


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["--seeds", "2-0"], "counts down"),
        (["--seeds", "0,x"], "not a list of seeds"),
        (["--seeds", "0,0"], "appears twice"),
        (["--threads", "0"], "above zero"),
        (["--samples", "-5"], "above zero"),
        (["--out", "{tmp}/missing/seeds.json"], "does not exist"),
        (["--root", "{tmp}/missing"], "make data"),
        (["--device", "tpu"], "tpu"),
        (["--out", "{tmp}/not_json.json"], "not a results JSON"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    data, tmp_path, capsys, monkeypatch, argv, phrase
):
    monkeypatch.setattr(
        seeds, "run_seed", lambda *a: pytest.fail("trained despite bad input")
    )
    (tmp_path / "not_json.json").write_text("keep me")
    given = [a.format(tmp=tmp_path) for a in argv]
    defaults = {
        "--root": str(data),
        "--out": str(tmp_path / "seeds.json"),
        "--seeds": "0",
    }
    extra = [
        x
        for flag, value in defaults.items()
        if flag not in given
        for x in (flag, value)
    ]
    code, out, err = cli(
        ["seeds", *given, *extra, "--cache", tmp_path / "cache"], capsys
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and phrase in lines[0], err
    assert (tmp_path / "not_json.json").read_text() == "keep me"
    assert not (tmp_path / "seeds.json").exists()


@pytest.mark.slow
def test_one_real_seed_end_to_end(data, tmp_path):
    """The real train-and-score step on a tiny fake MNIST, through the command line."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lib.gan",
            "seeds",
            "--seeds",
            "3",
            "--root",
            str(data),
            "--cache",
            str(tmp_path / "cache"),
            "--out",
            str(tmp_path / "seeds.json"),
            "--samples",
            "64",
            "--device",
            "cpu",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "TQDM_DISABLE": "1", "DLBOOK_NATIVE": "0"},
    )
    assert done.returncode == 0, done.stderr
    entry = json.loads((tmp_path / "seeds.json").read_text())["seeds"][0]
    assert (
        entry["seed"] == 3
        and not entry["from_cache"]
        and entry["machine"]["threads"] == 1
    )
    assert (
        sum(entry["class_counts"]) == 64
        and entry["fid"] > 0
        and entry["real_floor"] > 0
    )
    recipe = seeds.DEFAULT_CONFIG
    every = recipe.track_every
    assert entry["fid_over_training"]["epoch"] == list(
        range(0, recipe.epochs + 1, every)
    )
    assert set(entry["last_epoch"]) == {"loss_d", "loss_g", "d_real", "d_fake"}
    assert [p["pair"] for p in entry["paths"]] == [list(p) for p in seeds.PAIRS]
    assert any(
        p.name.startswith("gan-") for p in (tmp_path / "cache").iterdir()
    )  # the run is cached
    assert json.loads(done.stdout.strip().splitlines()[-1])["trained"] == [3]
