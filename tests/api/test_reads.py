"""Filters, ordering and pagination as listed in the contract, and reads whose query count does not
grow with the data (no N+1)."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts.models import PerformanceContract, add_years
from contracts.phases import contract_phase
from indicators.models import ContractPerformance, Indicator, IndicatorStatus, Measurement, MeasurementImport
from tests.factories import (
    ClusterFactory,
    ContractFactory,
    FieldVisitFactory,
    MeasurementFactory,
    OrganizationFactory,
    TargetFactory,
    indicator,
)


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_contracts_filter_by_district_partner_school_status_and_phase(world, api):
    client = api("admin")
    now = timezone.now()
    ContractPerformance.objects.create(
        contract=world.contract_a,
        performance_status="off_track",
        contract_year=1,
        as_of=now.date(),
        computed_at=now,
    )

    def names(**params):
        return sorted(c["name"] for c in results(client.get("/api/v1/contracts/", params)))

    assert names(district=world.district_a.pk) == ["Alpha cluster", "Alpha draft"]
    assert names(partner=world.partner_q.pk) == ["Gamma cluster"]
    assert names(school=world.school_a.pk) == ["Alpha cluster"]
    assert names(lifecycle_status="draft") == ["Alpha draft"]
    assert names(performance_status="off_track") == ["Alpha cluster"]
    assert names(phase="year_3_plus") == names()  # the factory's contracts started 2024-07-01
    assert names(phase="year_1") == []
    bad = client.get("/api/v1/contracts/", {"phase": "year_9"})
    assert bad.status_code == 400 and "phase" in bad.json()


def test_the_phase_filter_follows_the_phase_rule_on_every_day(db):
    """The SQL filter against contracts.phases.contract_phase, around anniversaries and 29 February."""
    starts = [date(2023, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2022, 3, 1), date(2021, 7, 1)]
    for start in starts:
        ContractFactory(start_date=start, end_date=add_years(start, 3) - timedelta(days=1))
    contracts = list(PerformanceContract.objects.all())
    days = [date(2024, 2, 27) + timedelta(days=i) for i in range(5)]
    days += [date(2025, 2, 26) + timedelta(days=i) for i in range(5)]
    days += [date(2026, 2, 26) + timedelta(days=i) for i in range(5)]
    days += [date(2021, 6, 30), date(2024, 6, 30), date(2024, 7, 1), date(2027, 3, 1), date(2028, 2, 29)]
    for as_of in days:
        for phase in ("pre_launch", "year_1", "year_2", "year_3_plus", "ended"):
            expected = {
                c.pk for c in contracts if contract_phase(c.start_date, c.end_date, as_of)[0] == phase
            }
            got = set(PerformanceContract.objects.in_phase(phase, as_of).values_list("pk", flat=True))
            assert got == expected, (as_of, phase)


def test_schools_filter_by_district_level_and_cluster(world, api):
    client = api("state_1")
    cluster = world.contract_a.cluster
    assert {s["id"] for s in results(client.get("/api/v1/schools/", {"cluster": cluster.pk}))} == set(
        cluster.schools.values_list("pk", flat=True)
    )
    assert results(client.get("/api/v1/schools/", {"level": "high"})) == []
    assert len(results(client.get("/api/v1/schools/", {"district": world.district_a.pk}))) == 4
    assert results(client.get("/api/v1/schools/", {"district": world.district_c.pk})) == []  # other state


def test_partners_filter_by_kind_and_priority_state(world, api):
    from partners.models import PriorityPartnerDesignation

    PriorityPartnerDesignation.objects.create(
        state=world.state_1,
        organization=world.partner_q,
        designated_on=date(2024, 1, 1),
        evidence="Track record.",
    )
    rows = results(api("state_1").get("/api/v1/partners/", {"priority_state": "IL"}))
    assert [(r["name"], r["priority_states"]) for r in rows] == [("Quest Learning Partners", ["IL"])]
    assert results(api("state_1").get("/api/v1/partners/", {"priority_state": "OH"})) == []
    assert len(results(api("state_1").get("/api/v1/partners/", {"kind": "school_management"}))) == 2


def test_targets_measurements_and_visits_filter_as_listed(world, api):
    TargetFactory(contract=world.contract_a, contract_year=1)
    TargetFactory(contract=world.contract_a, contract_year=2, indicator=indicator("chronic_absence_rate"))
    client = api("district_a")
    assert len(results(client.get("/api/v1/targets/", {"contract": world.contract_a.pk}))) == 2
    assert [t["contract_year"] for t in results(client.get("/api/v1/targets/", {"year": 2}))] == [2]
    assert [
        t["indicator"] for t in results(client.get("/api/v1/targets/", {"indicator": "attendance_rate"}))
    ] == ["attendance_rate"]
    MeasurementFactory(school=world.school_a, period_start=date(2024, 10, 1), period_end=date(2024, 10, 31))
    in_october = results(
        client.get("/api/v1/measurements/", {"period_after": "2024-10-05", "period_before": "2024-10-06"})
    )
    assert [m["period_start"] for m in in_october] == ["2024-10-01"]
    # Two reported values, and the weekly presence value the world's field visit computed.
    at_school = results(client.get("/api/v1/measurements/", {"school": world.school_a.pk}))
    assert sorted(m["source"] for m in at_school) == ["computed", "form", "form"]
    assert results(client.get("/api/v1/measurements/", {"indicator": "graduation_rate"})) == []
    FieldVisitFactory(
        school=world.school_a,
        organization=world.partner_p,
        staff=world.users["program_p"],
        visit_date=date(2024, 11, 4),
    )
    visits = api("program_p")
    assert len(results(visits.get("/api/v1/field-visits/", {"date_after": "2024-11-01"}))) == 1
    assert len(results(visits.get("/api/v1/field-visits/", {"date_before": "2024-10-31"}))) == 1
    assert len(results(visits.get("/api/v1/field-visits/", {"staff": world.users["field_p"].pk}))) == 1
    assert len(results(visits.get("/api/v1/field-visits/", {"school": world.school_a.pk}))) == 2


def test_ordering_and_a_maximum_page_size(world, api):
    school = world.school_a
    Measurement.objects.bulk_create(
        [
            Measurement(
                school=school,
                indicator=indicator("attendance_rate"),
                period_start=day,
                period_end=day,
                value=90,
                source="form",
            )
            for day in (date(2020, 1, 1) + timedelta(days=i) for i in range(230))
        ]
    )
    client = api("district_a")
    page = client.get("/api/v1/measurements/", {"page_size": 1000, "ordering": "-period_start"}).json()
    computed = Measurement.objects.filter(source="computed").count()  # from the world's field visit
    assert page["count"] == 231 + computed and len(page["results"]) == 200 and page["next"]
    assert page["results"][0]["period_start"] >= "2024-09-01"
    assert client.get("/api/v1/measurements/", {"page": 99}).status_code == 404
    names = [c["name"] for c in results(client.get("/api/v1/contracts/", {"ordering": "-name"}))]
    assert names == ["Alpha draft", "Alpha cluster"]


def grow(world, contracts=3):
    """More of everything the lists show, in the scopes of district_a and admin, and more statuses
    of contract_a."""
    now = timezone.now()
    codes = list(
        Indicator.objects.exclude(statuses__contract=world.contract_a).values_list("code", flat=True)
    )
    for code in codes[:contracts]:
        for school in [None, *world.contract_a.schools.all()]:
            IndicatorStatus.objects.create(
                contract=world.contract_a,
                indicator=indicator(code),
                school=school,
                contract_year=3,
                accountable=True,
                as_of=now.date(),
                value=1,
                status="at_risk",
                computed_at=now,
            )
    for _ in range(contracts):
        OrganizationFactory()
        contract = ContractFactory(
            district=world.district_a,
            lead_partner=world.partner_p,
            cluster=ClusterFactory(district=world.district_a, schools=4),
            lifecycle_status="active",
        )
        ContractPerformance.objects.create(
            contract=contract,
            performance_status="on_track",
            contract_year=3,
            as_of=now.date(),
            computed_at=now,
        )
        for school in contract.schools.all():
            MeasurementFactory(school=school)
            FieldVisitFactory(school=school, organization=world.partner_p)
            for code in ("attendance_rate", "chronic_absence_rate"):
                TargetFactory(contract=contract, school=school, indicator=indicator(code))
                IndicatorStatus.objects.create(
                    contract=contract,
                    indicator=indicator(code),
                    school=school,
                    contract_year=3,
                    accountable=False,
                    as_of=now.date(),
                    value=1,
                    status="on_track",
                    computed_at=now,
                )
        MeasurementImport.objects.create(
            uploaded_by=world.users["district_a"], file_name="x.csv", channel="api", status="applied"
        )


@pytest.mark.parametrize("role", ["district_a", "admin"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/contracts/",
        "/api/v1/contracts/{contract}/status/",
        "/api/v1/contracts/{contract}/",
        "/api/v1/schools/",
        "/api/v1/clusters/",
        "/api/v1/districts/",
        "/api/v1/partners/",
        "/api/v1/targets/",
        "/api/v1/measurements/",
        "/api/v1/field-visits/",
        "/api/v1/imports/",
        "/api/v1/indicators/",
    ],
)
def test_queries_per_request_do_not_grow_with_the_data(world, api, path, role):
    client = api(role)
    url = path.format(contract=world.contract_a.pk)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"page_size": 200} if "{" not in path else {})
        assert response.status_code == 200, response.content
        return len(captured), len(str(response.content))

    grow(world, contracts=1)
    small, small_size = queries()
    grow(world, contracts=4)
    large, large_size = queries()
    assert large == small, f"{url}: {small} queries with less data, {large} with more"
    if not path.endswith("contracts/{contract}/") and "indicators" not in path and "districts" not in path:
        assert large_size > small_size  # the larger data set was really read
