"""Logging, editing and deleting field visits in the browser's pages: who may, where, and until when."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.models import FieldVisit, FollowUp
from tests.factories import FieldVisitFactory


def visit_data(school, day, **extra):
    data = {
        "school": school.pk,
        "visit_date": day.isoformat(),
        "mode": "on_site",
        "start_time": "08:30",
        "end_time": "12:00",
        "duration_minutes": "",
        "focus": ["instructional_support", "principal_check_in"],
        "people_met": "Principal",
        "progress": "Walked classrooms.",
        "barriers": "",
        "corrects": "",
        "follow_ups-TOTAL_FORMS": "0",
        "follow_ups-INITIAL_FORMS": "0",
        "follow_ups-MIN_NUM_FORMS": "0",
        "follow_ups-MAX_NUM_FORMS": "20",
    }
    data.update(extra)
    return data


def log(client, user, data):
    client.force_login(user)
    return client.post(reverse("partners:visit_new"), data)


def test_field_staff_log_a_visit_with_follow_ups(client, world):
    data = visit_data(
        world.school_a,
        world.today,
        **{
            "follow_ups-TOTAL_FORMS": "2",
            "follow_ups-0-description": "Send the regrouping list",
            "follow_ups-0-owner": "Principal",
            "follow_ups-0-due_on": (world.today + timedelta(days=7)).isoformat(),
            "follow_ups-1-description": "Book the lab repair",
            "follow_ups-1-owner": "District facilities",
            "follow_ups-1-due_on": (world.today + timedelta(days=14)).isoformat(),
        },
    )
    response = log(client, world.users["field_p"], data)
    assert response.status_code == 302
    visit = FieldVisit.objects.get()
    assert visit.staff == world.users["field_p"] and visit.organization == world.partner_p
    assert visit.duration_minutes == 210  # from the times
    assert visit.focus == ["instructional_support", "principal_check_in"]
    assert sorted(visit.follow_ups.values_list("owner", flat=True)) == ["District facilities", "Principal"]


def test_a_duration_alone_will_do(client, world):
    response = log(
        client,
        world.users["program_p"],
        visit_data(
            world.school_a, world.today, start_time="", end_time="", duration_minutes="45", mode="remote"
        ),
    )
    assert response.status_code == 302
    assert FieldVisit.objects.get().duration_minutes == 45


@pytest.mark.parametrize(
    "change, field, message",
    [
        (
            {"start_time": "", "end_time": ""},
            "duration_minutes",
            "Give the start and end time, or the duration.",
        ),
        ({"end_time": "08:00"}, "end_time", "The visit must end after it starts."),
        ({"end_time": ""}, "end_time", "Give both the start and the end time"),
        ({"focus": []}, "focus", "Choose at least one focus."),
        ({"focus": ["gardening"]}, "focus", "gardening"),
        (
            {
                "follow_ups-TOTAL_FORMS": "1",
                "follow_ups-0-description": "Call",
                "follow_ups-0-owner": "AP",
                "follow_ups-0-due_on": "2000-01-01",
            },
            None,
            "The due date is before the visit.",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(client, world, change, field, message):
    response = log(client, world.users["field_p"], visit_data(world.school_a, world.today, **change))
    assert response.status_code == 422
    assert message in response.content.decode()
    if field:
        assert field in response.context["form"].errors
    assert not FieldVisit.objects.exists() and not FollowUp.objects.exists()


def test_a_visit_cannot_be_logged_ahead_of_its_date(client, world):
    response = log(
        client, world.users["field_p"], visit_data(world.school_a, world.today + timedelta(days=1))
    )
    assert response.status_code == 422
    assert "ahead of its date" in response.context["form"].errors["visit_date"][0]


def test_a_visit_cannot_predate_the_contract(client, world):
    before = world.contract_a.start_date - timedelta(days=1)
    response = log(client, world.users["field_p"], visit_data(world.school_a, before))
    assert response.status_code == 422
    assert "starts on" in response.context["form"].errors["visit_date"][0]


@pytest.mark.parametrize("school_key", ["school_c", "school_draft"])
def test_field_staff_cannot_log_a_visit_at_another_partners_school_or_outside_a_contract_in_force(
    client, world, school_key
):
    response = log(client, world.users["field_p"], visit_data(getattr(world, school_key), world.today))
    assert response.status_code == 422
    assert "school" in response.context["form"].errors
    assert not FieldVisit.objects.exists()


def test_the_school_choices_are_the_organizations_schools_on_the_ground(client, world):
    client.force_login(world.users["field_p"])
    form = client.get(reverse("partners:visit_new")).context["form"]
    assert set(form.fields["school"].queryset) == set(world.contract_a.schools.all())


def test_the_form_defaults_to_today_and_the_last_visits_school(client, world):
    school = world.contract_a.schools.order_by("-pk").first()
    FieldVisitFactory(
        school=school,
        organization=world.partner_p,
        staff=world.users["field_p"],
        visit_date=world.today - timedelta(days=3),
    )
    client.force_login(world.users["field_p"])
    form = client.get(reverse("partners:visit_new")).context["form"]
    assert form.initial["visit_date"] == world.today
    assert form.initial["school"] == school.pk


@pytest.mark.parametrize("user_key", ["district_a", "state", "admin", "nobody"])
def test_only_lead_partner_staff_log_visits(client, world, user_key):
    # A write the role may not make: 403, as from the API.
    client.force_login(world.users[user_key])
    assert client.get(reverse("partners:visit_new")).status_code == 403
    assert (
        client.post(reverse("partners:visit_new"), visit_data(world.school_a, world.today)).status_code == 403
    )
    assert not FieldVisit.objects.exists()


def own_visit(world, user_key="field_p", **kwargs):
    return FieldVisitFactory(
        school=world.school_a,
        organization=world.partner_p,
        staff=world.users[user_key],
        visit_date=world.today,
        **kwargs,
    )


def test_staff_edit_their_own_visit_within_the_window(client, world):
    visit = own_visit(world)
    client.force_login(world.users["field_p"])
    url = reverse("partners:visit_edit", args=[visit.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, visit_data(world.school_a, world.today, progress="Corrected note."))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.progress == "Corrected note." and visit.staff == world.users["field_p"]


@pytest.mark.parametrize(
    "user_key, status",
    [
        # They see the visit (their organization's, their district's, everything): 403.
        ("field_p2", 403),
        ("program_p", 403),
        ("district_a", 403),
        ("state", 403),
        ("admin", 403),
        # They do not: 404.
        ("field_q", 404),
        ("program_q", 404),
        ("nobody", 404),
    ],
)
def test_nobody_else_edits_or_deletes_a_visit(client, world, user_key, status):
    visit = own_visit(world)
    client.force_login(world.users[user_key])
    for name in ("partners:visit_edit", "partners:visit_delete"):
        url = reverse(name, args=[visit.pk])
        assert client.get(url).status_code == status
        assert (
            client.post(url, visit_data(world.school_a, world.today, progress="Hijacked")).status_code
            == status
        )
    visit.refresh_from_db()
    assert visit.progress != "Hijacked"


def test_after_the_window_a_visit_is_closed_to_edits_and_a_correction_is_a_new_entry(client, world):
    world.partner_p.visit_edit_window_days = 2
    world.partner_p.save()
    visit = own_visit(world)
    FieldVisit.objects.filter(pk=visit.pk).update(created_at=timezone.now() - timedelta(days=2, minutes=1))
    client.force_login(world.users["field_p"])
    assert client.get(reverse("partners:visit_edit", args=[visit.pk])).status_code == 403
    assert client.post(reverse("partners:visit_delete", args=[visit.pk])).status_code == 403
    assert FieldVisit.objects.filter(pk=visit.pk).exists()
    listing = client.get(reverse("partners:visits")).content.decode()
    assert f"?corrects={visit.pk}" in listing
    # The correction starts from the original and points back at it.
    form = client.get(reverse("partners:visit_new") + f"?corrects={visit.pk}").context["form"]
    assert form.initial["corrects"] == visit.pk and form.initial["school"] == visit.school_id
    response = client.post(
        reverse("partners:visit_new"),
        visit_data(world.school_a, world.today, corrects=str(visit.pk), progress="The right note."),
    )
    assert response.status_code == 302
    correction = FieldVisit.objects.exclude(pk=visit.pk).get()
    assert correction.corrects == visit and correction.progress == "The right note."


def test_a_correction_of_a_visit_out_of_scope_is_not_found(client, world):
    other = FieldVisitFactory(
        school=world.school_c, organization=world.partner_q, staff=world.users["field_q"]
    )
    client.force_login(world.users["field_p"])
    assert client.get(reverse("partners:visit_new") + f"?corrects={other.pk}").status_code == 404


def test_staff_delete_their_own_visit_and_its_follow_ups(client, world):
    visit = own_visit(world)
    FollowUp.objects.create(visit=visit, description="Call", owner="AP", due_on=world.today)
    client.force_login(world.users["field_p"])
    assert client.post(reverse("partners:visit_delete", args=[visit.pk])).status_code == 302
    assert not FieldVisit.objects.exists() and not FollowUp.objects.exists()


def test_field_staff_see_only_their_organizations_visits(client, world):
    mine = own_visit(world)
    theirs = FieldVisitFactory(
        school=world.school_c, organization=world.partner_q, staff=world.users["field_q"]
    )
    client.force_login(world.users["field_p"])
    shown = {v.pk for v in client.get(reverse("partners:visits")).context["visits"]}
    assert shown == {mine.pk}
    client.force_login(world.users["field_q"])
    shown = {v.pk for v in client.get(reverse("partners:visits")).context["visits"]}
    assert shown == {theirs.pk}


def test_the_htmx_row_adds_a_follow_up_form_and_raises_the_count(client, world):
    client.force_login(world.users["field_p"])
    response = client.get(
        reverse("partners:follow_up_row"), {"follow_ups-TOTAL_FORMS": "2"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'name="follow_ups-2-description"' in html
    assert 'name="follow_ups-TOTAL_FORMS" value="3"' in html and 'hx-swap-oob="true"' in html


def test_program_staff_set_their_organizations_edit_window(client, world):
    client.force_login(world.users["program_p"])
    assert 'data-testid="edit-window"' in client.get(reverse("partners:visits")).content.decode()
    assert client.post(reverse("partners:edit_window"), {"visit_edit_window_days": "3"}).status_code == 302
    world.partner_p.refresh_from_db()
    assert world.partner_p.visit_edit_window_days == 3
    client.post(reverse("partners:edit_window"), {"visit_edit_window_days": "365"})
    world.partner_p.refresh_from_db()
    assert world.partner_p.visit_edit_window_days == 3
    world.partner_q.refresh_from_db()
    assert world.partner_q.visit_edit_window_days == 7


@pytest.mark.parametrize("user_key", ["field_p", "district_a", "admin"])
def test_nobody_else_sets_the_edit_window(client, world, user_key):
    client.force_login(world.users[user_key])
    assert client.post(reverse("partners:edit_window"), {"visit_edit_window_days": "30"}).status_code == 403
    world.partner_p.refresh_from_db()
    assert world.partner_p.visit_edit_window_days == 7
    assert 'data-testid="edit-window"' not in client.get(reverse("partners:visits")).content.decode()


def test_editing_a_visit_removes_and_adds_follow_ups_in_one_go(client, world):
    visit = own_visit(world)
    kept = FollowUp.objects.create(visit=visit, description="Keep", owner="AP", due_on=world.today)
    dropped = FollowUp.objects.create(visit=visit, description="Drop", owner="AP", due_on=world.today)
    client.force_login(world.users["field_p"])
    url = reverse("partners:visit_edit", args=[visit.pk])
    page = client.get(url).content.decode()
    assert 'name="follow_ups-1-DELETE"' in page
    due = (world.today + timedelta(days=3)).isoformat()
    data = visit_data(
        world.school_a,
        world.today,
        **{
            "follow_ups-TOTAL_FORMS": "3",
            "follow_ups-INITIAL_FORMS": "2",
            "follow_ups-0-id": str(kept.pk),
            "follow_ups-0-visit": str(visit.pk),
            "follow_ups-0-description": "Keep, reworded",
            "follow_ups-0-owner": "AP",
            "follow_ups-0-due_on": due,
            "follow_ups-1-id": str(dropped.pk),
            "follow_ups-1-visit": str(visit.pk),
            "follow_ups-1-description": "Drop",
            "follow_ups-1-owner": "AP",
            "follow_ups-1-due_on": due,
            "follow_ups-1-DELETE": "on",
            "follow_ups-2-description": "New one",
            "follow_ups-2-owner": "Principal",
            "follow_ups-2-due_on": due,
        },
    )
    assert client.post(url, data).status_code == 302
    assert sorted(visit.follow_ups.values_list("description", flat=True)) == ["Keep, reworded", "New one"]


def test_only_the_author_corrects_a_visit(client, world):
    visit = own_visit(world)
    FieldVisit.objects.filter(pk=visit.pk).update(created_at=timezone.now() - timedelta(days=30))
    client.force_login(world.users["program_p"])
    assert f"?corrects={visit.pk}" not in client.get(reverse("partners:visits")).content.decode()
    assert client.get(reverse("partners:visit_new") + f"?corrects={visit.pk}").status_code == 403
    response = client.post(
        reverse("partners:visit_new"), visit_data(world.school_a, world.today, corrects=str(visit.pk))
    )
    assert response.status_code == 422 and "corrects" in response.context["form"].errors
    assert FieldVisit.objects.count() == 1


@pytest.mark.parametrize("total, initial", [(21, 0), (100000, 0), (3, 3), (2, 1000)])
def test_a_tampered_follow_up_count_is_a_form_error_not_a_500(client, world, total, initial):
    """More follow-ups than the form allows (20), or rows claimed as existing that are not this
    visit's: the form comes back with an error and nothing is saved."""
    due = (world.today + timedelta(days=7)).isoformat()
    rows = {}
    for index in range(min(total, 25)):
        rows[f"follow_ups-{index}-description"] = f"Follow-up {index}"
        rows[f"follow_ups-{index}-owner"] = "Principal"
        rows[f"follow_ups-{index}-due_on"] = due
    if initial:
        other = own_visit(world, "field_p2")
        theirs = other.follow_ups.create(description="Not yours", owner="x", due_on=world.today)
        rows["follow_ups-0-id"] = str(theirs.pk)
    data = visit_data(
        world.school_a,
        world.today,
        **{"follow_ups-TOTAL_FORMS": str(total), "follow_ups-INITIAL_FORMS": str(initial)},
        **rows,
    )
    visits = FieldVisit.objects.count()
    response = log(client, world.users["field_p"], data)
    assert response.status_code == 422
    assert FieldVisit.objects.count() == visits
    assert not FollowUp.objects.filter(description__startswith="Follow-up").exists()
