"""The whole path through the API: a Lead Partner's system pushes a month of measurements, the real
Celery worker recomputes on the Redis broker, and the status endpoint shows the new statuses."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from contracts.models import add_years
from tests.factories import ContractFactory, OrganizationFactory, TargetFactory, indicator, user_with_role
from turnaround.models import Role

from .conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for_status(client, contract, indicator_code, wanted, performance, seconds=40):
    """Poll the status endpoint until the cluster-wide row of an indicator has the wanted status
    and the contract the wanted performance status. Both: the endpoint reads the contract's status
    and its rows in two statements, and a recompute committing between them gives one response
    with the new rows and the old performance status."""
    deadline = time.monotonic() + seconds
    while True:
        body = client.get(f"/api/v1/contracts/{contract.pk}/status/").json()
        rows = [r for r in body["indicators"] if r["indicator"] == indicator_code and r["school"] is None]
        if rows and rows[0]["status"] == wanted and body["performance_status"] == performance:
            return body, rows[0]
        assert time.monotonic() < deadline, (
            f"still {rows and rows[0]['status']}, wanted {wanted}, {performance}: {body}"
        )
        time.sleep(0.5)


def test_pushed_measurements_reach_the_status_endpoint_through_the_worker(celery_worker):
    today = timezone.localdate()
    start = today - timedelta(days=120)  # in contract year 1: attendance (leading) is accountable
    partner = OrganizationFactory(name="Round Trip Partners")
    contract = ContractFactory(
        lead_partner=partner,
        start_date=start,
        end_date=add_years(start, 3) - timedelta(days=1),
        lifecycle_status="active",
    )
    TargetFactory(
        contract=contract, indicator=indicator("attendance_rate"), contract_year=1, baseline=80, target=90
    )
    client = client_for(user_with_role(Role.PARTNER_PROGRAM, partner, username="partner_system"))

    # A month of measurements, as a partner's tool would send it: one list, one request.
    month_start, month_end = today - timedelta(days=30), today - timedelta(days=1)
    schools = list(contract.schools.order_by("state_id"))

    def month(value):
        return [
            {
                "school_id": school.state_id,
                "indicator": "attendance_rate",
                "period_start": month_start.isoformat(),
                "period_end": month_end.isoformat(),
                "value": value,
            }
            for school in schools
        ]

    pushed = client.post("/api/v1/measurements/", month(95), format="json")
    assert pushed.status_code == 201, pushed.content
    assert pushed.json()["created"] == len(schools)
    body, row = wait_for_status(client, contract, "attendance_rate", "met", "on_track")
    assert body["phase"] == "year_1" and body["contract_year"] == 1 and body["lifecycle_status"] == "active"
    assert body["performance_status"] == "on_track"  # met counts as on track
    assert body["as_of"] == today.isoformat() and body["computed_at"]
    assert row["accountable"] and row["kind"] == "leading" and row["year"] == 1
    assert row["baseline"] == 80 and row["target"] == 90 and row["value"] == pytest.approx(95)

    # The same month again with a far lower value replaces it, and the contract falls off track.
    again = client.post("/api/v1/measurements/", month(60), format="json")
    assert again.status_code == 200 and again.json()["updated"] == len(schools)
    body, row = wait_for_status(client, contract, "attendance_rate", "off_track", "off_track")
    assert body["performance_status"] == "off_track" and row["value"] == pytest.approx(60)
    listed = client.get("/api/v1/contracts/", {"performance_status": "off_track"}).json()["results"]
    assert [c["id"] for c in listed] == [contract.pk]
