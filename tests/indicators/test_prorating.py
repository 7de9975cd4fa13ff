"""Sums in a year under way, pro-rated by instructional days to the end of the data (DESIGN.md,
rules second edition: "Completeness", "Progress", "Projection"), on worked examples."""

from datetime import date

import pytest

from indicators import engine, rules
from indicators.models import IndicatorStatus
from schools.calendar import add_non_school_days, instructional_days, set_school_days
from tests.factories import ContractFactory, cluster_target, report

pytestmark = pytest.mark.django_db

SEPTEMBER = (date(2026, 9, 1), date(2026, 9, 30))
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


@pytest.fixture
def contract():
    """Year 1 runs from 1 July 2026 to 30 June 2027; its district keeps the default days of school
    (25 August 2026 to 15 June 2027: 211 weekdays) and closes on Labor Day: 210 instructional
    days, 26 of them by 30 September."""
    contract = ContractFactory(
        start_date=date(2026, 7, 1), end_date=date(2031, 6, 30), lifecycle_status="active"
    )
    add_non_school_days(contract.district, date(2026, 9, 7), None, "Labor Day")
    return contract


def cluster_row(contract, code="discipline_incidents", year=1):
    return IndicatorStatus.objects.get(
        contract=contract, indicator__code=code, contract_year=year, school=None
    )


def test_the_instructional_days_of_the_example(contract):
    assert instructional_days(contract.district_id, date(2026, 7, 1), date(2027, 6, 30)) == 210
    assert instructional_days(contract.district_id, date(2026, 7, 1), date(2026, 9, 30)) == 26


def test_incidents_at_30_september_with_one_month_reported(contract):
    """The cluster's baseline is 600 incidents a year, its year-1 target 450. On 30 September its
    three schools have reported September: 25 incidents each, 75, exactly the baseline's pace
    (600 x 26 / 210 = 74.3). The first edition pro-rated by calendar days from 1 July (92 of 365
    days: baseline 151, target 113) and read 75 as `met`; on the instructional days to the end
    of the data it is off track, and projects to 606 incidents for the year."""
    schools = list(contract.schools.all())
    cluster_target(contract, "discipline_incidents", 1, 600, 450)
    report(schools, "discipline_incidents", *SEPTEMBER, 25)
    engine.recompute_contracts([contract.pk], as_of=date(2026, 9, 30))

    row = cluster_row(contract)
    assert row.value == 75
    assert row.baseline == pytest.approx(600 * 26 / 210)  # 74.3
    assert row.target == pytest.approx(450 * 26 / 210)  # 55.7
    assert row.progress == pytest.approx((75 - 600 * 26 / 210) / (450 * 26 / 210 - 600 * 26 / 210))
    assert row.status == "off_track"
    assert row.projection is None  # one period: too early to project
    calendar_share = 92 / 365
    first_edition = rules.progress(75, 600 * calendar_share, 450 * calendar_share, "lower")
    assert rules.status(75, first_edition, 450 * calendar_share, "lower") == "met"


def test_a_school_ahead_of_the_others_counts_to_the_date_all_have_reported(contract):
    """On 10 November two schools have reported October, the third only September: the cluster's
    sum runs to 30 September, the date all three have reported to (each school's own row runs to
    its own latest). Once the third reports October, the cluster runs to 31 October."""
    a, b, c = contract.schools.order_by("pk")
    cluster_target(contract, "discipline_incidents", 1, 600, 450)
    cluster_target(contract, "discipline_incidents", 1, 200, 150, school=a)
    report([a, b, c], "discipline_incidents", *SEPTEMBER, 10)
    report([a, b], "discipline_incidents", *OCTOBER, 12)
    engine.recompute_contracts([contract.pk], as_of=date(2026, 11, 10))

    october_share = instructional_days(contract.district_id, date(2026, 7, 1), date(2026, 10, 31)) / 210
    assert october_share == pytest.approx(48 / 210)
    row = cluster_row(contract)
    assert (row.value, row.schools_reporting, row.status) == (30, 3, "met")
    assert row.target == pytest.approx(450 * 26 / 210)
    school_a = IndicatorStatus.objects.get(
        contract=contract, indicator__code="discipline_incidents", contract_year=1, school=a
    )
    assert school_a.value == 22
    assert school_a.target == pytest.approx(150 * 48 / 210)

    report([c], "discipline_incidents", *OCTOBER, 60)
    engine.recompute_contracts([contract.pk], as_of=date(2026, 11, 10))
    row = cluster_row(contract)
    assert row.value == 30 + 84
    assert row.target == pytest.approx(450 * 48 / 210)  # 102.9
    assert row.baseline == pytest.approx(600 * 48 / 210)  # 137.1: 114 beats the pace, short of the target
    assert row.status == "at_risk"


def test_a_sum_projects_to_the_sum_to_date_over_the_elapsed_share_of_instructional_days(contract):
    schools = list(contract.schools.all())
    cluster_target(contract, "discipline_incidents", 1, 600, 450)
    report(schools, "discipline_incidents", date(2026, 8, 1), date(2026, 8, 31), 2)
    report(schools, "discipline_incidents", *SEPTEMBER, 10)
    report(schools, "discipline_incidents", *OCTOBER, 12)
    engine.recompute_contracts([contract.pk], as_of=date(2026, 11, 10))
    row = cluster_row(contract)
    assert row.value == 72
    assert row.projection == pytest.approx(72 / (48 / 210))  # 315
    assert row.projected_to_meet is True


def test_changing_the_calendar_recomputes_the_districts_contracts(
    contract, django_capture_on_commit_callbacks
):
    schools = list(contract.schools.all())
    cluster_target(contract, "discipline_incidents", 1, 600, 450)
    report(schools, "discipline_incidents", *SEPTEMBER, 25)
    engine.recompute_contracts([contract.pk], as_of=date(2026, 9, 30))
    before = cluster_row(contract).target

    # School starts on 8 September instead: 17 instructional days by 30 September (Labor Day is
    # now before the first day), 201 in the year.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        set_school_days(contract.district, 2026, date(2026, 9, 8), date(2027, 6, 15))
    assert callbacks, "a change of the days of school schedules a recompute"
    engine.recompute_contracts([contract.pk], as_of=date(2026, 9, 30))
    after = cluster_row(contract).target
    assert after == pytest.approx(450 * 17 / 201) and after != pytest.approx(before)


def test_a_last_value_projects_its_trend_to_the_last_day_of_school(contract):
    """An index that rises by a point a day (one single-day measurement a month, the value being
    the days since 1 July) projects to 349 on 15 June, the default last day of school; with the
    last day set to 28 May it projects to 331. Not to 30 June (364): the year's result is the one
    the schools end the school year on."""
    schools = list(contract.schools.all())
    cluster_target(contract, "state_index_score", 1, 200, 300)
    for day in (date(2026, 9, 30), date(2026, 10, 31), date(2026, 11, 30)):
        report(schools, "state_index_score", day, day, (day - date(2026, 7, 1)).days)
    engine.recompute_contracts([contract.pk], as_of=date(2026, 12, 5))
    assert cluster_row(contract, "state_index_score").projection == pytest.approx(349)

    set_school_days(contract.district, 2026, date(2026, 8, 25), date(2027, 5, 28))
    engine.recompute_contracts([contract.pk], as_of=date(2026, 12, 5))
    assert cluster_row(contract, "state_index_score").projection == pytest.approx(331)
