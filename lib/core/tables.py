"""The tables the chapters display (all four), as Markdown.

The book renders them with MyST (``nb_render_markdown_format: myst`` in _config.yml) and
JupyterLab with its own Markdown renderer, so a table reads the same in both. Columns of numbers
are right-aligned; a caption is a bold line above the table; a line break in a header cell
becomes ``<br>``, which keeps wide headers narrow.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence


def _numeric(value: Any) -> bool:
    """A number, or text that reads as one or as a range (``1,234``, ``98 – 130``, ``320 ± 14``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    text = str(value)
    for mark in (",", " ", "–", "±", ".", "+", "-", "/", "%"):
        text = text.replace(mark, "")
    return text.isdigit()


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", "<br>")


def markdown_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = ""
) -> str:
    """A Markdown table of ``rows`` under ``header``; format numbers before passing them."""
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"every row needs {len(header)} cells, as the header has")
    right = [
        bool(rows) and all(_numeric(row[j]) for row in rows) for j in range(len(header))
    ]
    lines = [f"**{caption}**", ""] if caption else []
    lines += [
        "| " + " | ".join(_cell(h) for h in header) + " |",
        "|" + "".join("---:|" if r else "---|" for r in right),
    ]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def config_table(config: Any, caption: str = "") -> str:
    """A dataclass configuration as a two-column table, one field a row."""
    rows = [(f"`{k}`", v) for k, v in dataclasses.asdict(config).items()]
    return markdown_table(["setting", "value"], rows, caption)
