"""The one helper every CSV export writes its cells through (turnaround/csv_export.py)."""

import datetime

import pytest

from turnaround.csv_export import safe_cell, safe_row


@pytest.mark.parametrize(
    "value, written",
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Pioneer Schools", "Pioneer Schools"),
        ("a=b", "a=b"),
        ("", ""),
        (-1, -1),
        (2.5, 2.5),
        (None, None),
    ],
)
def test_a_cell_starting_like_a_formula_is_quoted_and_nothing_else(value, written):
    assert safe_cell(value) == written


def test_a_row_is_made_safe_cell_by_cell():
    day = datetime.date(2026, 10, 1)
    assert safe_row(["=A1", 3, day, "ok"]) == ["'=A1", 3, day, "ok"]
