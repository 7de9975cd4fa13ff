"""The school year, a district's days of school and the instructional days of a span (DESIGN.md,
"Instructional days"), with worked examples counted by hand. The days of the week they rest on:
1 June 2026 and 15 June 2026 are Mondays; 17 August 2026 is a Monday, 25 August 2026 a Tuesday,
31 August 2026 a Monday, 30 September 2026 a Wednesday; 26 November 2026 is Thanksgiving, a
Thursday; 1 June 2027 is a Tuesday, 4 June 2027 a Friday, 15 June 2027 a Tuesday."""

from datetime import date, timedelta

import pytest

from schools.calendar import (
    default_school_days,
    instructional_days,
    school_days,
    school_days_by_year,
    school_year_bounds,
    school_year_label,
    school_year_of,
    school_year_start,
    weekdays_between,
)
from schools.models import NonSchoolDay
from tests.factories import DistrictFactory, SchoolYearCalendarFactory


def closed(district, *days):
    for day in days:
        NonSchoolDay.objects.create(district=district, date=day, description="Closed")


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
    assert school_year_bounds(school_year) == (date(school_year, 7, 1), date(school_year + 1, 6, 30))


def test_school_years_are_written_as_people_write_them():
    assert school_year_label(2026) == "2026-27"
    assert school_year_label(2099) == "2099-00"


def test_weekdays_are_counted_without_walking_the_days():
    assert weekdays_between(date(2026, 8, 24), date(2026, 8, 30)) == 5  # Monday to Sunday
    assert weekdays_between(date(2026, 8, 29), date(2026, 8, 30)) == 0  # a weekend
    assert weekdays_between(date(2026, 8, 28), date(2026, 8, 31)) == 2  # Friday to Monday
    assert weekdays_between(date(2026, 8, 31), date(2026, 8, 30)) == 0  # an empty span
    # Every length of span from every day of a week agrees with a walk over the days.
    for first in (date(2026, 8, 24) + timedelta(days=n) for n in range(7)):
        for length in range(30):
            last = first + timedelta(days=length)
            walked = sum(1 for n in range(length + 1) if (first + timedelta(days=n)).weekday() < 5)
            assert weekdays_between(first, last) == walked


@pytest.mark.django_db
def test_a_district_without_days_of_its_own_has_the_defaults():
    district = DistrictFactory()
    assert school_days(district.pk, 2026) == (date(2026, 8, 25), date(2027, 6, 15))
    assert default_school_days(2026) == (date(2026, 8, 25), date(2027, 6, 15))


@pytest.mark.django_db
def test_a_district_has_its_own_days_where_it_set_them_and_the_defaults_elsewhere(
    django_assert_num_queries,
):
    own = SchoolYearCalendarFactory(school_year=2026)
    SchoolYearCalendarFactory(school_year=2025, first_day=date(2025, 8, 1), last_day=date(2026, 5, 29))
    assert school_days(own.district_id, 2026) == (date(2026, 8, 17), date(2027, 6, 4))
    assert school_days(DistrictFactory().pk, 2026) == (date(2026, 8, 25), date(2027, 6, 15))
    with django_assert_num_queries(1):
        by_year = school_days_by_year(own.district_id, [2025, 2026, 2027])
    assert by_year == {
        2025: (date(2025, 8, 25), date(2026, 6, 15)),  # another district set 2025-26, not this one
        2026: (date(2026, 8, 17), date(2027, 6, 4)),
        2027: (date(2027, 8, 25), date(2028, 6, 15)),
    }


@pytest.mark.django_db
def test_the_summer_and_the_weekends_are_not_instructional_days():
    district = DistrictFactory()
    # 1 July to 30 September 2026, default first day Tuesday 25 August: Tue 25 to Fri 28 August (4),
    # then the weeks of 31 August, 7, 14 and 21 September (4 x 5 = 20), then Mon 28 to Wed 30
    # September (3): 27. July and 1 to 24 August are the summer.
    assert instructional_days(district.pk, date(2026, 7, 1), date(2026, 9, 30)) == 27
    assert instructional_days(district.pk, date(2026, 7, 1), date(2026, 8, 24)) == 0
    assert instructional_days(district.pk, date(2026, 8, 25), date(2026, 8, 25)) == 1
    assert instructional_days(district.pk, date(2026, 8, 29), date(2026, 8, 30)) == 0  # a weekend
    assert instructional_days(district.pk, date(2026, 9, 30), date(2026, 9, 1)) == 0  # an empty span


@pytest.mark.django_db
def test_non_school_days_are_taken_off_once_and_only_on_weekdays_of_the_district(django_assert_num_queries):
    district, other = DistrictFactory(), DistrictFactory()
    # Thanksgiving: Thursday 26 and Friday 27 November; a row on Saturday 28 (the admin allows it)
    # is no instructional day to take off again. Another district's closure and a closure after
    # the span do not count.
    closed(district, date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28), date(2026, 12, 1))
    closed(other, date(2026, 11, 25))
    # November 2026: the weeks of 2, 9, 16 and 23 November (4 x 5 = 20) and Monday 30 (1): 21 weekdays,
    # less Thursday 26 and Friday 27: 19.
    with django_assert_num_queries(2):
        assert instructional_days(district.pk, date(2026, 11, 1), date(2026, 11, 30)) == 19
    assert instructional_days(other.pk, date(2026, 11, 1), date(2026, 11, 30)) == 20
    assert instructional_days(district.pk, date(2026, 11, 28), date(2026, 11, 29)) == 0


@pytest.mark.django_db
def test_a_district_with_its_own_first_and_last_day():
    own = SchoolYearCalendarFactory(school_year=2026)  # Monday 17 August 2026 to Friday 4 June 2027
    others = DistrictFactory()
    # August 2026: Mon 17 to Fri 21 (5), Mon 24 to Fri 28 (5), Mon 31 (1): 11. With the defaults,
    # Tue 25 to Fri 28 (4) and Mon 31 (1): 5.
    assert instructional_days(own.district_id, date(2026, 8, 1), date(2026, 8, 31)) == 11
    assert instructional_days(others.pk, date(2026, 8, 1), date(2026, 8, 31)) == 5
    # June 2027: Tue 1 to Fri 4 (4). With the defaults, also Mon 7 to Fri 11 (5) and Mon 14 and
    # Tue 15 (2): 11.
    assert instructional_days(own.district_id, date(2027, 6, 1), date(2027, 6, 30)) == 4
    assert instructional_days(others.pk, date(2027, 6, 1), date(2027, 6, 30)) == 11


@pytest.mark.django_db
def test_a_span_across_two_school_years_counts_each_by_its_own_days(django_assert_num_queries):
    district = DistrictFactory()
    # 2025-26 keeps the defaults (last day Monday 15 June 2026); 2026-27 starts Monday 17 August.
    SchoolYearCalendarFactory(district=district, school_year=2026)
    closed(
        district,
        date(2026, 6, 12),  # a Friday of 2025-26's last weeks: taken off
        date(2026, 7, 3),  # Independence Day observed, in the summer: nothing to take off
        date(2026, 9, 7),  # Labor Day, in 2026-27: taken off
    )
    # 1 June to 30 September 2026. 2025-26: the weeks of 1 and 8 June (10) and Monday 15 June (1):
    # 11. Summer: 0. 2026-27: Mon 17 August to Fri 25 September is 6 weeks (30), Mon 28 to Wed 30
    # September (3): 33. Less 12 June and 7 September: 11 + 33 - 2 = 42.
    with django_assert_num_queries(2):
        assert instructional_days(district.pk, date(2026, 6, 1), date(2026, 9, 30)) == 42


@pytest.mark.django_db
def test_a_span_of_many_years_takes_two_queries(django_assert_num_queries):
    district = DistrictFactory()
    for year in (2021, 2024, 2027):
        SchoolYearCalendarFactory(district=district, school_year=year)
    closed(district, *(date(year, 11, 26) for year in range(2020, 2031)))
    with django_assert_num_queries(2):
        instructional_days(district.pk, date(2020, 7, 1), date(2030, 6, 30))


@pytest.mark.django_db
def test_instructional_days_agree_with_a_walk_over_the_days():
    """An independent count, one day at a time, over spans starting on every day of a week and
    ending anywhere in two school years, for a district with its own days in one year and the
    defaults in the other, and closures on weekdays, a weekend and in the summer."""
    district = DistrictFactory()
    SchoolYearCalendarFactory(district=district, school_year=2026)
    closures = {date(2026, 6, 12), date(2026, 7, 3), date(2026, 9, 7), date(2026, 11, 26), date(2026, 11, 28)}
    closed(district, *closures)
    terms = [(date(2025, 8, 25), date(2026, 6, 15)), (date(2026, 8, 17), date(2027, 6, 4))]

    def walked(first, last):
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        return sum(
            1
            for day in days
            if day.weekday() < 5 and day not in closures and any(a <= day <= b for a, b in terms)
        )

    for start in (date(2026, 5, 25) + timedelta(days=n) for n in range(7)):
        for length in range(0, 400, 23):
            end = start + timedelta(days=length)
            assert instructional_days(district.pk, start, end) == walked(start, end), (start, end)
