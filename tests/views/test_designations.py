"""Priority partner designations in the browser: state staff manage their state's."""

from datetime import date

import pytest
from django.urls import reverse

from partners.models import PriorityPartnerDesignation, ServiceArea

pytestmark = pytest.mark.django_db


def body(world, **changes):
    data = {
        "state": world.state_1.pk,
        "service_areas": [ServiceArea.objects.order_by("pk").first().pk],
        "designated_on": "2026-08-01",
        "expires_on": "",
        "evidence": "Three clusters turned around in five years.",
    }
    data.update(changes)
    return data


def test_state_staff_designate_a_priority_partner_and_end_it(client, world):
    client.force_login(world.users["state_1"])
    page = client.get(reverse("partners:detail", args=[world.partner_p.pk])).content.decode()
    assert 'data-testid="designate"' in page
    response = client.post(reverse("partners:designation_new", args=[world.partner_p.pk]), body(world))
    assert response.status_code == 302
    designation = PriorityPartnerDesignation.objects.get(organization=world.partner_p)
    assert (designation.state, designation.designated_by) == (world.state_1, world.users["state_1"])
    assert designation.service_areas.count() == 1
    ended = client.post(
        reverse("partners:designation_edit", args=[designation.pk]), body(world, expires_on="2027-07-31")
    )
    assert ended.status_code == 302
    designation.refresh_from_db()
    assert designation.expires_on == date(2027, 7, 31)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"expires_on": "2026-07-01"}, "expires_on"),
        ({"evidence": ""}, "evidence"),
        ({"service_areas": []}, "service_areas"),
    ],
)
def test_bad_designations_are_refused_and_keep_what_was_typed(client, world, changes, field):
    client.force_login(world.users["state_1"])
    response = client.post(
        reverse("partners:designation_new", args=[world.partner_p.pk]), body(world, **changes)
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "Three clusters" in response.content.decode() or field == "evidence"
    assert not PriorityPartnerDesignation.objects.exists()


def test_state_staff_designate_for_their_own_state_only_and_once_a_day(client, world):
    client.force_login(world.users["state_1"])
    url = reverse("partners:designation_new", args=[world.partner_p.pk])
    other_state = client.post(url, body(world, state=world.state_2.pk))
    assert other_state.status_code == 400 and "state" in other_state.context["form"].errors
    assert client.post(url, body(world)).status_code == 302
    again = client.post(url, body(world))
    assert again.status_code == 400 and "designated_on" in again.context["form"].errors
    assert PriorityPartnerDesignation.objects.count() == 1


@pytest.mark.parametrize(
    "user_key, status",
    [("district_a", 403), ("program_p", 403), ("field_p", 403), ("program_q", 404), ("nobody", 404)],
)
def test_other_roles_cannot_designate(client, world, user_key, status):
    client.force_login(world.users[user_key])
    url = reverse("partners:designation_new", args=[world.partner_p.pk])
    assert client.get(url).status_code == status
    assert client.post(url, body(world)).status_code == status
    assert not PriorityPartnerDesignation.objects.exists()


def test_another_state_cannot_edit_a_designation(client, world):
    designation = PriorityPartnerDesignation.objects.create(
        state=world.state_1, organization=world.partner_p, designated_on=date(2026, 8, 1), evidence="x"
    )
    client.force_login(world.users["state_2"])
    assert client.get(reverse("partners:designation_edit", args=[designation.pk])).status_code == 404
