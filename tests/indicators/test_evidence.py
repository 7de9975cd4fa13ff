"""Completeness and the latest-evidence headline (DESIGN.md, rules second edition), on worked
examples through the engine and the status API, and as invariants of the rules."""

from datetime import date

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators import engine, rules
from indicators.models import ContractPerformance, IndicatorStatus
from tests.api.conftest import client_for
from tests.factories import ContractFactory, cluster_target, report, user_with_role
from turnaround.models import Role


def row(contract, code, year):
    return IndicatorStatus.objects.get(
        contract=contract, indicator__code=code, contract_year=year, school=None
    )


@pytest.mark.django_db
def test_in_august_of_year_4_the_headline_rests_on_year_3s_final_results(client):
    """Year 3 ran from 1 July 2025 to 30 June 2026. Its state test results, for the spring, arrive
    in August 2026: they count for year 3 (their period ends in it), when year 4 is already under
    way and has no results yet. The first edition read `no_data` until the next spring."""
    contract = ContractFactory(
        start_date=date(2023, 7, 1), end_date=date(2028, 6, 30), lifecycle_status="active"
    )
    schools = list(contract.schools.all())
    cluster_target(contract, "ela_proficiency", 3, 20, 30)
    cluster_target(contract, "ela_proficiency", 4, 20, 35)
    report(schools, "ela_proficiency", date(2026, 3, 1), date(2026, 5, 31), 27.5)  # 75% of the way
    engine.recompute_contracts([contract.pk], as_of=date(2026, 8, 20))

    year_4, year_3 = row(contract, "ela_proficiency", 4), row(contract, "ela_proficiency", 3)
    assert (year_4.status, year_4.evidence_year, year_4.evidence_status) == ("no_data", 3, "on_track")
    assert (year_3.status, year_3.evidence_year) == ("on_track", 3)
    performance = ContractPerformance.objects.get(contract=contract)
    assert (performance.contract_year, performance.performance_status, performance.basis_years) == (
        4,
        "on_track",
        [3],
    )

    district_user = user_with_role(Role.DISTRICT_STAFF, contract.district)
    client.force_login(district_user)
    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "on the evidence of contract year 3" in page
    assert "evidence: year 3, final (on track)" in page
    with time_machine.travel(date(2026, 8, 20), tick=False):
        home = client.get("/", {"q": contract.reference}).content.decode()
    assert "on year 3, final" in home
    body = client_for(district_user).get(f"/api/v1/contracts/{contract.pk}/status/").json()
    assert (body["performance_status"], body["basis"]) == ("on_track", [3])
    [ela] = [r for r in body["indicators"] if r["indicator"] == "ela_proficiency"]
    assert (ela["year"], ela["status"], ela["evidence_year"], ela["evidence_status"]) == (
        4,
        "no_data",
        3,
        "on_track",
    )


@pytest.mark.django_db
def test_a_cluster_with_a_school_missing_is_incomplete_and_falls_back_to_last_years_evidence(client):
    """Year 2 (2025-26), November: two of the cluster's three schools have reported attendance
    (a rate, so the missing school would only move a weighted mean). The row says `incomplete`,
    2 of 3 schools reporting, with the value over those two; the headline rests on year 1, whose
    data were complete. Once the third school reports, year 2 is the evidence."""
    contract = ContractFactory(
        start_date=date(2024, 7, 1), end_date=date(2029, 6, 30), lifecycle_status="active"
    )
    schools = list(contract.schools.order_by("pk"))
    cluster_target(contract, "attendance_rate", 1, 80, 90)
    cluster_target(contract, "attendance_rate", 2, 80, 92)
    report(schools, "attendance_rate", date(2024, 9, 1), date(2025, 5, 31), 84)  # year 1: 40%, at risk
    report(schools[:2], "attendance_rate", date(2025, 9, 1), date(2025, 10, 31), 95)  # year 2, two schools
    engine.recompute_contracts([contract.pk], as_of=date(2025, 11, 15))

    year_2 = row(contract, "attendance_rate", 2)
    assert (year_2.status, year_2.schools_reporting, year_2.schools_expected) == ("incomplete", 2, 3)
    assert year_2.value == pytest.approx(95)
    assert (year_2.evidence_year, year_2.evidence_status) == (1, "at_risk")
    client.force_login(user_with_role(Role.DISTRICT_STAFF, contract.district))
    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "2 of 3 schools reporting" in page and "evidence: year 1, final (at risk)" in page
    performance = ContractPerformance.objects.get(contract=contract)
    assert (performance.performance_status, performance.basis_years) == ("at_risk", [1])

    report(schools[2:], "attendance_rate", date(2025, 9, 1), date(2025, 10, 31), 95)
    engine.recompute_contracts([contract.pk], as_of=date(2025, 11, 15))
    year_2 = row(contract, "attendance_rate", 2)
    assert (year_2.status, year_2.schools_reporting, year_2.evidence_year) == ("met", 3, 2)
    performance = ContractPerformance.objects.get(contract=contract)
    assert (performance.performance_status, performance.basis_years) == ("on_track", [2])


@pytest.mark.django_db
def test_without_any_evidence_the_contract_reads_no_data_with_no_basis():
    contract = ContractFactory(
        start_date=date(2024, 7, 1), end_date=date(2029, 6, 30), lifecycle_status="active"
    )
    cluster_target(contract, "attendance_rate", 1, 80, 90)
    report(contract.schools.all()[:1], "attendance_rate", date(2024, 9, 1), date(2024, 9, 30), 70)
    engine.recompute_contracts([contract.pk], as_of=date(2024, 10, 15))
    assert (
        row(contract, "attendance_rate", 1).status,
        row(contract, "attendance_rate", 1).evidence_year,
    ) == (
        "incomplete",
        None,
    )
    performance = ContractPerformance.objects.get(contract=contract)
    assert (performance.performance_status, performance.basis) == ("no_data", "")


# Invariants of the rules -------------------------------------------------------------------------

STATUSES = st.sampled_from(
    [rules.MET, rules.ON_TRACK, rules.AT_RISK, rules.OFF_TRACK, rules.NO_DATA, "incomplete"]
)


@given(st.dictionaries(st.integers(1, 5), STATUSES, max_size=5), st.integers(1, 5))
def test_evidence_never_comes_from_a_year_after_the_current_one(statuses_by_year, year):
    evidence = rules.latest_evidence(statuses_by_year, year)
    if evidence is not None:
        evidence_year, status = evidence
        assert evidence_year <= year and rules.has_evidence(status)
        assert not any(
            rules.has_evidence(statuses_by_year[y]) for y in statuses_by_year if evidence_year < y <= year
        )


@given(
    st.floats(0, 100),
    st.integers(1, 6),
    st.sampled_from([rules.MET, rules.ON_TRACK, rules.AT_RISK, rules.OFF_TRACK]),
)
def test_with_every_school_reporting_a_row_is_never_incomplete(value, schools, status):
    assert rules.completeness(value, schools, schools, status) == status
    assert rules.completeness(value, schools - 1, schools, status) == "incomplete"


@given(
    st.floats(0, 100),
    st.floats(0, 100),
    st.floats(0, 100),
    st.floats(0, 100),
    st.sampled_from(["higher", "lower"]),
)
def test_a_better_value_never_gives_a_worse_status(value, better_by, baseline, target, direction):
    better = value + better_by if direction == "higher" else value - better_by

    def status(v):
        return rules.status(v, rules.progress(v, baseline, target, direction), target, direction)

    order = [rules.OFF_TRACK, rules.AT_RISK, rules.ON_TRACK, rules.MET]
    assert order.index(status(better)) >= order.index(status(value))


@pytest.mark.django_db
def test_a_miss_that_closed_the_improvement_margin_of_last_years_gap_is_on_track_by_improvement(client):
    """Year 2, attendance target 95 (baseline 80). Last year the cluster averaged 85: a gap of 10
    to this year's target. This year it stands at 87: progress 7/15 = 0.47, at risk; but it
    closed 2 of those 10 points, 20%. With an improvement margin of 10% that reads on track, by
    improvement; at 25% it does not."""
    contract = ContractFactory(
        start_date=date(2024, 7, 1), end_date=date(2029, 6, 30), lifecycle_status="active"
    )
    schools = list(contract.schools.all())
    cluster_target(contract, "attendance_rate", 1, 80, 90)
    cluster_target(contract, "attendance_rate", 2, 80, 95)
    report(schools, "attendance_rate", date(2024, 9, 1), date(2025, 5, 31), 85)
    report(schools, "attendance_rate", date(2025, 9, 1), date(2025, 10, 31), 87)

    def year_2_with_margin(margin):
        contract.improvement_margin = margin
        contract.save()
        engine.recompute_contracts([contract.pk], as_of=date(2025, 11, 15))
        year_2 = row(contract, "attendance_rate", 2)
        return year_2.status, year_2.by_improvement, year_2.progress

    status, by_improvement, progress = year_2_with_margin(0.0)  # off by default
    assert (status, by_improvement, progress) == ("at_risk", False, pytest.approx(7 / 15))
    assert year_2_with_margin(0.1)[:2] == ("on_track", True)
    assert rules.with_improvement("at_risk", 87, 85, 95, "higher", 0.1) == ("on_track", True)
    client.force_login(user_with_role(Role.DISTRICT_STAFF, contract.district))
    assert "by improvement on year 1" in client.get(f"/contracts/{contract.pk}/").content.decode()
    assert year_2_with_margin(0.25)[:2] == ("at_risk", False)
    assert rules.with_improvement("at_risk", 87, 85, 95, "higher", 0.25) == ("at_risk", False)
    # A value already past last year's gap (met) or a fall never reads "by improvement".
    assert rules.improved_enough(83, 85, 95, "higher", 0.1) is False
    assert rules.improved_enough(12, 15, 10, "lower", 0.5) is True  # lower is better: 3 of 5 closed


@pytest.mark.django_db
def test_an_incomplete_last_year_is_no_value_to_improve_on():
    """As above with a margin of 10%, but last year only two of the three schools reported: that
    year's value is no result, so this year's 87 stays at risk."""
    contract = ContractFactory(
        start_date=date(2024, 7, 1),
        end_date=date(2029, 6, 30),
        lifecycle_status="active",
        improvement_margin=0.1,
    )
    schools = list(contract.schools.order_by("pk"))
    cluster_target(contract, "attendance_rate", 1, 80, 90)
    cluster_target(contract, "attendance_rate", 2, 80, 95)
    report(schools[:2], "attendance_rate", date(2024, 9, 1), date(2025, 5, 31), 85)
    report(schools, "attendance_rate", date(2025, 9, 1), date(2025, 10, 31), 87)
    engine.recompute_contracts([contract.pk], as_of=date(2025, 11, 15))
    assert row(contract, "attendance_rate", 1).status == "incomplete"
    year_2 = row(contract, "attendance_rate", 2)
    assert (year_2.status, year_2.by_improvement) == ("at_risk", False)

    report(schools[2:], "attendance_rate", date(2024, 9, 1), date(2025, 5, 31), 85)
    engine.recompute_contracts([contract.pk], as_of=date(2025, 11, 15))
    year_2 = row(contract, "attendance_rate", 2)
    assert (year_2.status, year_2.by_improvement) == ("on_track", True)


@pytest.mark.django_db
def test_a_schools_weight_is_its_enrolment_of_that_year_so_editing_it_leaves_last_year_alone():
    """Year 1's attendance of three schools, 80, 90 and 90, weighed by their October enrolment
    counts of year 1 (100, 300, 100): 88. Editing the first school's recorded enrolment to 5,000
    changes nothing in year 1; year 2, without enrolment counts yet, weighs by the records."""
    contract = ContractFactory(
        start_date=date(2024, 7, 1), end_date=date(2029, 6, 30), lifecycle_status="active"
    )
    a, b, c = contract.schools.order_by("pk")
    cluster_target(contract, "attendance_rate", 1, 80, 90)
    cluster_target(contract, "attendance_rate", 2, 80, 90)
    for school, rate, enrolled in ((a, 80, 100), (b, 90, 300), (c, 90, 100)):
        report([school], "attendance_rate", date(2024, 9, 1), date(2025, 5, 31), rate)
        report([school], "enrolment", date(2024, 10, 1), date(2024, 10, 1), enrolled)
        report([school], "attendance_rate", date(2025, 9, 1), date(2025, 10, 31), rate)
    for school in (a, b, c):
        school.enrolment = 100
        school.save()
    engine.recompute_contracts([contract.pk], as_of=date(2025, 11, 15))
    assert row(contract, "attendance_rate", 1).value == pytest.approx(88)
    assert row(contract, "attendance_rate", 2).value == pytest.approx((80 + 90 + 90) / 3)

    a.enrolment = 5000
    a.save()
    engine.recompute_contracts([contract.pk], as_of=date(2025, 11, 15))
    assert row(contract, "attendance_rate", 1).value == pytest.approx(88)  # unchanged
    assert row(contract, "attendance_rate", 2).value == pytest.approx(
        (80 * 5000 + 90 * 100 + 90 * 100) / 5200
    )


@pytest.mark.django_db
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.floats(40, 100), min_size=3, max_size=3),
    st.integers(0, 2),
    st.sampled_from(["attendance_rate", "discipline_incidents", "chronic_absence_rate"]),
)
def test_the_engine_never_reads_incomplete_once_the_missing_school_reports(values, missing, code):
    """Through the engine, on random values: with a school missing the cluster-wide row is
    `incomplete`; once that school reports it never is, and no row's evidence comes from a year
    after its own."""
    with transaction.atomic():
        contract = ContractFactory(
            start_date=date(2024, 7, 1), end_date=date(2029, 6, 30), lifecycle_status="active"
        )
        schools = list(contract.schools.order_by("pk"))
        cluster_target(contract, code, 1, 60, 70)
        cluster_target(contract, code, 2, 60, 75)
        for school, value in zip(schools, values, strict=True):
            report([school], code, date(2024, 9, 1), date(2025, 5, 31), value)
            if school != schools[missing]:
                report([school], code, date(2025, 9, 1), date(2025, 10, 31), value)
        engine.recompute_contracts([contract.pk], as_of=date(2025, 11, 15))
        assert row(contract, code, 2).status == "incomplete"
        assert row(contract, code, 2).evidence_year == 1
        report([schools[missing]], code, date(2025, 9, 1), date(2025, 10, 31), values[missing])
        engine.recompute_contracts([contract.pk], as_of=date(2025, 11, 15))
        year_2 = row(contract, code, 2)
        assert year_2.status != "incomplete" and year_2.schools_reporting == 3
        assert year_2.evidence_year == 2
        for status in IndicatorStatus.objects.filter(contract=contract):
            assert status.evidence_year is None or status.evidence_year <= status.contract_year
        transaction.set_rollback(True)
