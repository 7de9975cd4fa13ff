"""Per-target accountability: every target is accountable (counts towards the contract's
performance status) or monitored (computed and shown only). By default leading indicators count
before the contract's accountable-from year and lagging ones from it; the district overrides that
per target, in the target grid and the API, and the change is in the target's history."""

from datetime import date

import pytest

from contracts.models import Target
from indicators import engine, rules
from indicators.models import ContractPerformance, IndicatorStatus
from tests.api.conftest import client_for
from tests.factories import ContractFactory, cluster_target, indicator, report, user_with_role
from turnaround.models import Role

pytestmark = pytest.mark.django_db

START = date(2024, 7, 1)  # year 1: 2024-25, year 2: 2025-26, year 3: 2026-27
IN_YEAR_3 = date(2026, 11, 15)


@pytest.mark.parametrize(
    "kind, year, accountability, expected",
    [
        ("leading", 1, "default", True),  # the early signals of years 1-2
        ("leading", 3, "default", False),
        ("lagging", 2, "default", False),
        ("lagging", 3, "default", True),
        ("leading", 4, "accountable", True),  # field presence, a contract obligation every year
        ("leading", 1, "monitored", False),  # discipline incidents, expected to rise in year 1
        ("lagging", 3, "monitored", False),
        ("lagging", 1, "accountable", True),
    ],
)
def test_the_rule(kind, year, accountability, expected):
    assert rules.is_accountable(kind, year, 3, accountability) is expected


@pytest.fixture
def contract():
    return ContractFactory(start_date=START, end_date=date(2029, 6, 30), lifecycle_status="active")


def performance(contract):
    engine.recompute_contracts([contract.pk], as_of=IN_YEAR_3)
    return ContractPerformance.objects.get(contract=contract).performance_status


def accountable(contract, code):
    return IndicatorStatus.objects.get(contract=contract, indicator__code=code, contract_year=3).accountable


def test_overrides_decide_what_the_performance_status_rests_on(contract):
    """Year 3. Field presence (leading) is far below its target, ELA proficiency (lagging) meets
    its own. By default presence is monitored in year 3 and the contract is on track on ELA."""
    presence = cluster_target(contract, "field_presence_rate", 3, 60, 90)
    ela = cluster_target(contract, "ela_proficiency", 3, 20, 30)
    report(contract.schools.all(), "field_presence_rate", date(2026, 9, 7), date(2026, 9, 11), 40)
    report(contract.schools.all(), "ela_proficiency", date(2026, 8, 1), date(2026, 10, 31), 31)
    assert performance(contract) == "on_track"
    assert (accountable(contract, "field_presence_rate"), accountable(contract, "ela_proficiency")) == (
        False,
        True,
    )

    # The district makes presence accountable every year, as a contract obligation: it now counts.
    presence.accountability = "accountable"
    presence.save()
    assert performance(contract) == "off_track"
    assert accountable(contract, "field_presence_rate") is True

    # A target overridden to monitored stops counting: with ELA monitored too, only presence counts.
    ela.accountability = "monitored"
    ela.save()
    assert performance(contract) == "off_track"
    presence.accountability = "monitored"
    presence.save()
    assert performance(contract) == "no_data"  # no accountable target left
    statuses = IndicatorStatus.objects.filter(contract=contract, contract_year=3)
    assert {s.indicator.code: (s.accountable, s.status) for s in statuses} == {
        "field_presence_rate": (False, "off_track"),  # still computed and shown
        "ela_proficiency": (False, "met"),
    }
    history = [h.accountability for h in presence.history.order_by("history_date")]
    assert history == ["default", "accountable", "monitored"]


def test_the_target_grid_sets_accountability_per_target_and_keeps_it(contract, client):
    district_user = user_with_role(Role.DISTRICT_STAFF, contract.district, username="office")
    client.force_login(district_user)
    presence, incidents = indicator("field_presence_rate"), indicator("discipline_incidents")
    page = client.get(f"/contracts/{contract.pk}/targets/")
    grid = page.context["form"]
    labels = dict(grid.fields[f"accountability-{presence.pk}-4"].choices)
    assert labels["default"] == "Default: monitored"  # leading, year 4
    assert dict(grid.fields[f"accountability-{incidents.pk}-1"].choices)["default"] == "Default: accountable"

    data = {"school": "cluster"}
    for field in grid.fields:
        data[field] = ""
    data.update(
        {
            f"target-{presence.pk}-4": "90",
            f"accountability-{presence.pk}-4": "accountable",
            f"target-{incidents.pk}-1": "40",
            f"accountability-{incidents.pk}-1": "monitored",
            f"target-{incidents.pk}-2": "30",
        }
    )
    response = client.post(f"/contracts/{contract.pk}/targets/", data)
    assert response.status_code == 302
    saved = {(t.indicator.code, t.contract_year): t for t in Target.objects.filter(contract=contract)}
    assert saved["field_presence_rate", 4].accountability == "accountable"
    assert saved["discipline_incidents", 1].accountability == "monitored"
    assert saved["discipline_incidents", 2].accountability == "default"
    assert (saved["field_presence_rate", 4].accountable, saved["discipline_incidents", 1].accountable) == (
        True,
        False,
    )
    # The grid shows the choice back, the cell shaded as accountable or not.
    html = client.get(f"/contracts/{contract.pk}/targets/").content.decode()
    assert 'data-year="4" data-accountability="accountable"' in html
    assert 'data-year="1" data-accountability="monitored"' in html

    # A bad choice is an error at the field; nothing is saved.
    data[f"accountability-{presence.pk}-4"] = "sometimes"
    data[f"target-{presence.pk}-4"] = "95"
    response = client.post(f"/contracts/{contract.pk}/targets/", data)
    assert response.status_code == 200
    assert f"accountability-{presence.pk}-4" in response.context["form"].errors
    assert Target.objects.get(contract=contract, indicator=presence, contract_year=4).target == 90


def test_the_api_reads_and_writes_accountability(contract):
    district_user = user_with_role(Role.DISTRICT_STAFF, contract.district, username="office")
    api = client_for(district_user)
    created = api.post(
        "/api/v1/targets/",
        {
            "contract": contract.pk,
            "indicator": "field_presence_rate",
            "contract_year": 4,
            "target": 90,
            "accountability": "accountable",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert (created.json()["accountability"], created.json()["accountable"]) == ("accountable", True)
    plain = api.post(
        "/api/v1/targets/",
        {"contract": contract.pk, "indicator": "ela_proficiency", "contract_year": 2, "target": 40},
        format="json",
    )
    assert (plain.json()["accountability"], plain.json()["accountable"]) == ("default", False)
    changed = api.patch(
        f"/api/v1/targets/{plain.json()['id']}/", {"accountability": "accountable"}, format="json"
    )
    assert changed.json()["accountable"] is True
    bad = api.patch(f"/api/v1/targets/{plain.json()['id']}/", {"accountability": "always"}, format="json")
    assert bad.status_code == 400 and "accountability" in bad.json()
