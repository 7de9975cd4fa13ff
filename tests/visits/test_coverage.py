"""Presence coverage arithmetic: distinct on-site school days per school and ISO week, against 5
less the district's non-school days."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners import presence
from partners.presence import Cell, coverage, week_start
from schools.models import NonSchoolDay
from tests.factories import FieldVisitFactory, SchoolFactory

MONDAY = date(2025, 11, 24)  # the week of Thanksgiving 2025
TODAY = date(2025, 12, 20)


@pytest.fixture
def school(db):
    return SchoolFactory()


def visit(school, day, mode="on_site"):
    return FieldVisitFactory(school=school, visit_date=day, mode=mode)


def test_two_visits_on_one_day_count_once(school):
    visit(school, MONDAY)
    visit(school, MONDAY)
    visit(school, MONDAY + timedelta(days=1))
    cell = coverage([school.pk], MONDAY, MONDAY, today=TODAY)[school.pk, MONDAY]
    assert (cell.days, cell.expected, cell.percent) == (2, 5, 40.0)


def test_remote_visits_do_not_count(school):
    visit(school, MONDAY, mode="remote")
    visit(school, MONDAY + timedelta(days=1), mode="remote")
    visit(school, MONDAY + timedelta(days=2))
    cell = coverage([school.pk], MONDAY, MONDAY, today=TODAY)[school.pk, MONDAY]
    assert (cell.days, cell.expected) == (1, 5)


def test_a_holiday_week_expects_only_its_school_days(school):
    thursday, friday = MONDAY + timedelta(days=3), MONDAY + timedelta(days=4)
    NonSchoolDay.objects.create(district=school.district, date=thursday, description="Thanksgiving")
    NonSchoolDay.objects.create(district=school.district, date=friday, description="Thanksgiving break")
    for offset in range(3):
        visit(school, MONDAY + timedelta(days=offset))
    # A visit on a non-school day is logged but does not count.
    visit(school, thursday)
    cell = coverage([school.pk], MONDAY, MONDAY, today=TODAY)[school.pk, MONDAY]
    assert (cell.days, cell.expected, cell.percent) == (3, 3, 100.0)
    assert cell.level == "full" and not cell.under


def test_another_districts_calendar_does_not_apply(school):
    other = SchoolFactory()
    NonSchoolDay.objects.create(district=other.district, date=MONDAY, description="Their holiday")
    visit(school, MONDAY)
    cells = coverage([school.pk, other.pk], MONDAY, MONDAY, today=TODAY)
    assert (cells[school.pk, MONDAY].days, cells[school.pk, MONDAY].expected) == (1, 5)
    assert (cells[other.pk, MONDAY].days, cells[other.pk, MONDAY].expected) == (0, 4)


def test_weekend_visits_do_not_count_and_weeks_split_on_monday(school):
    visit(school, MONDAY - timedelta(days=1))  # Sunday: the week before, and not a school day
    visit(school, MONDAY + timedelta(days=5))  # Saturday
    visit(school, MONDAY + timedelta(days=7))  # next Monday
    cells = coverage([school.pk], MONDAY - timedelta(days=7), MONDAY + timedelta(days=7), today=TODAY)
    assert [cells[school.pk, MONDAY + timedelta(days=7 * k)].days for k in (-1, 0, 1)] == [0, 0, 1]


def test_a_week_with_no_school_days_has_no_value(school):
    for offset in range(5):
        NonSchoolDay.objects.create(
            district=school.district, date=MONDAY + timedelta(days=offset), description="Break"
        )
    cell = coverage([school.pk], MONDAY, MONDAY, today=TODAY)[school.pk, MONDAY]
    assert cell.expected == 0 and cell.percent is None and cell.level == "no-school" and not cell.under


def test_coverage_is_one_query_however_many_visits(school):
    others = [SchoolFactory(district=school.district) for _ in range(3)]
    NonSchoolDay.objects.create(district=school.district, date=MONDAY, description="Closed")
    for s in [school, *others]:
        for offset in range(20):
            visit(s, MONDAY - timedelta(days=offset))
    with CaptureQueriesContext(connection) as queries:
        cells = coverage([s.pk for s in [school, *others]], MONDAY - timedelta(days=21), MONDAY, today=TODAY)
    assert len(queries) == 1
    assert len(cells) == 4 * 4


@pytest.mark.parametrize(
    "days, expected, under, level",
    [
        (5, 5, False, "full"),
        (4, 5, False, "good"),
        (3, 5, True, "low"),
        (1, 5, True, "none"),
        (3, 3, False, "full"),
        (2, 3, True, "low"),
        (0, 0, False, "no-school"),
    ],
)
def test_under_means_fewer_than_four_days_or_than_a_short_weeks_school_days(days, expected, under, level):
    cell = Cell(week=MONDAY, days=days, expected=expected)
    assert cell.under is under and cell.level == level


def test_the_alert_needs_two_complete_weeks_running_under_four_days(school):
    from tests.factories import ContractFactory

    contract = ContractFactory(
        lifecycle_status="active", start_date=date(2024, 7, 1), end_date=date(2029, 6, 30)
    )
    flagged_school, ok_school, recovered = list(contract.schools.order_by("pk"))
    today = date(2025, 12, 17)  # a Wednesday
    this_week = week_start(today)
    last, before = this_week - timedelta(days=7), this_week - timedelta(days=14)
    for week, counts in ((before, (3, 5, 2)), (last, (2, 4, 5))):
        for s, n in zip((flagged_school, ok_school, recovered), counts, strict=True):
            for offset in range(n):
                visit(s, week + timedelta(days=offset))
    # The week under way never counts: nothing logged yet this week.
    from schools.models import School

    flagged, _ = presence.under_covered_count(School.objects.all(), today=today)
    assert [f["school"] for f in flagged] == [flagged_school]
    assert [c.days for c in flagged[0]["cells"]] == [3, 2]


def test_the_alert_names_the_first_schools_and_counts_the_rest(db):
    from schools.models import School
    from tests.factories import ContractFactory

    contracts = [
        ContractFactory(lifecycle_status="active", start_date=date(2024, 7, 1), end_date=date(2029, 6, 30))
        for _ in range(4)
    ]
    schools = School.objects.filter(contract_links__contract__in=contracts)
    flagged, total = presence.under_covered_count(schools, today=date(2025, 12, 17), limit=5)
    # No visits at all: every school of the four contracts is under, by name.
    assert total == schools.count() > 5
    assert [f["school"].name for f in flagged] == sorted(schools.values_list("name", flat=True))[:5]
    assert all([c.days for c in f["cells"]] == [0, 0] for f in flagged)
