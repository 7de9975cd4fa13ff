"""Values past numeric limits (1e308, inf, nan, a 400-digit integer) and past an indicator's
plausible range are refused with a clear message on every path that writes a measurement: the
file import, the API, the answer to a dispute and the admin. Nothing is written, never a 500."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from indicators import verification
from indicators.imports import import_measurements
from indicators.models import Measurement
from tests.api.conftest import client_for
from tests.factories import MeasurementFactory, indicator, user_with_role
from turnaround.models import Role

pytestmark = pytest.mark.django_db
HEADER = "school_id,indicator,period_start,period_end,value\n"
PAST_LIMITS = ["1e308", "-1e308", "1e400", "inf", "-Infinity", "nan", "1" + "0" * 250, "2000000000"]


def school(contract):
    return contract.schools.order_by("pk").first()


def test_the_import_refuses_values_past_numeric_limits_even_without_a_largest_value(contract, program):
    # Discipline incidents are a count: the indicator has no largest value of its own.
    assert indicator("discipline_incidents").max_value is None
    lines = [
        f"{school(contract).state_id},discipline_incidents,2024-{month:02d}-01,2024-{month:02d}-28,{raw}"
        for month, raw in enumerate(PAST_LIMITS, start=1)
    ]
    data = io.BytesIO((HEADER + "\n".join(lines) + "\n").encode())
    record = import_measurements(data, "values.csv", program, channel="command")
    assert record.status == "rejected"
    messages = {error["line"]: error["message"] for error in record.errors}
    assert sorted(messages) == list(range(2, 2 + len(PAST_LIMITS)))
    assert messages[2] == "1e+308 is past the largest value the portal stores (1,000,000,000)."
    assert messages[3] == "-1e+308 is past the largest value the portal stores (1,000,000,000)."
    for line in (4, 5, 6, 7):
        assert messages[line] == "The value is not a finite number."
    assert messages[8] == "1e+250 is past the largest value the portal stores (1,000,000,000)."
    assert messages[9] == "2e+09 is past the largest value the portal stores (1,000,000,000)."
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("value", [1e308, -1e308, 10**400, 2_000_000_000])
def test_the_api_refuses_values_past_numeric_limits(contract, program, value):
    body = {
        "school_id": school(contract).state_id,
        "indicator": "discipline_incidents",
        "period_start": "2024-09-01",
        "period_end": "2024-09-30",
        "value": value,
    }
    response = client_for(program).post("/api/v1/measurements/", body, format="json")
    assert response.status_code == 400
    expected = (
        "The value is not a finite number."
        if value == 10**400
        else f"{float(value):g} is past the largest value the portal stores (1,000,000,000)."
    )
    assert response.json() == {"value": [expected]}
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_the_api_refuses_json_that_is_not_a_finite_number(contract, program, token):
    body = (
        f'{{"school_id": "{school(contract).state_id}", "indicator": "discipline_incidents", '
        f'"period_start": "2024-09-01", "period_end": "2024-09-30", "value": {token}}}'
    )
    response = client_for(program).post("/api/v1/measurements/", body, content_type="application/json")
    assert response.status_code == 400
    # NaN and Infinity are not JSON (the parser says so); 1e999 is, and reads as infinite.
    assert response.json() in (
        {"value": ["The value is not a finite number."]},
        {"detail": f"JSON parse error - Out of range float values are not JSON compliant: '{token}'"},
    )
    assert not Measurement.objects.exists()


def test_the_api_refuses_values_outside_the_indicators_range(contract, program):
    body = {
        "school_id": school(contract).state_id,
        "indicator": "discipline_incidents",
        "period_start": "2024-09-01",
        "period_end": "2024-09-30",
        "value": -3,
    }
    response = client_for(program).post("/api/v1/measurements/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"value": ["-3 is below the smallest discipline incidents, 0."]}


@pytest.mark.parametrize("raw", ["1e308", "inf", "nan", "1" + "0" * 39])
def test_a_correction_past_numeric_limits_is_refused(client, contract, program, raw):
    district = user_with_role(Role.DISTRICT_STAFF, contract.district)
    value = MeasurementFactory(school=school(contract), indicator=indicator("discipline_incidents"), value=4)
    verification.dispute(district, value, "Seems low.")
    client.force_login(program)
    response = client.post(reverse("indicators:answer", args=[value.pk]), {"value": raw})
    assert response.status_code == 400
    page = response.content.decode()
    assert "not a finite number" in page or "past the largest value the portal stores" in page
    value.refresh_from_db()
    assert (value.value, value.verification) == (4, "disputed")


def test_the_admins_form_checks_the_value_as_well(contract):
    value = MeasurementFactory(school=school(contract), indicator=indicator("discipline_incidents"), value=4)
    value.value = 1e308
    with pytest.raises(ValidationError) as error:
        value.full_clean()
    assert error.value.message_dict["value"] == [
        "1e+308 is past the largest value the portal stores (1,000,000,000)."
    ]
    value.value = 120
    value.indicator = indicator("attendance_rate")
    with pytest.raises(ValidationError, match="above the largest attendance rate"):
        value.full_clean()


def test_an_oversized_json_body_is_refused_before_it_is_parsed(contract, program, monkeypatch):
    from rest_framework.parsers import JSONParser

    from turnaround.api import indicators as api

    monkeypatch.setattr(api, "MAX_MEASUREMENTS_BODY_BYTES", 10_000)
    parsed = []
    original = JSONParser.parse
    monkeypatch.setattr(
        JSONParser, "parse", lambda self, *a, **k: parsed.append(1) or original(self, *a, **k)
    )
    body = [
        {
            "school_id": school(contract).state_id,
            "indicator": "attendance_rate",
            "period_start": f"2024-{month:02d}-{day:02d}",
            "period_end": f"2024-{month:02d}-{day:02d}",
            "value": 90,
        }
        for month in (9, 10, 11)
        for day in range(1, 29)
    ]
    response = client_for(program).post("/api/v1/measurements/", body, format="json")
    assert response.status_code == 400
    assert "The request is larger than" in response.json()["non_field_errors"][0]
    assert parsed == [] and not Measurement.objects.exists()
