"""The school year (DESIGN.md, "Instructional days")."""

from datetime import date

import pytest

from schools.calendar import school_year_of, school_year_start


@pytest.mark.parametrize(
    "day, school_year",
    [
        (date(2026, 6, 30), 2025),
        (date(2026, 7, 1), 2026),
        (date(2026, 12, 31), 2026),
        (date(2027, 1, 1), 2026),
        (date(2027, 6, 30), 2026),
    ],
)
def test_a_school_year_runs_from_1_july_to_30_june_and_is_named_by_its_first_year(day, school_year):
    assert school_year_of(day) == school_year
    assert school_year_start(day) == date(school_year, 7, 1)
