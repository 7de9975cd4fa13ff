from datetime import date

import pytest

from contracts.models import term_years
from contracts.phases import contract_phase, contract_year_bounds, contract_year_on

START, END = date(2024, 7, 1), date(2029, 6, 30)


@pytest.mark.parametrize(
    "as_of, expected",
    [
        (date(2024, 6, 30), ("pre_launch", None)),
        (date(2024, 7, 1), ("year_1", 1)),
        (date(2025, 6, 30), ("year_1", 1)),
        (date(2025, 7, 1), ("year_2", 2)),
        (date(2026, 7, 1), ("year_3_plus", 3)),
        (date(2029, 6, 30), ("year_3_plus", 5)),
        (date(2029, 7, 1), ("ended", None)),
    ],
)
def test_the_phase_follows_the_dates(as_of, expected):
    assert contract_phase(START, END, as_of) == expected


def test_a_contract_that_ended_early_is_ended_after_that_day():
    assert contract_phase(START, END, date(2026, 1, 1), ended_on=date(2025, 12, 31)) == ("ended", None)
    assert contract_phase(START, END, date(2025, 12, 31), ended_on=date(2025, 12, 31)) == ("year_2", 2)


def test_contract_years_count_from_a_29_february_start():
    start = date(2024, 2, 29)
    assert contract_year_on(start, date(2025, 2, 27)) == 1
    assert contract_year_on(start, date(2025, 2, 28)) == 2
    assert contract_year_bounds(start, 2) == (date(2025, 2, 28), date(2026, 2, 27))


@pytest.mark.parametrize(
    "end, years",
    [(date(2027, 6, 30), 3), (date(2027, 7, 1), 3), (date(2029, 6, 30), 5), (date(2026, 6, 30), None)],
)
def test_term_years(end, years):
    assert term_years(START, end) == years
