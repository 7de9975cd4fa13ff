"""One rule for writing measurements (indicators/write_rule.py), the same through the file import,
the API and the value's page: program staff write a school's values only for periods ending while
a contract of their organization covering it is on the ground; district staff their district's
values for any period; an out-of-scope school reads as an unknown one."""

import io
from datetime import date

import pytest
from django.urls import reverse

from indicators.imports import import_measurements
from indicators.models import Measurement, MeasurementEvent
from tests.api.conftest import client_for
from tests.factories import ContractFactory, MeasurementFactory, SchoolFactory, indicator, user_with_role
from turnaround.models import Role

pytestmark = pytest.mark.django_db
HEADER = "school_id,indicator,period_start,period_end,value\n"


@pytest.fixture
def handed_over():
    """Partner P ran a cluster from July 2024 (contract completed); partner Q runs it from July 2026.
    P also holds an active contract of its own and a draft one."""
    old = ContractFactory(lifecycle_status="completed")
    new = ContractFactory(
        district=old.district,
        cluster=old.cluster,
        lifecycle_status="active",
        start_date=date(2026, 7, 1),
        end_date=date(2029, 6, 30),
    )
    active = ContractFactory(lead_partner=old.lead_partner, lifecycle_status="active")
    draft = ContractFactory(lead_partner=old.lead_partner)
    return {
        "old": old,
        "new": new,
        "active": active,
        "draft": draft,
        "p": user_with_role(Role.PARTNER_PROGRAM, old.lead_partner),
        "q": user_with_role(Role.PARTNER_PROGRAM, new.lead_partner),
        "district": user_with_role(Role.DISTRICT_STAFF, old.district),
    }


def school(contract):
    return contract.schools.order_by("pk").first()


def run(user, *lines):
    data = io.BytesIO((HEADER + "\n".join(lines) + "\n").encode())
    return import_measurements(data, "values.csv", user, channel="command")


def row(school, start, end, value=90):
    return f"{school.state_id},attendance_rate,{start},{end},{value}"


def messages(record):
    return {error["line"]: error["message"] for error in record.errors}


def test_program_staff_write_only_where_their_contract_is_on_the_ground(handed_over):
    p, old, active, draft = handed_over["p"], handed_over["old"], handed_over["active"], handed_over["draft"]
    record = run(
        p,
        row(school(old), "2025-09-01", "2025-09-30"),  # 2: completed contract (now Q's school)
        row(school(draft), "2025-09-01", "2025-09-30"),  # 3: draft contract
        row(school(active), "2024-06-01", "2024-06-30"),  # 4: before the contract started
        row(school(active), "2024-07-01", "2024-07-31"),  # 5: fine
    )
    assert record.status == "rejected"
    found = messages(record)
    assert sorted(found) == [2, 3, 4]
    for line in (2, 3):
        assert "not under a contract of your organization in force on the ground" in found[line]
    assert "The period ends on 2024-06-30, outside your organization's contract" in found[4]
    assert "(2024-07-01 to 2029-06-30)" in found[4]
    assert not Measurement.objects.exists()
    assert run(p, row(school(active), "2024-07-01", "2024-07-31")).status == "applied"


def test_the_new_partner_writes_from_its_own_start_only(handed_over):
    q, shared = handed_over["q"], school(handed_over["new"])
    record = run(q, row(shared, "2026-05-01", "2026-05-31"))  # the previous partner's year
    assert (
        record.status == "rejected" and "outside your organization's contract" in record.errors[0]["message"]
    )
    assert run(q, row(shared, "2026-09-01", "2026-09-30")).status == "applied"


def test_district_staff_keep_their_district_wide_rights(handed_over):
    district = handed_over["district"]
    record = run(
        district,
        row(school(handed_over["old"]), "2020-09-01", "2020-09-30"),
        row(school(handed_over["new"]), "2026-05-01", "2026-05-31"),
    )
    assert (record.status, record.rows_created) == ("applied", 2), record.errors


def test_an_out_of_scope_school_reads_as_an_unknown_one(handed_over):
    stranger = SchoolFactory()
    record = run(
        handed_over["p"],
        row(stranger, "2025-09-01", "2025-09-30"),
        "NOPE-1,attendance_rate,2025-09-01,2025-09-30,90",
    )
    assert messages(record) == {
        2: f"No school has the id {stranger.state_id}.",
        3: "No school has the id NOPE-1.",
    }


def test_the_api_applies_the_same_rule(handed_over):
    p, old, active = handed_over["p"], handed_over["old"], handed_over["active"]

    def body(school, start, end):
        return {
            "school_id": school.state_id,
            "indicator": "attendance_rate",
            "period_start": start,
            "period_end": end,
            "value": 90,
        }

    response = client_for(p).post(
        "/api/v1/measurements/",
        [body(school(old), "2025-09-01", "2025-09-30"), body(school(active), "2024-06-01", "2024-06-30")],
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert "not under a contract of your organization" in errors[0]["school_id"][0]
    assert "outside your organization's contract" in errors[1]["school_id"][0]
    assert not Measurement.objects.exists()
    response = client_for(p).post(
        "/api/v1/measurements/", body(school(active), "2024-09-01", "2024-09-30"), format="json"
    )
    assert response.status_code == 201, response.content


def test_the_answer_on_the_value_page_applies_the_same_rule(client, handed_over):
    p, old = handed_over["p"], handed_over["old"]
    disputed = MeasurementFactory(
        school=school(old),
        indicator=indicator("attendance_rate"),
        value=80,
        verification="disputed",
        dispute_reason="Too low.",
    )
    client.force_login(p)
    page = client.get(reverse("indicators:measurement_detail", args=[disputed.pk]))
    assert page.status_code == 200 and 'name="value"' not in page.content.decode()
    response = client.post(reverse("indicators:answer", args=[disputed.pk]), {"value": "85"})
    assert response.status_code == 403  # a value the partner sees but may not write
    disputed.refresh_from_db()
    assert (disputed.value, disputed.verification) == (80, "disputed")
    assert not MeasurementEvent.objects.exists()
