"""The field visit pages for every role: scope, follow-ups closed with a note, the calendar, the
presence heatmap and alert, and the barrier counts."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.models import PerformanceContract
from partners.models import FollowUp
from partners.presence import week_start
from schools.models import NonSchoolDay
from tests.factories import FieldVisitFactory

PAGES = [
    "partners:visits",
    "partners:follow_ups",
    "partners:presence",
    "partners:barriers",
    "schools:calendar",
]


@pytest.mark.parametrize("name", PAGES)
def test_the_pages_require_login(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("user_key", ["district_a", "state", "program_p", "field_p", "admin", "nobody"])
@pytest.mark.parametrize("name", PAGES + ["home"])
def test_the_pages_render_for_every_role(client, world, user_key, name):
    client.force_login(world.users[user_key])
    assert client.get(reverse(name)).status_code == 200


def visit_at(world, school_key, user_key, day, **kwargs):
    organization = world.partner_q if school_key == "school_c" else world.partner_p
    return FieldVisitFactory(
        school=getattr(world, school_key),
        organization=organization,
        staff=world.users[user_key],
        visit_date=day,
        **kwargs,
    )


def test_visit_filters_by_person_school_and_date(client, world):
    old = visit_at(world, "school_a", "field_p", world.today - timedelta(days=20))
    mine = visit_at(world, "school_a", "field_p", world.today)
    colleague = visit_at(world, "school_a", "field_p2", world.today)
    visit_at(world, "school_c", "field_q", world.today)
    client.force_login(world.users["program_p"])

    def shown(**params):
        return {v.pk for v in client.get(reverse("partners:visits"), params).context["visits"]}

    assert shown() == {old.pk, mine.pk, colleague.pk}
    assert shown(staff=world.users["field_p"].pk) == {old.pk, mine.pk}
    assert shown(date_from=(world.today - timedelta(days=5)).isoformat()) == {mine.pk, colleague.pk}
    assert shown(school=world.school_a.pk, date_to=(world.today - timedelta(days=5)).isoformat()) == {old.pk}
    # Another partner's staff and schools are not even choices.
    form = client.get(reverse("partners:visits")).context["filter"].form
    assert world.users["field_q"] not in form.fields["staff"].queryset
    assert world.school_c not in form.fields["school"].queryset


def follow_up(visit, description, due, done=None):
    return FollowUp.objects.create(
        visit=visit,
        description=description,
        owner="Principal",
        due_on=due,
        done_on=done,
        closing_note="Done." if done else "",
    )


def test_follow_ups_open_overdue_and_closed_per_owner_and_school(client, world):
    visit = visit_at(world, "school_a", "field_p", world.today - timedelta(days=10))
    overdue = follow_up(visit, "Send the list", world.today - timedelta(days=1))
    upcoming = follow_up(visit, "Book the lab", world.today + timedelta(days=5))
    closed = follow_up(visit, "Call the bus office", world.today - timedelta(days=3), done=world.today)
    upcoming.owner = "District facilities"
    upcoming.save()
    other = follow_up(visit_at(world, "school_c", "field_q", world.today), "Theirs", world.today)
    client.force_login(world.users["field_p"])

    def shown(**params):
        return {f.pk for f in client.get(reverse("partners:follow_ups"), params).context["follow_ups"]}

    assert shown() == {overdue.pk, upcoming.pk}  # open by default
    assert shown(state="overdue") == {overdue.pk}
    assert shown(state="closed") == {closed.pk}
    assert shown(state="all") == {overdue.pk, upcoming.pk, closed.pk}
    assert shown(state="all", owner="District facilities") == {upcoming.pk}
    assert shown(state="all", school=world.school_a.pk, staff=world.users["field_p"].pk) == {
        overdue.pk,
        upcoming.pk,
        closed.pk,
    }
    assert other.pk not in shown(state="all")
    counts = client.get(reverse("partners:follow_ups")).context["counts"]
    assert counts == {"open": 2, "overdue": 1}


def test_a_follow_up_is_closed_with_a_note_in_place(client, world):
    visit = visit_at(world, "school_a", "field_p", world.today - timedelta(days=2))
    item = follow_up(visit, "Send the list", world.today)
    client.force_login(world.users["program_p"])
    url = reverse("partners:follow_up_close", args=[item.pk])
    refused = client.post(url, {"closing_note": "  "}, HTTP_HX_REQUEST="true")
    assert "Say what was done" in refused.content.decode() or "required" in refused.content.decode()
    item.refresh_from_db()
    assert item.done_on is None
    response = client.post(url, {"closing_note": "Sent on Monday."}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Sent on Monday." in response.content.decode()
    item.refresh_from_db()
    assert item.done_on == world.today and item.closed_by == world.users["program_p"]
    again = client.post(url, {"closing_note": "Twice"}, HTTP_HX_REQUEST="true")
    assert "already closed" in again.content.decode()
    item.refresh_from_db()
    assert item.closing_note == "Sent on Monday."


@pytest.mark.parametrize(
    "user_key, status", [("district_a", 403), ("state", 403), ("field_q", 404), ("program_q", 404)]
)
def test_only_the_organizations_staff_close_its_follow_ups(client, world, user_key, status):
    # The district and the state see the follow-up (403); another partner does not (404).
    item = follow_up(visit_at(world, "school_a", "field_p", world.today), "Send the list", world.today)
    client.force_login(world.users[user_key])
    response = client.post(reverse("partners:follow_up_close", args=[item.pk]), {"closing_note": "x"})
    assert response.status_code == status
    item.refresh_from_db()
    assert item.done_on is None


def test_district_staff_keep_their_calendar_and_nobody_elses(client, world):
    client.force_login(world.users["district_a"])
    friday = week_start(world.today) - timedelta(days=3)
    response = client.post(
        reverse("schools:calendar"),
        {
            "first_day": (friday - timedelta(days=4)).isoformat(),
            "last_day": (friday + timedelta(days=3)).isoformat(),
            "description": "Fall break",
        },
    )
    assert response.status_code == 302
    days = NonSchoolDay.objects.filter(district=world.district_a)
    assert days.count() == 6  # Monday to Friday and the next Monday; the weekend is skipped
    refused = client.post(reverse("schools:calendar"), {"first_day": friday.isoformat(), "description": ""})
    assert refused.status_code == 422 and days.count() == 6
    day = days.first()
    assert client.post(reverse("schools:calendar"), {"delete": day.pk}).status_code == 302
    assert days.count() == 5
    # Another district's day cannot be removed; partner staff only read the calendar.
    theirs = NonSchoolDay.objects.create(district=world.district_c, date=friday, description="Theirs")
    assert client.post(reverse("schools:calendar"), {"delete": theirs.pk}).status_code == 404
    client.force_login(world.users["program_p"])
    assert client.post(reverse("schools:calendar"), {"delete": day.pk}).status_code == 404  # removed above
    # Pioneer's staff see Alpha Unified's calendar, but may not change it.
    kept = days.first()
    assert client.post(reverse("schools:calendar"), {"delete": kept.pk}).status_code == 403
    assert NonSchoolDay.objects.filter(pk=kept.pk).exists()
    page = client.get(reverse("schools:calendar"))
    assert page.context["form"] is None
    assert {d.district for d in page.context["days"]} == {world.district_a}


def test_the_heatmap_shows_the_schools_in_scope_by_week(client, world):
    monday = week_start(world.today) - timedelta(days=7)
    for offset in range(3):
        visit_at(world, "school_a", "field_p", monday + timedelta(days=offset))
    visit_at(world, "school_a", "field_p", monday, mode="remote")
    visit_at(world, "school_c", "field_q", monday)
    client.force_login(world.users["program_p"])
    with CaptureQueriesContext(connection) as queries:
        grid = client.get(reverse("partners:presence")).context["presence"]
    assert {row["school"] for row in grid["rows"]} == set(world.contract_a.schools.all())
    row = next(r for r in grid["rows"] if r["school"] == world.school_a)
    cell = next(c for c in row["cells"] if c.week == monday)
    assert (cell.days, cell.expected) == (3, 5)
    assert len(queries) < 15


def test_the_contract_page_shows_its_schools_presence_to_district_staff(client, world):
    monday = week_start(world.today) - timedelta(days=7)
    visit_at(world, "school_a", "field_p", monday)
    client.force_login(world.users["district_a"])
    html = client.get(reverse("contracts:detail", args=[world.contract_a.pk])).content.decode()
    assert 'data-testid="presence-heatmap"' in html
    assert f'data-school-id="{world.school_a.pk}"' in html
    assert f'data-week="{monday:%Y-%m-%d}" data-days="1" data-expected="5"' in html


def test_weeks_before_the_contract_started_expect_nothing_and_raise_no_alert(client, world):
    """A contract that started two weeks ago: the heatmap's earlier weeks are marked as before its
    start, not as weeks without presence, on the contract page and the presence page alike."""
    this_week = week_start(world.today)
    start = this_week - timedelta(days=14)
    PerformanceContract.objects.filter(pk=world.contract_a.pk).update(start_date=start)
    client.force_login(world.users["district_a"])
    html = client.get(reverse("contracts:detail", args=[world.contract_a.pk])).content.decode()

    def cell(week):
        return re.search(rf'<td[^>]*data-week="{week:%Y-%m-%d}"[^>]*>', html).group(0)

    assert "data-before-start" in cell(this_week - timedelta(days=21))
    assert "data-before-start" not in cell(start)
    grid = client.get(reverse("partners:presence")).context["presence"]
    row = next(r for r in grid["rows"] if r["school"] == world.school_a)
    assert [c.before_start for c in row["cells"]][-4:] == [True, False, False, False]
    assert row["cells"][-4].level == "before-start" and not row["cells"][-4].under
    assert row["alert"]  # the two complete weeks since the start have no visit


def test_the_home_page_warns_of_schools_under_four_days_two_weeks_running(client, world):
    this_week = week_start(world.today)
    for week in (this_week - timedelta(days=14), this_week - timedelta(days=7)):
        for school in world.contract_a.schools.exclude(pk=world.school_a.pk):
            for offset in range(4):
                FieldVisitFactory(
                    school=school,
                    organization=world.partner_p,
                    staff=world.users["field_p"],
                    visit_date=week + timedelta(days=offset),
                )
        visit_at(world, "school_a", "field_p", week)
    client.force_login(world.users["district_a"])
    # The home page fetches the alert once it has loaded.
    assert reverse("partners:presence_alert") in client.get(reverse("home")).content.decode()
    html = client.get(reverse("partners:presence_alert")).content.decode()
    assert 'data-testid="presence-alert"' in html
    assert f'data-school-id="{world.school_a.pk}"' in html
    others = world.contract_a.schools.exclude(pk=world.school_a.pk)
    assert all(f'<li data-school-id="{s.pk}"' not in html for s in others)
    client.force_login(world.users["district_c"])  # another district: its schools only
    assert 'data-testid="presence-alert"' in client.get(reverse("partners:presence_alert")).content.decode()
    client.force_login(world.users["program_q"])
    assert f'data-school-id="{world.school_a.pk}"' not in client.get(reverse("partners:presence_alert")).text


def test_recurring_barriers_are_counted_by_school_and_focus_area(client, world):
    for focus in (
        ["operational_support"],
        ["operational_support", "coordinate_district"],
        ["instructional_support"],
    ):
        visit_at(world, "school_a", "field_p", world.today, focus=focus, barriers="Bus route changed.")
    visit_at(world, "school_a", "field_p", world.today, focus=["operational_support"], barriers="")
    visit_at(world, "school_c", "field_q", world.today, focus=["operational_support"], barriers="Theirs")
    client.force_login(world.users["program_p"])
    context = client.get(reverse("partners:barriers")).context
    [row] = context["rows"]
    counts = dict(zip([code for code, _ in context["focus_columns"]], row["counts"], strict=True))
    assert row["school"] == world.school_a.name and row["total"] == 3
    assert counts["operational_support"] == 2 and counts["coordinate_district"] == 1
    assert counts["instructional_support"] == 1 and counts["formative_assessment"] == 0


def test_district_staff_with_admin_access_keep_only_their_calendar_in_the_admin(client, world):
    staff = world.users["district_a"]
    staff.is_staff = True
    staff.save()
    mine = NonSchoolDay.objects.create(district=world.district_a, date=world.today, description="Snow day")
    theirs = NonSchoolDay.objects.create(district=world.district_c, date=world.today, description="Theirs")
    client.force_login(staff)
    changelist = client.get(reverse("admin:schools_nonschoolday_changelist"))
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [mine]
    assert client.get(reverse("admin:schools_nonschoolday_change", args=[theirs.pk])).status_code == 302
    add = client.get(reverse("admin:schools_nonschoolday_add"))
    assert list(add.context["adminform"].form.fields["district"].queryset) == [world.district_a]
    response = client.post(
        reverse("admin:schools_nonschoolday_add"),
        {
            "district": world.district_c.pk,
            "date": (world.today - timedelta(days=1)).isoformat(),
            "description": "x",
        },
    )
    assert response.status_code == 200 and not NonSchoolDay.objects.filter(description="x").exists()
    # Nothing else of the admin opens to them.
    assert client.get(reverse("admin:schools_school_changelist")).status_code == 403


@pytest.mark.parametrize("value", ["abc", "", "1.5", "-1", "١", "99999999999999999999999"])
def test_a_calendar_delete_that_names_no_day_is_a_400(client, world, value):
    day = NonSchoolDay.objects.create(district=world.district_a, date=world.today, description="Holiday")
    client.force_login(world.users["district_a"])
    response = client.post(reverse("schools:calendar"), {"delete": value})
    assert response.status_code == 400
    assert "Say which non-school day to remove" in response.content.decode()
    assert NonSchoolDay.objects.filter(pk=day.pk).exists()


@pytest.mark.parametrize("user_key", ["state", "program_p", "admin"])
def test_only_district_staff_add_non_school_days(client, world, user_key):
    # They read the calendar; adding to it is not theirs: 403.
    client.force_login(world.users[user_key])
    response = client.post(
        reverse("schools:calendar"),
        {"first_day": world.today.isoformat(), "last_day": world.today.isoformat(), "description": "Snow"},
    )
    assert response.status_code == 403
    assert not NonSchoolDay.objects.exists()


@pytest.mark.parametrize(
    "next_url, lands_on",
    [
        ("https://evil.example/phish", "/visits/follow-ups/"),
        ("//evil.example/phish", "/visits/follow-ups/"),
        ("javascript:alert(1)", "/visits/follow-ups/"),
        ("/visits/follow-ups/?status=overdue", "/visits/follow-ups/?status=overdue"),
    ],
)
def test_closing_a_follow_up_goes_back_only_to_a_page_of_the_portal(client, world, next_url, lands_on):
    item = follow_up(visit_at(world, "school_a", "field_p", world.today), "Send the list", world.today)
    client.force_login(world.users["field_p"])
    response = client.post(
        reverse("partners:follow_up_close", args=[item.pk]), {"closing_note": "Sent.", "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == lands_on
    item.refresh_from_db()
    assert item.done_on == world.today
