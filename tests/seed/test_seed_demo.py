"""seed_demo: a realistic demo portal, and building it twice leaves the same data."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.utils import timezone

from contracts.models import (
    ON_THE_GROUND_STATUSES,
    ContractResponsibility,
    ContractStatusChange,
    PerformanceContract,
)
from contracts.phases import contract_year_bounds
from indicators.models import ContractPerformance, IndicatorStatus, Measurement
from partners.models import FieldVisit
from schools.models import School
from tests.factories import ensure_catalogs
from turnaround.demo import PASSWORD, PLANS, DemoBuilder

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _catalogs(db):
    """The reference catalogs the migrations load (a transactional test run earlier may have emptied them)."""
    ensure_catalogs()


PORTAL_APPS = ["auth", "schools", "partners", "contracts", "indicators", "turnaround"]
USERNAMES = ["district", "state", "partner", "field", "admin"]
EXPECTED = {  # reference: (lifecycle status, phase)
    "CPS-LP-ENGLEWOOD": ("active", "year_3_plus"),
    "CPS-LP-FARSOUTH": ("active", "year_1"),
    "SDP-LP-MASTERY": ("renewed", "year_3_plus"),
    "LAUSD-LP-LOCKE": ("active", "year_2"),
    "BCPS-LP-FRIENDSHIP": ("active", "year_3_plus"),
    "BCPS-LP-HARBORVIEW": ("terminated", "ended"),
    "MA-DESE-SPRINGFIELD": ("pre_launch", "pre_launch"),
}


def seed(*args):
    out = StringIO()
    call_command("seed_demo", "--allow-production", *args, stdout=out)  # the tests run with DEBUG off
    return out.getvalue()


def snapshot():
    """Row counts of every model of the portal (history tables included), and the ids and values
    of the main tables."""
    counts = {
        model._meta.label: model.objects.count()
        for label in PORTAL_APPS
        for model in apps.get_app_config(label).get_models()
    }
    rows = {
        "contracts": list(
            PerformanceContract.objects.order_by("pk").values_list(
                "pk", "reference", "lifecycle_status", "start_date", "end_date", "ended_on"
            )
        ),
        "schools": list(
            School.objects.order_by("pk").values_list("pk", "state_id", "enrolment", "feeds_into")
        ),
        "measurements": list(
            Measurement.objects.order_by("pk").values_list(
                "pk", "school_id", "indicator_id", "period_start", "value", "verification"
            )
        ),
        "status_changes": list(
            ContractStatusChange.objects.order_by("pk").values_list(
                "pk", "to_status", "effective_on", "changed_at"
            )
        ),
        "statuses": list(IndicatorStatus.objects.order_by("pk").values_list("pk", "status", "value")),
        "visits": list(
            FieldVisit.objects.order_by("pk").values_list("pk", "school_id", "visit_date", "mode")
        ),
    }
    return counts, rows


def check_seeding_twice():
    output = seed()
    first = snapshot()
    again = seed()
    assert snapshot() == first
    assert output == again
    counts = first[0]
    assert counts["contracts.PerformanceContract"] == 7
    assert counts["indicators.Measurement"] > 3000
    for username in USERNAMES:
        assert PASSWORD in output and username in output
        assert authenticate(username=username, password=PASSWORD), username
    assert get_user_model().objects.get(username="admin").is_superuser


def test_seeding_twice_leaves_the_same_data():
    check_seeding_twice()


@pytest.mark.postgres
def test_seeding_twice_leaves_the_same_data_on_postgresql(postgres):
    check_seeding_twice()


def test_contracts_are_in_their_lifecycle_statuses_and_phases():
    seed()
    today = timezone.localdate()
    found = {
        c.reference: (c.lifecycle_status, c.phase_on(today)[0]) for c in PerformanceContract.objects.all()
    }
    assert found == EXPECTED
    years = {c.reference: c.phase_on(today)[1] for c in PerformanceContract.objects.all()}
    assert years["CPS-LP-ENGLEWOOD"] == 3
    assert years["SDP-LP-MASTERY"] == 4
    assert years["BCPS-LP-FRIENDSHIP"] == 5

    terminated = PerformanceContract.objects.get(reference="BCPS-LP-HARBORVIEW")
    path = list(terminated.status_changes.order_by("changed_at").values_list("to_status", flat=True))
    assert path == ["draft", "pre_launch", "active", "probation", "terminated"]
    assert terminated.ended_on < today
    decision = terminated.decisions.get(kind="termination")
    assert decision.status_change.to_status == "terminated" and decision.review and decision.evidence
    assert "fictional" in terminated.lead_partner.description

    mastery = PerformanceContract.objects.get(reference="SDP-LP-MASTERY")
    assert mastery.decisions.get(kind="renewal").status_change.to_status == "renewed"

    prelaunch = PerformanceContract.objects.get(reference="MA-DESE-SPRINGFIELD")
    assert prelaunch.authority == "state"
    assert prelaunch.proposal.status == "selected" and prelaunch.proposal.rfp.status == "awarded"
    assert prelaunch.proposal.rfp.proposals.count() == 3
    assert prelaunch.mou_signed_on <= today
    done = prelaunch.checklist.filter(done_on__isnull=False).count()
    assert 0 < done < prelaunch.checklist.count()
    assert prelaunch.lead_partner.designations.filter(state__code="MA").exists()

    undecided = set(
        ContractResponsibility.objects.filter(owner="undecided").values_list("contract__reference")
    )
    assert undecided == {("CPS-LP-FARSOUTH",), ("MA-DESE-SPRINGFIELD",)}
    assert Measurement.objects.filter(verification="disputed").count() == 1
    assert Measurement.objects.filter(verification="reported").exists()


def test_lockes_attendance_goes_from_77_8_to_89_3():
    seed()
    locke = PerformanceContract.objects.get(reference="LAUSD-LP-LOCKE")
    target = locke.targets.get(indicator__code="attendance_rate", contract_year=1, school=None)
    assert target.baseline == pytest.approx(77.8)
    first, last = contract_year_bounds(locke.start_date, 1)
    weighted = weights = 0
    for school in locke.schools.all():
        values = list(
            Measurement.objects.filter(
                school=school, indicator__code="attendance_rate", period_end__range=(first, last)
            ).values_list("value", flat=True)
        )
        assert len(values) == 10  # September to June
        weighted += school.enrolment * sum(values) / len(values)
        weights += school.enrolment
    assert weighted / weights == pytest.approx(89.3, abs=0.5)
    status = IndicatorStatus.objects.get(
        contract=locke, indicator__code="attendance_rate", contract_year=1, school=None
    )
    assert status.value == pytest.approx(89.3, abs=0.5)
    assert status.status == "met"
    enrolment = locke.indicator_statuses.get(indicator__code="enrolment", contract_year=1, school=None)
    assert enrolment.value - enrolment.baseline == 532


def test_cluster_wide_rates_are_the_trajectorys_levels():
    """The schools scatter around the plan's level so that, weighed as the portal weighs them (by
    their enrolment count of the year), they give the level back: up to the rounding of values."""
    seed()
    plans = {plan.reference: plan for plan in PLANS}
    rows = IndicatorStatus.objects.filter(
        school=None, indicator__unit="percent", indicator__aggregation="last", value__isnull=False
    ).select_related("contract", "indicator")
    checked = 0
    for row in rows:
        levels = plans[row.contract.reference].levels.get(row.indicator.code)
        if levels and row.status != "incomplete":
            assert row.value == pytest.approx(levels[min(row.contract_year, len(levels) - 1)], abs=0.05)
            checked += 1
    assert checked > 20


def test_each_user_sees_their_part():
    seed()
    users = {u.username: u for u in get_user_model().objects.all()}
    visible = {
        name: set(PerformanceContract.objects.visible_to(users[name]).values_list("reference", flat=True))
        for name in USERNAMES
    }
    assert visible["district"] == {"CPS-LP-ENGLEWOOD", "CPS-LP-FARSOUTH"}
    assert visible["state"] == {"MA-DESE-SPRINGFIELD"}
    assert visible["partner"] == {"CPS-LP-ENGLEWOOD", "CPS-LP-FARSOUTH"}
    assert visible["field"] == {"CPS-LP-ENGLEWOOD", "CPS-LP-FARSOUTH"}
    assert visible["admin"] == set(EXPECTED)
    assert FieldVisit.objects.visible_to(users["field"]).filter(staff=users["field"]).count() > 20


@pytest.mark.parametrize(
    "today",
    [date(2026, 7, 1), date(2026, 8, 20), date(2027, 3, 1), date(2027, 6, 30)],
    ids=["first-day-of-school-year", "summer", "spring", "last-day-of-school-year"],
)
def test_any_day_of_the_year_gives_the_same_phases_and_nothing_in_the_future(today):
    DemoBuilder(today=today).build()
    found = {
        c.reference: (c.lifecycle_status, c.phase_on(today)[0]) for c in PerformanceContract.objects.all()
    }
    assert found == EXPECTED
    assert not Measurement.objects.filter(period_end__gt=today).exists()
    assert not FieldVisit.objects.filter(visit_date__gt=today).exists()
    assert not ContractStatusChange.objects.filter(effective_on__gt=today).exists()
    assert FieldVisit.objects.filter(visit_date__gte=today - timedelta(days=14)).exists()
    assert_no_contract_on_the_ground_reads_no_data_with_evidence()


def assert_no_contract_on_the_ground_reads_no_data_with_evidence():
    """`no_data` only for a contract on the ground none of whose accountable targets of the current
    year has any evidence (as Far South in the summer of its first year)."""
    for headline in ContractPerformance.objects.filter(contract__lifecycle_status__in=ON_THE_GROUND_STATUSES):
        if headline.performance_status != "no_data":
            continue
        evidence = IndicatorStatus.objects.filter(
            contract=headline.contract,
            contract_year=headline.contract_year,
            accountable=True,
            evidence_year__isnull=False,
        )
        assert not evidence.exists(), headline.contract.reference


def test_no_contract_on_the_ground_reads_no_data_with_evidence_today():
    seed()
    assert_no_contract_on_the_ground_reads_no_data_with_evidence()
    far_south = ContractPerformance.objects.get(contract__reference="CPS-LP-FARSOUTH")
    others = ContractPerformance.objects.filter(
        contract__lifecycle_status__in=ON_THE_GROUND_STATUSES
    ).exclude(pk=far_south.pk)
    assert not others.filter(performance_status="no_data").exists()


def test_if_empty_leaves_a_seeded_database_alone():
    seed()
    before = snapshot()
    output = seed("--if-empty")
    assert "nothing done" in output
    assert snapshot() == before


def test_if_empty_seeds_an_empty_database():
    output = seed("--if-empty")
    assert "Demo portal ready" in output
    assert PerformanceContract.objects.count() == 7


def test_seed_demo_refuses_with_debug_off_unless_told(settings):
    """DEBUG off is production: the demo users, the superuser `admin` among them, would be created
    or reset to the published password. Nothing is written."""
    from django.core.management.base import CommandError

    settings.DEBUG = False
    admin = get_user_model().objects.create_superuser("admin", password="the-real-admin-password")
    with pytest.raises(CommandError, match="--allow-production") as refused:
        call_command("seed_demo", stdout=StringIO())
    assert "DEBUG is off" in str(refused.value) and "superuser 'admin'" in str(refused.value)
    admin.refresh_from_db()
    assert admin.check_password("the-real-admin-password")
    assert not PerformanceContract.objects.exists()
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["admin"]


def test_seed_demo_runs_in_development(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    assert authenticate(username="admin", password=PASSWORD).is_superuser
