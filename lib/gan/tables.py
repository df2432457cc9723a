"""Small HTML tables for chapters 03 and 04 (the recipe comparison, the seeds, the two networks).

Plain HTML with one tag per line, so that a stored notebook output stays narrow (no line of it is
wider than the book's 88-character code column) and reads well in a diff. No pandas needed.
"""

from __future__ import annotations

import html
from typing import Any, Sequence

from torch import nn


def html_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = ""
) -> str:
    """An HTML table: a header row of ``columns``, then ``rows``; numbers are right-aligned.

    Cells are written as given (format numbers before); text is escaped, except that a line break
    written as ``\\n`` becomes ``<br>``.
    """

    def cell(tag: str, value: Any) -> str:
        text = html.escape(str(value)).replace("\n", "<br>")
        align = (
            ' style="text-align:right"'
            if isinstance(value, (int, float)) or _numeric(text)
            else ""
        )
        return f"  <{tag}{align}>{text}</{tag}>"

    lines = ["<table>"] + (
        [f"<caption>{html.escape(caption)}</caption>"] if caption else []
    )
    lines += [
        "<thead><tr>",
        *(cell("th", c) for c in columns),
        "</tr></thead>",
        "<tbody>",
    ]
    for row in rows:
        lines += ["<tr>", *(cell("td", value) for value in row), "</tr>"]
    return "\n".join([*lines, "</tbody>", "</table>"])


def _numeric(text: str) -> bool:
    """Text that reads as a number or a range of numbers (``1,234``, ``12.5``, ``98 – 130``, ``320 ± 14``)."""
    stripped = (
        text.replace(",", "")
        .replace(" ", "")
        .replace("–", "")
        .replace("±", "")
        .replace(".", "")
    )
    return stripped.isdigit()


def layer_rows(net: nn.Module) -> list[tuple[str, str, str]]:
    """(index, layer, parameters) for each layer of ``net.net`` (the GAN's Sequential), in order."""
    rows = []
    for index, layer in enumerate(net.net):
        if isinstance(layer, nn.Linear):
            what = f"Linear {layer.in_features} → {layer.out_features}"
        elif isinstance(layer, nn.BatchNorm1d):
            what = f"BatchNorm1d {layer.num_features}"
        elif isinstance(layer, nn.LeakyReLU):
            what = f"LeakyReLU, slope {layer.negative_slope:g}"
        else:
            what = type(layer).__name__
        count = sum(p.numel() for p in layer.parameters())
        rows.append((str(index), what, f"{count:,}" if count else ""))
    return rows
