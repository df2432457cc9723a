"""Every chapter is a jupytext pair whose two files hold the same cells, and the .ipynb is executed.

notebooks/NN_name.py (py:percent) is what people review; notebooks/NN_name.ipynb carries the stored
outputs that the book shows and nbval checks. `make sync` or saving in JupyterLab keeps them equal;
`make notebooks` re-executes them.
"""

import re
from pathlib import Path

import jupytext
import pytest
from conftest import ROOT, toc_documents

NOTEBOOKS = ROOT / "notebooks"
STEMS = sorted(
    {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*") if p.suffix in (".py", ".ipynb")}
)
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+\S")


def _twin(stem: str, suffix: str) -> Path:
    """notebooks/<stem><suffix>, or the test fails saying which twin is missing."""
    path = NOTEBOOKS / f"{stem}{suffix}"
    if not path.is_file():
        pytest.fail(f"notebooks/{stem}{suffix} is missing: run `make sync`")
    return path


def _cells(path: Path) -> list[tuple[str, str, list, dict]]:
    """Each cell's type, source, tags and myst-nb options: what the two twins must share.

    The tags carry nbval-ignore-output and hide-input, the options the figures' alt text; a
    twin that drops them would lose them at the next `make sync`.
    """
    notebook = jupytext.read(path)
    return [
        (
            cell.cell_type,
            cell.source.strip(),
            cell.metadata.get("tags", []),
            cell.metadata.get("mystnb", {}),
        )
        for cell in notebook.cells
    ]


def _headings(notebook) -> list[tuple[int, str]]:
    """(level, line) of every Markdown heading, skipping fenced code blocks."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        in_fence = False
        for line in cell.source.splitlines():
            if FENCE.match(line):
                in_fence = not in_fence
            elif not in_fence and (m := HEADING.match(line)):
                found.append((len(m.group(1)), line.strip()))
    return found


def test_chapters_exist():
    toc_notebooks = [doc for doc in toc_documents() if doc.startswith("notebooks/")]
    missing = [doc for doc in toc_notebooks if not (ROOT / f"{doc}.ipynb").is_file()]
    assert toc_notebooks, "_toc.yml lists no notebooks"
    assert not missing, f"_toc.yml lists notebooks that do not exist: {missing}"


@pytest.mark.parametrize("stem", STEMS)
def test_both_twins_exist(stem):
    for suffix in (".py", ".ipynb"):
        assert (NOTEBOOKS / f"{stem}{suffix}").is_file(), (
            f"notebooks/{stem}{suffix} is missing: run `make sync`"
        )


@pytest.mark.parametrize("stem", STEMS)
def test_twins_hold_the_same_cells(stem):
    py, ipynb = _twin(stem, ".py"), _twin(stem, ".ipynb")
    from_py, from_ipynb = _cells(py), _cells(ipynb)
    for i, (a, b) in enumerate(zip(from_py, from_ipynb)):
        assert a == b, (
            f"{stem}: cell {i} differs between .py and .ipynb "
            f"(run `make sync`, then `make notebooks`):\n.py:    {a}\n.ipynb: {b}"
        )
    assert len(from_py) == len(from_ipynb), (
        f"{stem}: {len(from_py)} cells in .py, {len(from_ipynb)} in .ipynb: run `make sync`"
    )


@pytest.mark.parametrize("stem", STEMS)
def test_notebook_is_executed_top_to_bottom(stem):
    path = _twin(stem, ".ipynb")
    code = [
        c
        for c in jupytext.read(path).cells
        if c.cell_type == "code" and c.source.strip()
    ]
    counts = [c.get("execution_count") for c in code]
    assert code, f"{stem} has no code cells"
    assert None not in counts, (
        f"{stem}: cells without stored outputs (run `make notebooks`)"
    )
    assert counts == sorted(counts) and len(set(counts)) == len(counts), (
        f"{stem}: execution counts {counts} show cells run out of order; run `make notebooks`"
    )
    assert any(c.outputs for c in code), f"{stem}: no code cell has an output"
    errors = [
        c.execution_count
        for c in code
        if any(o.output_type == "error" for o in c.outputs)
    ]
    assert not errors, f"{stem}: cells {errors} stored an error"


@pytest.mark.parametrize("stem", STEMS)
def test_notebook_is_in_the_toc(stem):
    assert f"notebooks/{stem}" in toc_documents(), (
        f"add `- file: notebooks/{stem}` to _toc.yml"
    )


@pytest.mark.parametrize("stem", STEMS)
def test_one_title_and_no_skipped_levels(stem):
    path = _twin(stem, ".py")
    headings = _headings(jupytext.read(path))
    titles = [line for level, line in headings if level == 1]
    assert len(titles) == 1, f"{stem} needs exactly one `# Title`, found {titles}"
    assert headings[0][0] == 1, (
        f"{stem} starts with {headings[0][1]!r} before its title"
    )
    for (prev, _), (level, line) in zip(headings, headings[1:]):
        assert level <= prev + 1, f"{stem}: {line!r} skips a heading level"


@pytest.mark.parametrize("stem", STEMS)
def test_no_control_characters(stem):
    # A "\b" typed into a non-raw Python string becomes a backspace: "$\beta$" turns into "$<BS>eta$",
    # which MathJax cannot typeset; a "\t" likewise turns "$\theta$" into "$<TAB>heta$".
    path = _twin(stem, ".py")
    bad = [
        f"line {n}: {line.strip()[:80]!r}"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if any(ord(ch) < 32 for ch in line)
    ]
    assert not bad, f"{stem}.py holds control characters:\n" + "\n".join(bad)


@pytest.mark.parametrize("stem", STEMS)
def test_no_heading_is_left_inside_a_code_cell(stem):
    # A Markdown cell that loses its `# %% [markdown]` marker joins the code cell above it: its
    # text then shows in the book as code, and its heading vanishes from the page's outline.
    notebook = jupytext.read(_twin(stem, ".py"))
    stray = [
        line
        for cell in notebook.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if re.match(r"#\s+#{1,6}\s", line)
    ]
    assert not stray, f"{stem}: Markdown headings inside code cells: {stray}"
