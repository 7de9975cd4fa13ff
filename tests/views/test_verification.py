"""Values and their verification: district staff verify or dispute, Lead Partner program staff
answer; every step recorded; out of scope is 404, a role that may not is 403."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators.models import EventKind, Measurement, MeasurementEvent
from tests.factories import MeasurementFactory

pytestmark = pytest.mark.django_db


def url(name, m):
    return reverse(f"indicators:{name}", args=[m.pk])


@pytest.fixture(autouse=True)
def _no_presence_values(world):
    """The world's field visit gives its school a computed presence value; these tests count the
    reported ones alone."""
    Measurement.objects.filter(source="computed").delete()


def test_the_values_page_lists_exactly_the_values_in_scope(client, world):
    other = MeasurementFactory(school=world.contract_c.schools.first(), value=77)
    expected = {
        "district_a": {world.measurement_a.pk},
        "state_1": {world.measurement_a.pk},
        "program_p": {world.measurement_a.pk},
        "program_q": {other.pk},
        "district_c": {other.pk},
        "nobody": set(),
    }
    for user_key, ids in expected.items():
        client.force_login(world.users[user_key])
        response = client.get(reverse("indicators:measurements"))
        assert response.status_code == 200
        assert {m.pk for m in response.context["measurements"]} == ids, user_key


def test_filters_narrow_the_values(client, world):
    school = world.school_a
    MeasurementFactory(school=school, period_start=date(2025, 1, 1), period_end=date(2025, 1, 31), value=80)
    disputed = MeasurementFactory(
        school=school,
        period_start=date(2025, 2, 1),
        period_end=date(2025, 2, 28),
        verification="disputed",
        dispute_reason="Count looks doubled.",
    )
    client.force_login(world.users["district_a"])
    page = client.get(reverse("indicators:measurements"), {"verification": "disputed"})
    assert [m.pk for m in page.context["measurements"]] == [disputed.pk]
    page = client.get(
        reverse("indicators:measurements"), {"ends_from": "2025-01-01", "ends_to": "2025-01-31"}
    )
    assert [m.period_end for m in page.context["measurements"]] == [date(2025, 1, 31)]
    page = client.get(reverse("indicators:measurements"), {"contract": world.contract_a.pk})
    assert page.context["paginator"].count == 3
    bad = client.get(reverse("indicators:measurements"), {"ends_from": "2025-02-01", "ends_to": "2025-01-01"})
    assert "before its start" in bad.content.decode()


def test_district_staff_verify_one_value_with_htmx(client, world):
    client.force_login(world.users["district_a"])
    response = client.post(url("verify", world.measurement_a), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-testid="verification">' in response.content.decode()
    m = Measurement.objects.get(pk=world.measurement_a.pk)
    assert (m.verification, m.verified_by) == ("verified", world.users["district_a"])
    assert list(m.events.values_list("kind", flat=True)) == [EventKind.VERIFIED]


def test_bulk_verify_ignores_values_out_of_scope(client, world):
    other = MeasurementFactory(school=world.contract_c.schools.first())
    second = MeasurementFactory(
        school=world.school_a, period_start=date(2025, 1, 1), period_end=date(2025, 1, 31)
    )
    client.force_login(world.users["district_a"])
    response = client.post(
        reverse("indicators:bulk_verify"),
        {
            "ids": [world.measurement_a.pk, second.pk, other.pk],
            "next": "/measurements/?verification=reported",
        },
    )
    assert response.status_code == 302 and response.url == "/measurements/?verification=reported"
    assert set(Measurement.objects.filter(verification="verified").values_list("pk", flat=True)) == {
        world.measurement_a.pk,
        second.pk,
    }
    assert Measurement.objects.get(pk=other.pk).verification == "reported"


def test_bulk_verify_does_not_redirect_off_site(client, world):
    client.force_login(world.users["district_a"])
    response = client.post(
        reverse("indicators:bulk_verify"), {"ids": [world.measurement_a.pk], "next": "https://evil.example/"}
    )
    assert response.url == reverse("indicators:measurements")


def test_a_dispute_needs_a_reason_and_keeps_what_was_typed(client, world):
    client.force_login(world.users["district_a"])
    response = client.post(url("dispute", world.measurement_a), {"text": "   "})
    assert response.status_code == 400
    assert Measurement.objects.get(pk=world.measurement_a.pk).verification == "reported"
    response = client.post(
        url("dispute", world.measurement_a), {"text": "Attendance above enrolment in week 2."}
    )
    assert response.status_code == 302
    m = Measurement.objects.get(pk=world.measurement_a.pk)
    assert (m.verification, m.dispute_reason) == ("disputed", "Attendance above enrolment in week 2.")


def test_the_partner_answers_a_dispute_with_a_correction(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.users["district_a"])
    client.post(url("dispute", world.measurement_a), {"text": "Doubled rows."})
    client.force_login(world.users["program_p"])
    detail = client.get(url("measurement_detail", world.measurement_a))
    assert (
        "Doubled rows." in detail.content.decode() and 'data-testid="answer-form"' in detail.content.decode()
    )

    refused = client.post(url("answer", world.measurement_a), {"value": "130", "comment": ""})
    assert refused.status_code == 400
    assert "above the largest" in refused.content.decode()
    assert Measurement.objects.get(pk=world.measurement_a.pk).value == 91.25

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            url("answer", world.measurement_a), {"value": "45.5", "comment": "Deduplicated."}
        )
    assert response.status_code == 302
    assert callbacks, "a corrected value schedules a recompute"
    m = Measurement.objects.get(pk=world.measurement_a.pk)
    assert (m.value, m.verification, m.dispute_reason, m.source) == (45.5, "reported", "", "form")
    event = MeasurementEvent.objects.get(measurement=m, kind=EventKind.CORRECTED)
    assert (event.old_value, event.new_value, event.text) == (91.25, 45.5, "Deduplicated.")


def test_a_comment_alone_keeps_the_value_disputed(client, world):
    client.force_login(world.users["district_a"])
    client.post(url("dispute", world.measurement_a), {"text": "Doubled rows."})
    client.force_login(world.users["program_p"])
    client.post(url("answer", world.measurement_a), {"value": "", "comment": "The register confirms it."})
    m = Measurement.objects.get(pk=world.measurement_a.pk)
    assert (m.verification, m.value) == ("disputed", 91.25)
    assert list(m.events.values_list("kind", flat=True)) == [EventKind.DISPUTED, EventKind.COMMENTED]
    empty = client.post(url("answer", world.measurement_a), {"value": "", "comment": ""})
    assert empty.status_code == 400


def test_a_value_not_disputed_cannot_be_answered(client, world):
    client.force_login(world.users["program_p"])
    response = client.post(url("answer", world.measurement_a), {"value": "90"})
    assert response.status_code == 400
    assert "Only a disputed value" in response.content.decode()


@pytest.mark.parametrize(
    "user_key, action, status",
    [
        ("program_p", "verify", 403),
        ("program_p", "dispute", 403),
        ("field_p", "verify", 403),
        ("state_1", "verify", 403),
        ("district_a", "answer", 403),
        ("district_c", "verify", 404),
        ("program_q", "answer", 404),
        ("nobody", "verify", 404),
    ],
)
def test_roles_that_may_not_are_refused(client, world, user_key, action, status):
    if action == "answer":
        Measurement.objects.filter(pk=world.measurement_a.pk).update(
            verification="disputed", dispute_reason="x"
        )
    client.force_login(world.users[user_key])
    response = client.post(url(action, world.measurement_a), {"text": "Reason", "value": "90"})
    assert response.status_code == status
    assert not MeasurementEvent.objects.exists()


@pytest.mark.parametrize("user_key, status", [("district_a", 200), ("district_c", 404), ("program_q", 404)])
def test_the_value_page_answers_404_out_of_scope(client, world, user_key, status):
    client.force_login(world.users[user_key])
    assert client.get(url("measurement_detail", world.measurement_a)).status_code == status


def test_the_values_page_query_count_does_not_grow_with_the_values(client, world):
    client.force_login(world.users["district_a"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("indicators:measurements")).status_code == 200
        return len(queries)

    few = count()
    for month in range(1, 13):
        MeasurementFactory(
            school=world.school_a,
            period_start=date(2023, month, 1),
            period_end=date(2023, month, 28),
            supplied_by=world.users["program_p"],
        )
    assert count() == few


def test_the_contract_page_shows_its_latest_values_with_their_verification(client, world):
    MeasurementFactory(
        school=world.school_a,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 1, 31),
        verification="disputed",
        dispute_reason="Too high.",
    )
    client.force_login(world.users["district_a"])
    page = client.get(reverse("contracts:detail", args=[world.contract_a.pk]))
    assert [m.period_end for m in page.context["latest_values"]] == [date(2025, 1, 31), date(2024, 9, 30)]
    assert page.context["value_counts"] == {"disputed": 1, "unverified": 1}
    html = page.content.decode()
    assert 'data-testid="contract-values-section"' in html and "1 disputed" in html
    # Other districts' values are not counted, nor shown.
    client.force_login(world.users["district_c"])
    assert client.get(reverse("contracts:detail", args=[world.contract_a.pk])).status_code == 404
