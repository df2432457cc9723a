"""The packaging files agree with each other, with the installed environment, and with CI.

pyproject.toml is the source of the pins; environment.yml repeats them for conda users, the Makefile
turns them into the two commands of the README, and .ci/run calls `make test`.
"""

import re
import subprocess
import tomllib
from importlib import metadata

import pytest
import yaml
from conftest import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# Pins the issues fix; everything else may float.
PINS = {"torch": "==2.14.1", "torchvision": "==0.29.1", "jupyter-book": "<2,>=1.0.4"}
NEEDED = {
    "jupyterlab",
    "matplotlib",
    "ipywidgets",
    "nbval",
    "jupytext",
    "tqdm",
    "pytest",
    "playwright",
}


def _by_name(lines) -> dict[str, Requirement]:
    reqs = {}
    for line in lines:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name not in reqs, f"{req.name} is listed twice"
        reqs[name] = req
    return reqs


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def conda_env() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


@pytest.fixture(scope="module")
def project_reqs(pyproject) -> dict[str, Requirement]:
    return _by_name(pyproject["project"]["dependencies"])


def _conda_pip_section(conda_env) -> list[str]:
    sections = [
        d["pip"]
        for d in conda_env["dependencies"]
        if isinstance(d, dict) and "pip" in d
    ]
    assert len(sections) == 1, "environment.yml needs exactly one `pip:` section"
    return sections[0]


def test_pins(project_reqs):
    for name, spec in PINS.items():
        assert name in project_reqs, f"pyproject.toml does not list {name}"
        assert str(project_reqs[name].specifier) == spec, (
            f"pyproject.toml pins {name}{project_reqs[name].specifier}, expected {name}{spec}"
        )
    missing = NEEDED - set(project_reqs)
    assert not missing, f"pyproject.toml misses {sorted(missing)}"


def test_environment_yml_matches_pyproject(conda_env, project_reqs):
    pip_lines = _conda_pip_section(conda_env)
    assert "-e ." in pip_lines, (
        "environment.yml should install the project itself with `-e .`"
    )
    conda_reqs = _by_name(line for line in pip_lines if line != "-e .")
    only_conda = sorted(set(conda_reqs) - set(project_reqs))
    only_pyproject = sorted(set(project_reqs) - set(conda_reqs))
    assert not only_conda and not only_pyproject, (
        f"only in environment.yml: {only_conda}; only in pyproject.toml: {only_pyproject}"
    )
    differ = [
        f"{name}: {conda_reqs[name].specifier} vs {project_reqs[name].specifier}"
        for name in project_reqs
        if conda_reqs[name].specifier != project_reqs[name].specifier
    ]
    assert not differ, (
        "environment.yml and pyproject.toml pin differently: " + "; ".join(differ)
    )


def test_python_versions_agree(conda_env, pyproject):
    pythons = [
        d
        for d in conda_env["dependencies"]
        if isinstance(d, str) and d.startswith("python")
    ]
    assert pythons == ["python=3.11"], (
        f"environment.yml asks for {pythons}, expected python=3.11"
    )
    assert Requirement(
        f"python{pyproject['project']['requires-python']}"
    ).specifier.contains("3.11")


def test_installed_environment_satisfies_pyproject(project_reqs):
    wrong = []
    for name, req in project_reqs.items():
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} is not installed")
            continue
        if not req.specifier.contains(version, prereleases=True):
            wrong.append(f"{name} {version} does not satisfy {req.specifier}")
    assert not wrong, "the environment is out of date, run `make venv`: " + "; ".join(
        wrong
    )


def _make_rule(target: str) -> tuple[list[str], str]:
    """Prerequisites and recipe of one Makefile target."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(
        rf"^{re.escape(target)}:([^\n=]*)\n((?:\t.*\n|[ ]+.*\n)*)", text, re.MULTILINE
    )
    assert match, f"the Makefile has no `{target}` target"
    return match.group(1).split(), match.group(2)


def _dry_run(target: str) -> str:
    """The commands `make TARGET` would run, as make expands them (nothing is run)."""
    done = subprocess.run(
        ["make", "-n", "-B", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_test_runs_unit_both_nbval_passes_lint_and_browser():
    prereqs, _ = _make_rule("test")
    assert {"lint", "unit", "nbval", "nbval-portable", "browser"} <= set(prereqs), (
        prereqs
    )
    assert "pytest" in _dry_run("unit") and '"not browser"' in _dry_run("unit")
    for target in ("nbval", "nbval-portable"):
        command = _dry_run(target)
        assert "--nbval" in command and "notebooks/nbval_sanitize.cfg" in command
    portable = _dry_run(
        "nbval-portable"
    )  # another machine: code path, threads, empty cache
    assert "ATEN_CPU_CAPABILITY=default" in portable and "DLBOOK_THREADS=1" in portable
    assert "DLBOOK_CACHE=" in portable and "mktemp -d" in portable
    assert "ruff check" in _dry_run("lint") and "ruff format --check" in _dry_run(
        "lint"
    )
    assert "-m browser" in _dry_run("browser")


def test_make_book_treats_warnings_as_errors():
    _, book = _make_rule("book")
    for flag in ("--warningiserror", "--nitpick", "--keep-going"):
        assert flag in book, f"`make book` does not pass {flag}"


def test_ci_runs_make_test():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "make test" in lines, ".ci/run does not call `make test`"
