"""The school page (indicators over time, its contracts) and the partner page (contracts across
districts, track record, self-audit, designations): scope, content and constant query counts."""

import json
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators.models import IndicatorStatus
from partners.models import SelfAudit, SelfAuditAnswer, SelfAuditItem
from tests.factories import (
    ContractFactory,
    DistrictFactory,
    MeasurementFactory,
    OrganizationFactory,
    StateFactory,
    TargetFactory,
    indicator,
    user_with_role,
)
from turnaround.dashboard import queries
from turnaround.models import Role
from turnaround.roles import viewer_for

from .conftest import indicator_status, performance


def get_as(client, user, url):
    client.force_login(user)
    return client.get(url)


def chart_data(response, code):
    match = re.search(
        rf'<script id="chart-{code}" type="application/json">(.*?)</script>', response.text, re.S
    )
    return json.loads(match.group(1)) if match else None


def test_school_page_draws_a_chart_per_indicator_with_values_and_targets(client, world):
    school, contract = world.school_a, world.contract_a
    MeasurementFactory(
        school=school, period_start=date(2024, 10, 1), period_end=date(2024, 10, 31), value=92.0
    )
    MeasurementFactory(
        school=school, indicator=indicator("discipline_incidents"), period_end=date(2024, 9, 30), value=7
    )
    TargetFactory(contract=contract, contract_year=1, target=90.0)  # cluster-wide rate: comparable
    TargetFactory(contract=contract, contract_year=2, school=school, target=93.0)
    TargetFactory(contract=contract, indicator=indicator("discipline_incidents"), contract_year=1, target=40)
    performance(contract, "at_risk", year=1)
    indicator_status(contract, "attendance_rate", "at_risk", school=school, year=1)

    response = get_as(client, world.users["district_a"], reverse("schools:detail", args=[school.pk]))
    assert "vendor/chart.js/chart.umd.min.js" in response.text
    attendance = chart_data(response, "attendance_rate")
    assert attendance["values"] == [["2024-09-30", 91.25], ["2024-10-31", 92.0]]
    labels = sorted(t["label"] for t in attendance["targets"])
    assert labels == [f"{contract.reference}: cluster target", f"{contract.reference}: school target"]
    cluster = next(t for t in attendance["targets"] if "cluster" in t["label"])
    assert cluster["steps"] == [["2024-07-01", "2025-06-30", 90.0]]
    # A yearly total is no target for monthly values: the incidents chart has its values alone.
    discipline = chart_data(response, "discipline_incidents")
    assert discipline["values"] == [["2024-09-30", 7.0]] and discipline["targets"] == []
    card = re.search(r'data-indicator="attendance_rate">(.*?)</canvas>', response.text, re.S).group(1)
    assert "status-at_risk" in card
    # the contract is listed with its performance
    assert f'data-contract-id="{contract.pk}"' in response.text


def test_school_page_shows_only_what_the_user_may_see(client, world):
    # Quest's staff cannot open a school of Pioneer's contract at all.
    response = get_as(client, world.users["program_q"], reverse("schools:detail", args=[world.school_a.pk]))
    assert response.status_code == 404


def test_school_page_queries_do_not_grow_with_measurements_or_targets(client, world):
    school, contract = world.school_a, world.contract_a
    url = reverse("schools:detail", args=[school.pk])
    client.force_login(world.users["district_a"])

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = count()
    for month in range(1, 13):
        for code in ("attendance_rate", "discipline_incidents", "formative_assessment_proficiency"):
            MeasurementFactory(
                school=school,
                indicator=indicator(code),
                period_start=date(2025, month, 1),
                period_end=date(2025, month, 28),
                value=month,
            )
    for year in (1, 2, 3):
        TargetFactory(contract=contract, contract_year=year)
        indicator_status(contract, "attendance_rate", "met", school=school, year=year)
    assert count() == few


@pytest.fixture
def track(world):
    contract = world.contract_a
    performance(contract, "off_track", year=2)
    indicator_status(contract, "attendance_rate", "met", year=1)
    indicator_status(contract, "discipline_incidents", "off_track", year=1)
    indicator_status(contract, "attendance_rate", "on_track", year=2)
    indicator_status(contract, "enrolment", "no_data", year=2)
    indicator_status(contract, "ela_proficiency", "off_track", year=2, accountable=False)  # monitored
    indicator_status(contract, "attendance_rate", "off_track", year=2, school=world.school_a)  # a school
    return world


def test_partner_page_shows_the_track_record(client, track):
    response = get_as(client, track.users["state_1"], reverse("partners:detail", args=[track.partner_p.pk]))
    section = re.search(r'data-testid="track-record">(.*?)</section>', response.text, re.S).group(1)
    assert (
        "1 met" in section and "1 off track" in section and "1 on track" in section and "1 no data" in section
    )
    # 3 accountable indicator-years with data, 2 of them met or on track
    assert "2 of 3 accountable indicator-years with data met or on track (67%)" in section
    assert "Year 1" in section and "Year 2" in section


def test_partner_page_track_record_is_scoped(client, track):
    # Quest's staff cannot open Pioneer's page; Gamma City's district staff see Pioneer but none of
    # its results (all in Alpha Unified).
    url = reverse("partners:detail", args=[track.partner_p.pk])
    assert get_as(client, track.users["program_q"], url).status_code == 404
    response = get_as(client, track.users["district_c"], url)
    assert "No computed results yet" in response.text


def test_partner_page_lists_contracts_across_districts(client, world):
    other_district = DistrictFactory(state=world.state_2, name="Delta Heights")
    elsewhere = ContractFactory(
        name="Delta cluster",
        district=other_district,
        lead_partner=world.partner_p,
        lifecycle_status="renewed",
    )
    response = get_as(client, world.users["admin"], reverse("partners:detail", args=[world.partner_p.pk]))
    ids = {int(pk) for pk in re.findall(r'data-contract-id="(\d+)"', response.text)}
    assert ids == {world.contract_a.pk, world.draft_a.pk, elsewhere.pk}
    assert "3 contracts in 2 districts" in response.text
    assert "Renewed · 1" in response.text and "Active · 1" in response.text


def test_partner_page_shows_the_latest_self_audit(client, world):
    items = list(SelfAuditItem.objects.order_by("order")[:3])
    SelfAudit.objects.create(organization=world.partner_p, completed_on=date(2023, 1, 10))
    audit = SelfAudit.objects.create(
        organization=world.partner_p, completed_on=date(2024, 3, 1), summary="Ready for a second cluster."
    )
    for item, answer in zip(items, ["yes", "partly", "no"], strict=True):
        SelfAuditAnswer.objects.create(audit=audit, item=item, answer=answer, evidence=f"Evidence {answer}")
    url = reverse("partners:detail", args=[world.partner_p.pk])
    response = get_as(client, world.users["district_c"], url)
    section = re.search(r'data-testid="self-audit">(.*?)</section>', response.text, re.S).group(1)
    assert "Mar 1, 2024" in section and "Ready for a second cluster." in section
    assert "1 of 3 answered yes" in section and "1 earlier" in section
    for item in items:
        assert item.text in section
    assert "Evidence partly" in section
    # Field staff do not see self-audits.
    response = get_as(client, world.users["field_p"], url)
    assert "No self-audit in your scope." in response.text


def test_partner_page_queries_do_not_grow_with_contracts_or_results(client, db):
    state = StateFactory()
    partner = OrganizationFactory()
    user = user_with_role(Role.STATE_STAFF, state)
    client.force_login(user)
    viewer_for(user)
    url = reverse("partners:detail", args=[partner.pk])

    def grow(count):
        for _ in range(count):
            contract = ContractFactory(
                district=DistrictFactory(state=state), lead_partner=partner, lifecycle_status="active"
            )
            performance(contract, "at_risk", year=2)
            for year in (1, 2):
                indicator_status(contract, "attendance_rate", "met", year=year)
                indicator_status(contract, "discipline_incidents", "at_risk", year=year)

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured), len(re.findall(r'data-contract-id="(\d+)"', response.text))

    grow(2)
    few, shown = count()
    assert shown == 2
    grow(4)
    many, shown = count()
    assert shown == 6
    assert many == few


def test_the_track_record_counts_incomplete_apart_from_results(client, evidence_world):
    """Year 2: attendance at risk (accountable, made so) and ELA on track (monitored: a lagging
    indicator before year 3); year 3: attendance incomplete, ELA no data, math met, all accountable.
    The incomplete row is counted on its own and is neither a result nor a row without data."""
    record = queries.track_record(evidence_world.users["state_1"], evidence_world.partner_p)
    [entry] = record
    assert entry["contract_id"] == evidence_world.contract_a.pk
    counts = {y["year"]: {c.value: c.count for c in y["counts"] if c.count} for y in entry["years"]}
    assert counts == {2: {"at_risk": 1}, 3: {"met": 1, "incomplete": 1, "no_data": 1}}
    year_3 = entry["years"][1]
    assert [c.value for c in year_3["counts"]] == [
        "met",
        "on_track",
        "at_risk",
        "off_track",
        "incomplete",
        "no_data",
    ]
    summary = queries.track_record_summary(record)
    # With data: year 2's attendance and year 3's math; the incomplete row is not among them.
    assert summary == {"with_data": 2, "good": 1, "share": 50, "incomplete": 1}

    response = get_as(
        client,
        evidence_world.users["state_1"],
        reverse("partners:detail", args=[evidence_world.partner_p.pk]),
    )
    section = re.search(r'data-testid="track-record">(.*?)</section>', response.text, re.S).group(1)
    assert "1 of 2 accountable indicator-years with data met or on track (50%)" in section
    assert "1 incomplete indicator-year not counted: some school had not reported" in section
    assert 'status-badge status-incomplete me-1">1 incomplete<' in section
    assert "status-bar-incomplete" in section
    assert "1 met, 0 on track, 0 at risk, 0 off track, 1 incomplete, 1 no data" in section  # the bar's label


def test_a_track_record_of_incomplete_rows_alone_has_no_share(evidence_world):
    IndicatorStatus.objects.filter(contract=evidence_world.contract_a).exclude(status="incomplete").delete()
    record = queries.track_record(evidence_world.users["admin"], evidence_world.partner_p)
    assert queries.track_record_summary(record) == {"with_data": 0, "good": 0, "share": None, "incomplete": 1}
