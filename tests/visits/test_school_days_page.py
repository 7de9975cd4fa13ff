"""The first and last day of school on the school calendar page: district staff set their
district's, everyone else who sees a district reads them; a write by anyone else is 403 where
they see the district, 404 where they do not."""

from datetime import date

import pytest
from django.urls import reverse

from schools.calendar import school_year_of
from schools.models import SchoolYearCalendar
from tests.factories import SchoolYearCalendarFactory

URL = reverse("schools:calendar")


@pytest.fixture
def this_year(world):
    return school_year_of(world.today)


def shown(page):
    """(district, school year, first day, last day, default?) of each row of the page's listing."""
    return [
        (row.district.name, row.school_year, row.first_day, row.last_day, row.is_default)
        for row in page.context["school_days"]
    ]


def post_days(client, district, school_year, first_day, last_day):
    return client.post(
        URL,
        {
            "school_days-district": district.pk,
            "school_days-school_year": school_year,
            "school_days-first_day": first_day.isoformat(),
            "school_days-last_day": last_day.isoformat(),
        },
    )


def test_district_staff_see_the_defaults_of_this_year_and_the_next_and_set_their_own(
    client, world, this_year
):
    client.force_login(world.users["district_a"])
    page = client.get(URL)
    assert shown(page) == [
        ("Alpha Unified", this_year, date(this_year, 8, 25), date(this_year + 1, 6, 15), True),
        ("Alpha Unified", this_year + 1, date(this_year + 1, 8, 25), date(this_year + 2, 6, 15), True),
    ]
    html = page.content.decode()
    assert 'data-testid="school-days-form"' in html and "Set the days of school of Alpha Unified" in html
    assert 'for="id_school_days-first_day"' in html and 'id="id_school_days-first_day"' in html
    assert page.context["school_days_form"].initial["first_day"] == date(this_year, 8, 25)

    response = post_days(
        client, world.district_a, this_year, date(this_year, 8, 17), date(this_year + 1, 6, 4)
    )
    assert response.status_code == 302 and response["Location"] == URL
    row = SchoolYearCalendar.objects.get(district=world.district_a)
    assert (row.school_year, row.first_day, row.last_day) == (
        this_year,
        date(this_year, 8, 17),
        date(this_year + 1, 6, 4),
    )
    page = client.get(URL)
    assert shown(page)[0] == (
        "Alpha Unified",
        this_year,
        date(this_year, 8, 17),
        date(this_year + 1, 6, 4),
        False,
    )
    assert f"School year {this_year}-{(this_year + 1) % 100:02d}: first day" in page.content.decode()
    # Set again: the row is replaced, not duplicated.
    post_days(client, world.district_a, this_year, date(this_year, 8, 24), date(this_year + 1, 6, 4))
    assert SchoolYearCalendar.objects.get(district=world.district_a).first_day == date(this_year, 8, 24)


def test_the_edit_link_fills_the_form_with_that_years_days(client, world, this_year):
    SchoolYearCalendarFactory(district=world.district_a, school_year=this_year + 1)
    client.force_login(world.users["district_a"])
    page = client.get(URL)
    assert f'href="?school_year={this_year + 1}#school-days-form"' in page.content.decode()
    form = client.get(URL, {"school_year": this_year + 1}).context["school_days_form"]
    assert form.initial == {
        "district": world.district_a.pk,
        "school_year": this_year + 1,
        "first_day": date(this_year + 1, 8, 17),
        "last_day": date(this_year + 2, 6, 4),
    }
    # A year the form does not offer, or no year at all, falls back to the current one.
    for asked in (this_year + 5, "next"):
        assert (
            client.get(URL, {"school_year": asked}).context["school_days_form"].initial["school_year"]
            == this_year
        )


@pytest.mark.parametrize(
    "first_day, last_day, field, message",
    [
        ((0, 8, 17), (0, 8, 3), "last_day", "The last day of school must be after the first."),
        ((0, 6, 30), (1, 6, 4), "first_day", "runs from July 1"),
        ((0, 8, 17), (1, 7, 1), "last_day", "runs from July 1"),
    ],
)
def test_wrong_days_are_shown_at_the_field_and_nothing_is_saved(
    client, world, this_year, first_day, last_day, field, message
):
    existing = SchoolYearCalendarFactory(district=world.district_a, school_year=this_year)
    client.force_login(world.users["district_a"])

    def day(offset_month_day):
        offset, month, day_ = offset_month_day
        return date(this_year + offset, month, day_)

    response = post_days(client, world.district_a, this_year, day(first_day), day(last_day))
    assert response.status_code == 422
    form = response.context["school_days_form"]
    assert list(form.errors) == [field] and message in form.errors[field][0]
    html = response.content.decode()
    assert f'id="id_school_days-{field}"' in html and "is-invalid" in html and message in html
    existing.refresh_from_db()
    assert (existing.first_day, existing.last_day) == (date(this_year, 8, 17), date(this_year + 1, 6, 4))
    assert SchoolYearCalendar.objects.count() == 1


def test_a_school_year_the_form_does_not_offer_is_refused(client, world, this_year):
    client.force_login(world.users["district_a"])
    response = post_days(
        client, world.district_a, this_year + 3, date(this_year + 3, 8, 17), date(this_year + 4, 6, 4)
    )
    assert response.status_code == 422 and list(response.context["school_days_form"].errors) == [
        "school_year"
    ]
    assert not SchoolYearCalendar.objects.exists()


def test_another_districts_staff_neither_see_nor_set_them(client, world, this_year):
    SchoolYearCalendarFactory(district=world.district_a, school_year=this_year)
    client.force_login(world.users["district_c"])
    assert {name for name, *_ in shown(client.get(URL))} == {"Gamma City"}
    response = post_days(
        client, world.district_a, this_year, date(this_year, 8, 24), date(this_year + 1, 6, 4)
    )
    assert response.status_code == 404
    assert SchoolYearCalendar.objects.get(district=world.district_a).first_day == date(this_year, 8, 17)
    assert not SchoolYearCalendar.objects.filter(district=world.district_c).exists()


@pytest.mark.parametrize("user_key", ["state", "program_p", "field_p", "admin"])
def test_others_who_see_the_district_read_the_days_and_a_write_is_403(client, world, this_year, user_key):
    SchoolYearCalendarFactory(district=world.district_a, school_year=this_year)
    client.force_login(world.users[user_key])
    page = client.get(URL)
    assert ("Alpha Unified", this_year, date(this_year, 8, 17), date(this_year + 1, 6, 4), False) in shown(
        page
    )
    assert "school_days_form" not in page.context
    assert 'data-testid="school-days-form"' not in page.content.decode()
    response = post_days(
        client, world.district_a, this_year, date(this_year, 8, 24), date(this_year + 1, 6, 4)
    )
    assert response.status_code == 403
    assert SchoolYearCalendar.objects.get(district=world.district_a).first_day == date(this_year, 8, 17)


def test_state_staff_read_every_district_of_their_state(client, world, this_year):
    client.force_login(world.users["state"])
    names = [name for name, *_ in shown(client.get(URL))]
    assert names == ["Alpha Unified", "Alpha Unified", "Gamma City", "Gamma City"]


@pytest.mark.parametrize("user_key", ["field_p", "program_q", "nobody"])
def test_a_write_to_a_district_out_of_sight_is_404(client, world, this_year, user_key):
    client.force_login(world.users[user_key])
    out_of_sight = world.district_c if user_key != "program_q" else world.district_a
    page = client.get(URL)
    assert out_of_sight.name not in {name for name, *_ in shown(page)}
    response = post_days(client, out_of_sight, this_year, date(this_year, 8, 24), date(this_year + 1, 6, 4))
    assert response.status_code == 404
    assert not SchoolYearCalendar.objects.exists()


@pytest.mark.parametrize("district_value", ["", "x", "999999", "9" * 30])
def test_a_write_naming_no_district_is_404(client, world, this_year, district_value):
    client.force_login(world.users["district_a"])
    response = client.post(
        URL,
        {
            "school_days-district": district_value,
            "school_days-school_year": this_year,
            "school_days-first_day": f"{this_year}-08-24",
            "school_days-last_day": f"{this_year + 1}-06-04",
        },
    )
    assert response.status_code == 404
    assert not SchoolYearCalendar.objects.exists()
