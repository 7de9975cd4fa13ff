"""The portal's "today" is the date in its own time zone (America/Chicago), whatever the machine's
clock says: these tests run with the process clock in UTC at instants where the two disagree on
the date (every evening after 18:00, 19:00 in summer), on each day of a week and at the turns of a
school year, a contract year and a calendar year.

Each instant is written in portal time; the expectations are plain dates worked out by hand, not
by the code under test."""

import time
from datetime import date, timedelta

import pytest
from django.utils import timezone

from contracts.forms import next_school_year_start
from indicators import engine
from indicators.models import ContractPerformance, Measurement
from partners.models import FieldVisit, PriorityPartnerDesignation
from partners.presence import week_start
from partners.tasks import refresh_recent_presence
from tests.api.conftest import client_for
from tests.clock import at
from tests.factories import (
    ContractFactory,
    DistrictFactory,
    FieldVisitFactory,
    OrganizationFactory,
    StateFactory,
    user_with_role,
)
from turnaround.models import Role

# Monday 23 to Sunday 29 November 2026, each at 20:30 in Chicago: 02:30 UTC on the next day.
WEEK = [f"2026-11-{day} 20:30" for day in range(23, 30)]
# 23:30 on the eve of a turn is 04:30 or 05:30 UTC on the day of the turn; 00:30 is after it.
TURNS = [
    "2026-06-30 23:30",  # the last evening of a school year, and of contract A's year 2
    "2026-07-01 00:30",  # school year 2026-27; contract A's year 3
    "2026-08-16 23:30",  # the last evening of contract B's year 1
    "2026-08-17 00:30",  # contract B's year 2
    "2026-08-29 23:30",  # contract A's year-2 review due (60 days after its year ended)
    "2026-08-30 00:30",  # ... and overdue
    "2026-12-31 23:30",  # the last evening of a calendar year
    "2027-01-01 00:30",
]


def portal_date(instant):
    return date.fromisoformat(instant[:10])


@pytest.fixture
def world(db):
    """Two active contracts of one Lead Partner in one district: A from 1 July 2024 (the school
    year), B from 17 August 2025; a field staff member, district and state staff."""
    state = StateFactory(code="IL")
    district = DistrictFactory(state=state, name="Alpha Unified")
    partner = OrganizationFactory(name="Pioneer Schools Network")
    contract_a = ContractFactory(
        name="A",
        district=district,
        lead_partner=partner,
        start_date=date(2024, 7, 1),
        end_date=date(2029, 6, 30),
        lifecycle_status="active",
    )
    contract_b = ContractFactory(
        name="B",
        district=district,
        lead_partner=partner,
        start_date=date(2025, 8, 17),
        end_date=date(2028, 8, 16),
        lifecycle_status="active",
    )
    return {
        "state": state,
        "partner": partner,
        "a": contract_a,
        "b": contract_b,
        "school": contract_a.schools.order_by("pk").first(),
        "field": user_with_role(Role.PARTNER_FIELD, partner, username="field"),
        "district": user_with_role(Role.DISTRICT_STAFF, district, username="district"),
        "state_staff": user_with_role(Role.STATE_STAFF, state, username="state"),
    }


def each(instants):
    """Parametrize a test over instants (portal time), each pinning the clock there."""
    params = [pytest.param(i, marks=pytest.mark.portal_now(i), id=i) for i in instants]
    return pytest.mark.parametrize("instant", params)


@each(WEEK + TURNS)
def test_today_is_the_portals_date_while_the_machine_is_on_utc(instant):
    today = portal_date(instant)
    assert timezone.localdate() == today
    # The process clock is on UTC: a day ahead in the evening, the same date just after midnight.
    evening = int(instant[11:13]) >= 18
    machine_date = date(*time.localtime()[:3])  # the date the machine's clock gives
    assert machine_date == at(instant).date() == today + timedelta(days=1 if evening else 0)


@each(WEEK + TURNS)
def test_a_visit_can_be_logged_today_not_tomorrow(world, instant):
    today = portal_date(instant)
    api = client_for(world["field"])
    body = {"school": world["school"].pk, "duration_minutes": 240, "focus": ["principal_check_in"]}
    logged = api.post("/api/v1/field-visits/", {**body, "visit_date": today.isoformat()})
    assert logged.status_code == 201, logged.content
    ahead = api.post("/api/v1/field-visits/", {**body, "visit_date": (today + timedelta(days=1)).isoformat()})
    assert ahead.status_code == 400 and "ahead of its date" in ahead.json()["visit_date"][0]


@each(WEEK + TURNS)
def test_a_designation_counts_through_its_last_day(world, instant):
    today = portal_date(instant)
    ending_today = OrganizationFactory(name="Ends today")
    ended_yesterday = OrganizationFactory(name="Ended yesterday")
    for organization, expires_on in [(ending_today, today), (ended_yesterday, today - timedelta(days=1))]:
        PriorityPartnerDesignation.objects.create(
            state=world["state"],
            organization=organization,
            designated_on=date(2020, 1, 1),
            expires_on=expires_on,
            evidence="Track record.",
        )
    api = client_for(world["state_staff"])
    listed = {row["name"]: row["priority_states"] for row in api.get("/api/v1/partners/").json()["results"]}
    assert listed["Ends today"] == ["IL"]
    assert listed["Ended yesterday"] == []


@each(WEEK)
def test_the_week_under_way_gets_its_presence_once_its_friday_is_past(world, instant):
    """Visits on every school day so far this week and all of last week; the nightly refresh then
    writes last week, and this week only on Saturday and Sunday (its Friday past in Chicago, even
    when UTC is already on Saturday at 20:30 on a Friday)."""
    today = portal_date(instant)
    this_week, last_week = week_start(today), week_start(today) - timedelta(days=7)
    days = [last_week + timedelta(days=n) for n in range(5)]
    days += [this_week + timedelta(days=n) for n in range(min(today.weekday() + 1, 5))]
    FieldVisit.objects.bulk_create(
        FieldVisitFactory.build(
            school=world["school"], organization=world["partner"], staff=world["field"], visit_date=day
        )
        for day in days
    )
    refresh_recent_presence.apply().get()
    rows = dict(
        Measurement.objects.filter(indicator__code="field_presence_rate", school=world["school"]).values_list(
            "period_start", "value"
        )
    )
    weekend = today.weekday() >= 5
    assert rows == ({last_week: 100.0, this_week: 100.0} if weekend else {last_week: 100.0})


# At each turn: contract A's and B's phase and contract year, the school year that starts next, and
# how many annual reviews are overdue (A's year 1 since 2025; A's year 2 from 30 August 2026; B's
# year 1 from 16 October 2026).
Y2, Y3 = ("year_2", 2), ("year_3_plus", 3)
EXPECTED_AT_TURNS = {
    # instant: (A, B, next school year, reviews overdue)
    "2026-06-30 23:30": (Y2, ("year_1", 1), date(2026, 7, 1), 1),
    "2026-07-01 00:30": (Y3, ("year_1", 1), date(2027, 7, 1), 1),
    "2026-08-16 23:30": (Y3, ("year_1", 1), date(2027, 7, 1), 1),
    "2026-08-17 00:30": (Y3, Y2, date(2027, 7, 1), 1),
    "2026-08-29 23:30": (Y3, Y2, date(2027, 7, 1), 1),
    "2026-08-30 00:30": (Y3, Y2, date(2027, 7, 1), 2),
    "2026-12-31 23:30": (Y3, Y2, date(2027, 7, 1), 3),
    "2027-01-01 00:30": (Y3, Y2, date(2027, 7, 1), 3),
}


@each(TURNS)
def test_phases_years_and_deadlines_turn_at_midnight_in_the_portals_time_zone(world, client, instant):
    phase_a, phase_b, next_school_year, overdue = EXPECTED_AT_TURNS[instant]
    contracts = {"a": (world["a"], phase_a), "b": (world["b"], phase_b)}
    api = client_for(world["district"])
    for key, (contract, (phase, year)) in contracts.items():
        # in Python, in the database's phase filter and in the status the API serves,
        assert contract.phase_on(timezone.localdate()) == (phase, year), key
        filtered = api.get("/api/v1/contracts/", {"phase": phase}).json()["results"]
        assert contract.pk in {row["id"] for row in filtered}, key
        status = api.get(f"/api/v1/contracts/{contract.pk}/status/").json()
        assert (status["phase"], status["contract_year"]) == (phase, year), key
    # and the engine computes the current year's statuses as of the portal's date.
    engine.recompute_contracts([world["a"].pk, world["b"].pk])
    for key, (contract, (_, year)) in contracts.items():
        performance = ContractPerformance.objects.get(contract=contract)
        assert (performance.as_of, performance.contract_year) == (portal_date(instant), year), key

    assert next_school_year_start() == next_school_year
    client.force_login(world["district"])
    attention = client.get("/dashboard/attention/")
    assert attention.context["overdue"]["total"] == overdue
