"""A district's first and last day of school per school year: the model's rules, the one write,
who sees and keeps the rows, and the admin."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from schools.calendar import school_days_seen_by, set_school_days
from schools.models import SchoolYearCalendar
from tests.factories import (
    ContractFactory,
    DistrictFactory,
    OrganizationFactory,
    SchoolYearCalendarFactory,
    StateFactory,
    UserFactory,
    user_with_role,
)
from turnaround.models import Role

pytestmark = pytest.mark.django_db


def errors_of(row):
    with pytest.raises(ValidationError) as raised:
        row.full_clean()
    return raised.value.message_dict


def test_days_inside_the_school_year_with_the_first_before_the_last_are_valid():
    row = SchoolYearCalendarFactory.build(district=DistrictFactory(), school_year=2026)
    row.full_clean()
    edge = SchoolYearCalendarFactory.build(
        district=DistrictFactory(), school_year=2026, first_day=date(2026, 7, 1), last_day=date(2027, 6, 30)
    )
    edge.full_clean()


def test_a_first_day_before_1_july_is_refused_at_the_first_day():
    row = SchoolYearCalendarFactory.build(district=DistrictFactory(), first_day=date(2026, 6, 30))
    errors = errors_of(row)
    assert list(errors) == ["first_day"]
    assert "School year 2026-27 runs from July 1, 2026 to June 30, 2027" in errors["first_day"][0]


def test_a_last_day_after_30_june_is_refused_at_the_last_day():
    row = SchoolYearCalendarFactory.build(district=DistrictFactory(), last_day=date(2027, 7, 1))
    assert list(errors_of(row)) == ["last_day"]


def test_days_of_another_school_year_are_refused_at_both_fields():
    # 2027-28's days given for 2026-27.
    row = SchoolYearCalendarFactory.build(
        district=DistrictFactory(), school_year=2026, first_day=date(2027, 8, 16), last_day=date(2028, 6, 2)
    )
    assert set(errors_of(row)) == {"first_day", "last_day"}


@pytest.mark.parametrize("last_day", [date(2026, 8, 16), date(2026, 8, 17)])
def test_a_last_day_not_after_the_first_is_refused_at_the_last_day(last_day):
    row = SchoolYearCalendarFactory.build(
        district=DistrictFactory(), first_day=date(2026, 8, 17), last_day=last_day
    )
    assert errors_of(row) == {"last_day": ["The last day of school must be after the first."]}


def test_one_row_per_district_and_school_year():
    first = SchoolYearCalendarFactory(school_year=2026)
    SchoolYearCalendarFactory(district=first.district, school_year=2027)  # another year
    SchoolYearCalendarFactory(school_year=2026)  # another district
    again = SchoolYearCalendarFactory.build(district=first.district, school_year=2026)
    assert "__all__" in errors_of(again)
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save()


def test_the_database_refuses_a_last_day_before_the_first():
    with pytest.raises(IntegrityError), transaction.atomic():
        SchoolYearCalendar.objects.create(
            district=DistrictFactory(),
            school_year=2026,
            first_day=date(2026, 8, 17),
            last_day=date(2026, 8, 3),
        )


def test_setting_the_days_creates_the_row_then_replaces_it():
    district = DistrictFactory()
    set_school_days(district, 2026, date(2026, 8, 17), date(2027, 6, 4))
    set_school_days(district, 2026, date(2026, 8, 24), date(2027, 6, 11))
    row = SchoolYearCalendar.objects.get(district=district)
    assert (row.school_year, row.first_day, row.last_day) == (2026, date(2026, 8, 24), date(2027, 6, 11))


def test_setting_wrong_days_writes_nothing():
    row = SchoolYearCalendarFactory(school_year=2026)
    with pytest.raises(ValidationError) as raised:
        set_school_days(row.district, 2026, date(2026, 8, 24), date(2026, 8, 10))
    assert list(raised.value.message_dict) == ["last_day"]
    row.refresh_from_db()
    assert (row.first_day, row.last_day) == (date(2026, 8, 17), date(2027, 6, 4))
    with pytest.raises(ValidationError):
        set_school_days(DistrictFactory(), 2026, date(2025, 8, 25), date(2026, 6, 15))
    assert SchoolYearCalendar.objects.count() == 1


@pytest.fixture
def two_districts():
    """Districts A and C of one state, a Lead Partner on the ground in A, and a user of each role."""
    state = StateFactory(code="IL")
    district_a = DistrictFactory(state=state, name="Alpha Unified")
    district_c = DistrictFactory(state=state, name="Gamma City")
    elsewhere = DistrictFactory(state=StateFactory(code="WI"), name="Elsewhere")
    partner = OrganizationFactory()
    ContractFactory(district=district_a, lead_partner=partner, lifecycle_status="active")
    rows = {
        district: SchoolYearCalendarFactory(district=district, school_year=2026)
        for district in (district_a, district_c, elsewhere)
    }
    users = {
        "district_a": user_with_role(Role.DISTRICT_STAFF, district_a),
        "state": user_with_role(Role.STATE_STAFF, state),
        "program": user_with_role(Role.PARTNER_PROGRAM, partner),
        "field": user_with_role(Role.PARTNER_FIELD, partner),
        "admin": UserFactory(is_superuser=True),
        "nobody": UserFactory(),
    }
    return district_a, district_c, elsewhere, rows, users


def test_the_rows_are_seen_by_whoever_sees_the_district_and_kept_by_its_staff(two_districts):
    district_a, district_c, elsewhere, rows, users = two_districts
    seen = {key: set(SchoolYearCalendar.objects.visible_to(user)) for key, user in users.items()}
    assert seen["district_a"] == {rows[district_a]}
    assert seen["state"] == {rows[district_a], rows[district_c]}
    assert seen["program"] == seen["field"] == {rows[district_a]}
    assert seen["admin"] == set(rows.values())
    assert seen["nobody"] == set()
    kept = {key: set(SchoolYearCalendar.objects.editable_by(user)) for key, user in users.items()}
    assert kept == {
        "district_a": {rows[district_a]},
        "state": set(),
        "program": set(),
        "field": set(),
        "admin": set(rows.values()),
        "nobody": set(),
    }


def test_the_listing_has_each_seen_districts_years_with_the_defaults_marked(
    two_districts, django_assert_num_queries
):
    district_a, district_c, _, rows, users = two_districts
    SchoolYearCalendarFactory(district=district_a, school_year=2023)  # an older year it set
    with django_assert_num_queries(3):  # the user's role, the rows, the districts
        listing = school_days_seen_by(users["state"], [2026, 2027])
    assert [(row.district, row.label, row.first_day, row.last_day, row.is_default) for row in listing] == [
        (district_a, "2023-24", date(2023, 8, 17), date(2024, 6, 4), False),
        (district_a, "2026-27", date(2026, 8, 17), date(2027, 6, 4), False),
        (district_a, "2027-28", date(2027, 8, 25), date(2028, 6, 15), True),
        (district_c, "2026-27", date(2026, 8, 17), date(2027, 6, 4), False),
        (district_c, "2027-28", date(2027, 8, 25), date(2028, 6, 15), True),
    ]


def test_district_staff_with_admin_access_keep_only_their_days_of_school_in_the_admin(client, two_districts):
    district_a, district_c, _, rows, users = two_districts
    staff = users["district_a"]
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    changelist = client.get(reverse("admin:schools_schoolyearcalendar_changelist"))
    assert list(changelist.context["cl"].result_list) == [rows[district_a]]
    theirs = reverse("admin:schools_schoolyearcalendar_change", args=[rows[district_c].pk])
    assert client.get(theirs).status_code == 302
    response = client.post(
        reverse("admin:schools_schoolyearcalendar_add"),
        {"district": district_a.pk, "school_year": 2027, "first_day": "2027-08-23", "last_day": "2027-08-02"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["last_day"] == [
        "The last day of school must be after the first."
    ]
    assert not SchoolYearCalendar.objects.filter(school_year=2027).exists()
