"""The phase and contract year computed in the database agree with contracts.phases.contract_phase."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.models import PerformanceContract, add_years
from contracts.phases import _anniversary, contract_phase, latest_start_before_year, phase_expressions
from tests.factories import ContractFactory

DATES = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))


@given(start=DATES, as_of=DATES, years=st.integers(min_value=1, max_value=6))
def test_latest_start_before_year_is_the_exact_boundary(start, as_of, years):
    # A contract is past its first `years` years exactly when it started on or before the boundary.
    assert (start <= latest_start_before_year(as_of, years)) == (_anniversary(start, years) <= as_of)


def test_the_boundary_around_29_february():
    # A contract started on 29 February 2024 reaches its first anniversary on 28 February 2025.
    assert latest_start_before_year(date(2025, 2, 28), 1) == date(2024, 2, 29)
    assert latest_start_before_year(date(2025, 2, 27), 1) == date(2024, 2, 27)


@pytest.mark.django_db
def test_phase_annotation_matches_contract_phase_on_the_boundaries():
    as_of = date(2026, 11, 25)
    starts = [
        as_of + timedelta(days=1),  # pre-launch
        as_of,  # first day of year 1
        add_years(as_of, -1) + timedelta(days=1),  # last day of year 1
        add_years(as_of, -1),  # first day of year 2
        add_years(as_of, -2),  # first day of year 3
        add_years(as_of, -4) + timedelta(days=10),  # year 4
        date(2022, 2, 28),
    ]
    contracts = [ContractFactory(start_date=s, end_date=add_years(s, 5) - timedelta(days=1)) for s in starts]
    ended_early = ContractFactory(
        start_date=date(2024, 7, 1), end_date=date(2027, 6, 30), lifecycle_status="terminated"
    )
    PerformanceContract.objects.filter(pk=ended_early.pk).update(ended_on=date(2025, 3, 1))
    phase, year = phase_expressions(as_of)
    rows = PerformanceContract.objects.annotate(phase=phase, contract_year=year)
    assert len(rows) == len(contracts) + 1
    for row in rows:
        assert (row.phase, row.contract_year) == contract_phase(
            row.start_date, row.end_date, as_of, ended_on=row.ended_on
        ), row.start_date
