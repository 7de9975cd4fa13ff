"""The demo portal: realistic, and built twice it is the same."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from contracts.models import PerformanceContract
from indicators.models import IndicatorStatus, Measurement
from schools.models import School

pytestmark = pytest.mark.django_db

PORTAL_APPS = ["schools", "partners", "contracts", "indicators", "turnaround"]


def snapshot():
    """Row counts of every model of the portal, and the ids of the main tables."""
    counts = {
        model._meta.label: model.objects.count()
        for label in PORTAL_APPS
        for model in apps.get_app_config(label).get_models()
        if not model.__name__.startswith("Historical")
    }
    ids = {
        "contracts": list(PerformanceContract.objects.order_by("pk").values_list("pk", "reference")),
        "schools": list(School.objects.order_by("pk").values_list("pk", "state_id")),
        "measurements": list(Measurement.objects.order_by("pk").values_list("pk", "value")),
        "statuses": list(IndicatorStatus.objects.order_by("pk").values_list("pk", "status", "value")),
    }
    return counts, ids


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def check_twice():
    output = seed()
    first = snapshot()
    seed()
    assert snapshot() == first
    assert "demo-password" in output
    for username in ("district", "state", "partner", "field", "admin"):
        assert authenticate(username=username, password="demo-password"), username


def test_seeding_twice_leaves_the_same_data():
    check_twice()


def test_seeding_twice_on_postgresql(postgres):
    check_twice()


def test_the_contracts_are_in_every_phase():
    seed()
    today = timezone.localdate()
    phases = {c.reference: c.phase_on(today)[0] for c in PerformanceContract.objects.all()}
    statuses = dict(PerformanceContract.objects.values_list("reference", "lifecycle_status"))
    assert set(phases.values()) == {"pre_launch", "year_1", "year_2", "year_3_plus", "ended"}
    assert statuses["MA-DESE-2027-01"] == "pre_launch"
    assert statuses["BCPS-LP-2024-09"] == "terminated"
    assert PerformanceContract.objects.get(reference="MA-DESE-2027-01").authority == "state"


def test_lockes_attendance_goes_from_77_8_to_89_3():
    seed()
    locke = PerformanceContract.objects.get(reference="LAUSD-LP-2025-03")
    baseline = locke.targets.get(indicator__code="attendance_rate", contract_year=1, school=None).baseline
    assert baseline == pytest.approx(77.8)
    year_1 = IndicatorStatus.objects.get(
        contract=locke, indicator__code="attendance_rate", contract_year=1, school=None
    )
    assert year_1.value == pytest.approx(89.3, abs=0.5)
    assert year_1.status == "met"


def test_each_user_sees_their_own_part():
    seed()
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    visible = {
        name: set(PerformanceContract.objects.visible_to(users[name]).values_list("reference", flat=True))
        for name in ("district", "state", "partner", "field")
    }
    assert visible["district"] == {"CPS-LP-2024-01", "CPS-LP-2026-02"}
    assert visible["state"] == {"MA-DESE-2027-01"}
    assert visible["partner"] == {"CPS-LP-2024-01", "CPS-LP-2026-02"}
    assert visible["field"] == {"CPS-LP-2024-01", "CPS-LP-2026-02"}


def test_if_empty_leaves_a_seeded_database_alone():
    seed()
    before = snapshot()
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "not loaded" in out.getvalue()
    assert snapshot() == before
