"""The contract page's derived pieces: the phase timeline, targets against values, chart data,
change history and baselines, on worked examples."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from contracts import contract_page
from contracts.baselines import baselines_from_measurements
from contracts.models import Target
from contracts.views import with_phase
from indicators.models import IndicatorStatus
from tests.factories import ContractFactory, MeasurementFactory, indicator


def ms(day):
    return contract_page._ms(day)


@pytest.fixture
def contract(db):
    """A 3-year contract from 1 July 2024, seen on 15 November 2025 (contract year 2)."""
    contract = ContractFactory(
        start_date=date(2024, 7, 1), end_date=date(2027, 6, 30), lifecycle_status="active"
    )
    with_phase([contract], date(2025, 11, 15))
    return contract


def test_the_timeline_runs_from_pre_launch_to_the_last_year(contract):
    steps = contract_page.phase_timeline(contract, date(2025, 11, 15), drafted_on=date(2024, 1, 10))
    assert [s["label"] for s in steps] == ["Pre-launch", "Year 1", "Year 2", "Year 3"]
    assert [s["state"] for s in steps] == ["done", "done", "current", "upcoming"]
    assert steps[0]["first"] == date(2024, 1, 10) and steps[0]["last"] == date(2024, 6, 30)
    assert (steps[2]["first"], steps[2]["last"]) == (date(2025, 7, 1), date(2026, 6, 30))
    assert "leading" in steps[2]["focus"] and "lagging" in steps[3]["focus"]


def test_a_terminated_contract_shows_the_years_it_did_not_reach(contract):
    contract.ended_on = date(2025, 12, 31)
    steps = contract_page.phase_timeline(contract, date(2026, 3, 1))
    assert [s["state"] for s in steps] == ["done", "done", "done", "cut", "done"]
    assert steps[-1]["label"] == "Ended"


def test_targets_against_values_mark_the_accountable_indicators_of_the_current_year(contract):
    attendance, ela = indicator("attendance_rate"), indicator("ela_proficiency")
    targets = [
        Target.objects.create(contract=contract, indicator=attendance, contract_year=y, baseline=80, target=t)
        for y, t in ((1, 84), (2, 88))
    ]
    targets.append(
        Target.objects.create(contract=contract, indicator=ela, contract_year=3, baseline=20, target=30)
    )
    status = IndicatorStatus.objects.create(
        contract=contract,
        indicator=attendance,
        contract_year=2,
        accountable=True,
        as_of=date(2025, 11, 15),
        value=86,
        baseline=80,
        target=88,
        progress=0.75,
        status="on_track",
        computed_at=timezone.now(),
    )
    grid = contract_page.performance_grid(contract, targets, [status])
    assert grid["grid_years"] == [1, 2, 3] and grid["accountable_year"] == 2
    first, second = grid["grid_rows"]
    assert first["indicator"] == attendance and first["accountable_now"]  # leading, year 2 < 3
    assert second["indicator"] == ela and not second["accountable_now"]
    assert [c["target"] for c in first["cells"]] == [84, 88, None]
    assert first["cells"][1]["status"] == status and first["cells"][1]["current"]
    assert [c["accountable"] for c in second["cells"]] == [False, False, True]


def test_chart_data_has_baseline_targets_values_and_projection(contract):
    attendance, incidents = indicator("attendance_rate"), indicator("discipline_incidents")
    school_a, school_b = contract.schools.order_by("name")[:2]
    school_a.enrolment, school_b.enrolment = 300, 100
    school_a.save(), school_b.save()
    targets = [
        Target.objects.create(
            contract=contract, indicator=attendance, contract_year=1, baseline=80, target=85
        ),
        Target.objects.create(
            contract=contract, indicator=incidents, contract_year=1, baseline=100, target=80
        ),
    ]
    for school, value in ((school_a, 90.0), (school_b, 70.0)):
        MeasurementFactory(
            school=school,
            indicator=attendance,
            period_start=date(2024, 9, 1),
            period_end=date(2024, 9, 30),
            value=value,
        )
    for month, value in ((9, 10.0), (10, 5.0)):  # summed: a running total within the year
        MeasurementFactory(
            school=school_a,
            indicator=incidents,
            period_start=date(2024, month, 1),
            period_end=date(2024, month, 28),
            value=value,
        )
    MeasurementFactory(
        school=school_a,
        indicator=incidents,
        period_start=date(2025, 9, 1),
        period_end=date(2025, 9, 28),
        value=4.0,
    )
    status = IndicatorStatus.objects.create(
        contract=contract,
        indicator=attendance,
        contract_year=2,
        accountable=True,
        as_of=date(2025, 11, 15),
        value=85,
        progress=1,
        status="met",
        projection=86.5,
        computed_at=timezone.now(),
    )
    charts = {
        c["code"]: c
        for c in contract_page.chart_data(
            contract, targets, [status], list(contract.schools.all()), date(2025, 11, 15)
        )
    }
    rate = charts["attendance_rate"]
    assert rate["values"] == [{"x": ms(date(2024, 9, 30)), "y": 85.0}]  # (90*300 + 70*100) / 400
    assert rate["baseline"][0] == {"x": ms(date(2023, 7, 1)), "y": 80}
    assert rate["targets"][:2] == [
        {"x": ms(date(2024, 7, 1)), "y": 85},
        {"x": ms(date(2025, 6, 30)), "y": 85},
    ]
    assert rate["projection"][-1] == {"x": ms(date(2026, 6, 30)), "y": 86.5}
    counts = charts["discipline_incidents"]
    assert [p["y"] for p in counts["values"]] == [10.0, 15.0, 4.0]  # the total restarts in year 2


def test_baselines_follow_the_indicator_rules(contract):
    attendance, incidents = indicator("attendance_rate"), indicator("discipline_incidents")
    schools = list(contract.schools.order_by("name"))
    for school, enrolment in zip(schools, (200, 200, 100), strict=True):
        school.enrolment = enrolment
        school.save()
    for school, values in zip(schools, ([90.0, 80.0], [70.0], []), strict=True):
        for month, value in enumerate(values, start=9):
            MeasurementFactory(
                school=school,
                indicator=attendance,
                period_start=date(2023, month, 1),
                period_end=date(2023, month, 28),
                value=value,
            )
    for school in schools:
        MeasurementFactory(
            school=school,
            indicator=incidents,
            period_start=date(2023, 10, 1),
            period_end=date(2023, 10, 31),
            value=7,
        )
    # The year of the start is not the baseline year.
    MeasurementFactory(
        school=schools[2],
        indicator=attendance,
        period_start=date(2024, 9, 1),
        period_end=date(2024, 9, 30),
        value=10,
    )
    found = baselines_from_measurements(contract, schools)
    assert found[(attendance.pk, schools[0].pk)] == 85.0
    assert found[(attendance.pk, None)] == 77.5  # (85*200 + 70*200) / 400: no data at the third
    assert (attendance.pk, schools[2].pk) not in found
    assert found[(incidents.pk, None)] == 21.0  # counts add up


def test_the_change_history_names_what_changed_and_who(contract, django_user_model):
    autonomy = contract.autonomies.order_by("item__order").first()
    autonomy.grant = "partial"
    autonomy.save()
    contract.per_pupil_allocation = 5000
    contract.save()
    entries = contract_page.change_history(contract)
    changes = [change for entry in entries for change in entry["changes"]]
    assert "grant: Partly granted" in changes  # its first change at hand: the value it has now
    assert "per pupil allocation: — → 5000.00" in changes
    autonomy.grant = "granted"
    autonomy.save()
    changes = [change for entry in contract_page.change_history(contract) for change in entry["changes"]]
    assert "grant: Partly granted → Granted" in changes
    assert entries[0]["when"] >= entries[-1]["when"]
    assert entries[-1]["action"] == "created"
    assert timedelta(0) <= timezone.now() - entries[0]["when"] < timedelta(minutes=5)
