"""No silent overwrite: a partner's import or API upsert may not change a value the district
verified; a partner's change of a disputed value is its answer to the dispute; every change keeps
the old value and who made it on the value's trail (indicators/write_rule.py)."""

import io

import pytest
from django.utils import timezone

from indicators import imports, verification
from indicators.imports import import_measurements
from indicators.models import Measurement, MeasurementEvent, MeasurementImport
from tests.api.conftest import client_for
from tests.factories import MeasurementFactory, indicator, user_with_role
from turnaround.models import Role

pytestmark = pytest.mark.django_db
HEADER = "school_id,indicator,period_start,period_end,value\n"


@pytest.fixture
def district(contract):
    return user_with_role(Role.DISTRICT_STAFF, contract.district)


@pytest.fixture
def value(contract):
    """A reported attendance rate of 80 for September 2024 at the contract's first school."""
    return MeasurementFactory(
        school=contract.schools.order_by("pk").first(), indicator=indicator("attendance_rate"), value=80
    )


def run(user, value, new):
    line = f"{value.school.state_id},attendance_rate,2024-09-01,2024-09-30,{new}\n"
    return import_measurements(io.BytesIO((HEADER + line).encode()), "sept.csv", user, channel="command")


def post(user, value, new):
    body = {
        "school_id": value.school.state_id,
        "indicator": "attendance_rate",
        "period_start": "2024-09-01",
        "period_end": "2024-09-30",
        "value": new,
    }
    return client_for(user).post("/api/v1/measurements/", body, format="json")


def trail(value):
    return list(
        MeasurementEvent.objects.filter(measurement=value).values_list(
            "kind", "user__username", "old_value", "new_value"
        )
    )


def test_a_partner_cannot_replace_a_verified_value(value, program, district):
    verification.verify(district, [value.pk])
    record = run(program, value, 85)
    assert record.status == "rejected"
    assert record.errors == [
        {
            "line": 2,
            "column": "value",
            "message": f"The district verified the value 80 on {timezone.localdate():%Y-%m-%d}; it cannot "
            "be replaced by 85. If it is wrong, ask the district to dispute it, then correct it.",
        }
    ]
    response = post(program, value, 85)
    assert response.status_code == 400 and "The district verified the value 80" in response.json()["value"][0]
    value.refresh_from_db()
    assert (value.value, value.verification) == (80, "verified")
    assert [kind for kind, *_ in trail(value)] == ["verified"]
    # The same value again changes nothing and is no error.
    assert (run(program, value, 80).status, post(program, value, 80).status_code) == ("applied", 200)


def test_a_partner_changing_a_disputed_value_answers_the_dispute(value, program, district):
    verification.dispute(district, value, "Far below last month.")
    record = run(program, value, 88)
    assert (record.status, record.rows_updated) == ("applied", 1)
    value.refresh_from_db()
    assert (value.value, value.verification, value.dispute_reason, value.supplied_by) == (
        88,
        "reported",
        "",
        program,
    )
    assert trail(value) == [
        ("disputed", district.username, None, None),
        ("corrected", program.username, 80, 88),
    ]
    event = MeasurementEvent.objects.get(kind="corrected")
    assert event.text == f"Import #{record.pk} (sept.csv); the value was disputed."
    # The reason of the dispute stays on the trail.
    assert MeasurementEvent.objects.get(kind="disputed").text == "Far below last month."


def test_the_api_records_a_partners_answer_the_same_way(value, program, district):
    verification.dispute(district, value, "Far below last month.")
    response = post(program, value, 87)
    assert response.status_code == 200 and response.json()["updated"] == 1
    assert trail(value)[-1] == ("corrected", program.username, 80, 87)
    assert MeasurementEvent.objects.get(kind="corrected").text == "Through the API; the value was disputed."


def test_district_staff_may_replace_a_verified_value_and_the_old_one_is_kept(value, district):
    verification.verify(district, [value.pk])
    record = run(district, value, 82)
    assert record.status == "applied"
    value.refresh_from_db()
    assert (value.value, value.verification) == (82, "reported")
    assert trail(value)[-1] == ("replaced", district.username, 80, 82)
    assert MeasurementEvent.objects.get(kind="replaced").text.endswith("the value was verified.")


def test_a_reported_value_replaced_is_recorded_too(value, program):
    assert run(program, value, 81).status == "applied"
    assert post(program, value, 83).status_code == 200
    assert trail(value) == [
        ("replaced", program.username, 80, 81),
        ("replaced", program.username, 81, 83),
    ]


def test_a_value_verified_between_the_check_and_the_write_is_not_replaced(
    value, program, district, monkeypatch
):
    verification.verify(district, [value.pk])
    checked = imports.existing_measurements
    # The check sees the value as it was before the district verified it; the write, under the
    # rows' locks, sees it verified.
    monkeypatch.setattr(
        imports, "existing_measurements", lambda rows, lock=False: checked(rows, lock) if lock else {}
    )
    record = run(program, value, 85)
    assert record.status == "rejected" and "The district verified the value 80" in record.errors[0]["message"]
    assert list(MeasurementImport.objects.values_list("status", flat=True)) == ["rejected"]
    assert post(program, value, 85).status_code == 400
    value.refresh_from_db()
    assert (value.value, value.verification) == (80, "verified")
    assert not MeasurementEvent.objects.exclude(kind="verified").exists()
    assert Measurement.objects.count() == 1
