"""Which values of a contract year the evidence pack's charts plot."""

from types import SimpleNamespace

import pytest

from turnaround.dashboard.evidence import year_value

RATE = SimpleNamespace(aggregation="mean")
COUNT = SimpleNamespace(aggregation="sum")


def row(status, value):
    return SimpleNamespace(status=status, value=value)


@pytest.mark.parametrize(
    "indicator, status, under_way, expected",
    [
        (RATE, row("at_risk", 84.0), False, 84.0),
        (RATE, row("on_track", 91.0), True, 91.0),  # a rate's year to date is a fair point
        (COUNT, row("met", 40.0), True, None),  # a sum's part-year total is not the year's
        (COUNT, row("met", 120.0), False, 120.0),
        (RATE, row("incomplete", 95.0), False, None),  # the value of the schools that reported
        (RATE, row("no_data", None), False, None),
        (RATE, None, False, None),
    ],
)
def test_a_year_plots_only_a_value_of_the_whole_year_and_cluster(indicator, status, under_way, expected):
    assert year_value(indicator, status, under_way) == expected
