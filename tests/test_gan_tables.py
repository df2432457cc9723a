"""The rows of chapters 03 and 04's tables: the layers, and the recipes' quality and cost."""

from lib.gan import Discriminator
from lib.gan.tables import layer_rows, recipe_tables, seed_files_table, stage_table


def _rows(table: str) -> list[list[str]]:
    """The cells of a Markdown table, row by row, after its caption and header rule."""
    lines = [line for line in table.splitlines() if line.startswith("|")]
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]


def _header(table: str) -> list[str]:
    line = next(line for line in table.splitlines() if line.startswith("|"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_recipe_tables_split_quality_from_cost():
    run = {"fid": 300.0}
    result = dict(
        fid_mean=320.4,
        fid_std=14.2,
        min_classes_present=10,
        class_evenness_mean=0.96,
        d_updates_mean=3019,
        g_updates_mean=3019,
        epochs_mean=22.9,
        cpu_seconds_mean=75.0,
        wall_seconds_mean=88.2,
        runs=[run],
    )
    quality, cost = recipe_tables([result], ["C"])
    assert len(_header(quality)) == 4 and len(_header(cost)) == 6
    assert _rows(quality) == [["C", "320 ± 14", "10", "0.960"]]
    assert _rows(cost) == [["C", "3,019", "3,019", "22.9", "75.0", "88.2"]]


def test_layer_rows_have_one_row_per_layer():
    rows = layer_rows(Discriminator())
    assert rows[0] == ("0", "Linear 784 → 512", "401,920") and rows[-1][2] == "257"


def test_seed_files_table_has_a_row_per_file_and_a_cell_per_seed():
    def seed(fid, score, rarest):
        return dict(
            fid=fid,
            inception_score=score,
            real_inception_score=9.5,
            min_class_count=rarest,
            class_counts=[rarest, 2000 - rarest],  # shares are of the samples' total
        )

    files = [
        {"seeds": [seed(22.1, 8.17, 144), seed(28.8, 8.04, 127)]},
        {"seeds": [seed(17.8, 8.5, 156), seed(26.2, 8.27, 124)]},
    ]
    table = seed_files_table(files, ["E", "G"], caption="both")
    assert table.startswith("**both**")
    assert len(_header(table)) == 4
    assert _rows(table) == [
        ["E", "22 / 29", "0.860 / 0.846", "7.2 / 6.3"],
        ["G", "18 / 26", "0.895 / 0.871", "7.8 / 6.2"],
    ]


def _stage(fids, cpu="AMD EPYC"):
    run = dict(inception_score=8.6, min_class_fraction=0.071)
    result = dict(
        fid_mean=sum(fids) / len(fids),
        fid_std=0.449,
        seeds_on_target=1,
        g_updates_mean=11_210,
        runs=[run] * len(fids),
    )
    return dict(
        results=[result],
        real_inception_score=9.5,
        budget_seconds=300.0,
        machine=dict(cpu=cpu),
    )


def test_stage_table_names_budget_and_machine_and_keeps_small_spreads():
    table = stage_table(_stage([12.1, 12.9]), ["J"], "The lr stage")
    assert table.startswith(
        "**The lr stage: 300 CPU seconds per run on the AMD EPYC (seeds in order)**"
    )
    # a spread below one is printed, not rounded away to "± 0"
    assert _rows(table) == [
        ["J", "12.5 ± 0.4", "0.905 / 0.905", "7.1 / 7.1", "1 of 2", "11,210"]
    ]
