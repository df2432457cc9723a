"""The chapters' Markdown tables (lib.core.tables)."""

import dataclasses

import pytest

from lib.core.tables import config_table, markdown_table


def test_a_row_per_entry_and_numbers_aligned_right():
    table = markdown_table(["name", "count"], [["a", "1,234"], ["b|c", 5]]).splitlines()
    assert table == ["| name | count |", "|---|---:|", "| a | 1,234 |", "| b\\|c | 5 |"]


def test_caption_and_line_breaks_in_headers():
    table = markdown_table(["FID,\nmean ± sd"], [["320 ± 14"]], caption="Reached")
    assert table.splitlines()[:3] == ["**Reached**", "", "| FID,<br>mean ± sd |"]


def test_a_short_row_is_refused():
    with pytest.raises(ValueError, match="every row needs 2 cells"):
        markdown_table(["a", "b"], [[1]])


def test_config_table_has_one_row_per_field():
    @dataclasses.dataclass
    class Config:
        lr: float = 1e-3
        betas: tuple = (0.5, 0.999)

    rows = config_table(Config()).splitlines()[2:]
    assert rows == ["| `lr` | 0.001 |", "| `betas` | (0.5, 0.999) |"]
