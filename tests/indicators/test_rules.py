"""The rules, with worked examples and invariants; and the engine held to them on random data."""

import random
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.models import Target
from indicators import engine, rules
from indicators.models import IndicatorStatus, Measurement
from schools.calendar import instructional_days, school_days, school_year_of
from schools.models import NonSchoolDay, SchoolYearCalendar
from tests.factories import ContractFactory, indicator

SEVERITY_ORDER = {"off_track": 0, "at_risk": 1, "on_track": 2, "met": 3}
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def status_for(value, baseline, target, direction):
    return rules.status(value, rules.progress(value, baseline, target, direction), target, direction)


@given(baseline=finite, target=finite, a=finite, b=finite, direction=st.sampled_from(["higher", "lower"]))
def test_a_better_value_never_gives_a_worse_status(baseline, target, a, b, direction):
    better, worse = (max(a, b), min(a, b)) if direction == "higher" else (min(a, b), max(a, b))
    assert (
        SEVERITY_ORDER[status_for(better, baseline, target, direction)]
        >= SEVERITY_ORDER[status_for(worse, baseline, target, direction)]
    )


@given(baseline=finite, target=finite, direction=st.sampled_from(["higher", "lower"]))
def test_reaching_the_target_is_met_and_staying_at_the_baseline_is_off_track(baseline, target, direction):
    assert status_for(target, baseline, target, direction) == "met"
    if not rules.meets(baseline, target, direction):
        assert status_for(baseline, baseline, target, direction) == "off_track"


@given(values=st.lists(finite, min_size=rules.MIN_PERIODS_TO_PROJECT, max_size=12))
def test_the_projection_of_a_flat_series_is_its_value(values):
    flat = [(i / 12 + 1 / 24, values[0]) for i in range(len(values))]
    covered = len(values) / 12
    assert rules.project(flat, "last", covered) == pytest.approx(values[0], abs=1e-6)
    assert rules.project(flat, "mean", covered) == pytest.approx(values[0], abs=1e-6)


@given(statuses=st.lists(st.sampled_from(["met", "on_track", "at_risk", "off_track", "no_data"]), max_size=8))
def test_the_performance_status_is_the_worst_with_data(statuses):
    result = rules.performance_status(statuses, started=True)
    with_data = [s for s in statuses if s != "no_data"]
    if not with_data:
        assert result == "no_data"
    else:
        assert result != "met"
        worst = min(with_data, key=SEVERITY_ORDER.get)
        assert result == ("on_track" if worst == "met" else worst)


def test_thresholds_that_a_contract_overrides():
    strict = rules.Thresholds(on_track=0.9, at_risk=0.5)
    assert rules.status(85, 0.8, 90, "higher", strict) == "at_risk"
    assert rules.status(85, 0.8, 90, "higher") == "on_track"


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(6))
def test_the_engine_agrees_with_the_rules_on_random_data(seed):
    rng = random.Random(seed)
    start = date(2024, 7, 1)
    contract = ContractFactory(start_date=start, end_date=date(2029, 6, 30), lifecycle_status="active")
    schools = list(contract.schools.order_by("pk"))
    for school in schools:
        school.enrolment = rng.choice([0, 150, 400, 900])
        school.save()
    as_of = start + timedelta(days=rng.randint(30, 700))
    # The district's own days of school in 2024-25 and a few closures: the instructional days that
    # pro-rate the sums are those of its calendar.
    SchoolYearCalendar.objects.create(
        district_id=contract.district_id,
        school_year=2024,
        first_day=date(2024, 8, rng.randint(12, 31)),
        last_day=date(2025, 6, rng.randint(1, 20)),
    )
    for _ in range(rng.randint(0, 6)):
        day = date(2024, 9, 2) + timedelta(days=rng.randint(0, 300))
        NonSchoolDay.objects.get_or_create(
            district_id=contract.district_id, date=day, defaults={"description": "Closed"}
        )
    codes = ["attendance_rate", "discipline_incidents", "chronic_absence_rate", "enrolment"]
    for code in codes:
        ind = indicator(code)
        for year in (1, 2):
            baseline = rng.uniform(10, 60)
            target = baseline + rng.choice([-1, 1]) * rng.uniform(0, 20)
            Target.objects.create(
                contract=contract, indicator=ind, contract_year=year, baseline=baseline, target=target
            )
            Target.objects.create(
                contract=contract,
                indicator=ind,
                contract_year=year,
                school=schools[0],
                baseline=baseline,
                target=target,
            )
        for school in schools:
            for month in range(24):
                if rng.random() < 0.3:
                    continue
                first = date(2024 + (6 + month) // 12, (6 + month) % 12 + 1, 1)
                last = date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)
                Measurement.objects.create(
                    school=school,
                    indicator=ind,
                    period_start=first,
                    period_end=last,
                    value=rng.uniform(0, 100),
                    source="form",
                )
    engine.recompute_contracts([contract.pk], as_of=as_of)
    for row in IndicatorStatus.objects.filter(contract=contract).select_related("indicator"):
        expected = expected_row(contract, row.indicator, row.contract_year, row.school, as_of)
        assert row.status == expected["status"], (seed, row.indicator.code, row.contract_year, row.school_id)
        for field in ("value", "progress", "projection", "baseline", "target"):
            if expected[field] is None:
                assert getattr(row, field) is None, field
            else:
                assert getattr(row, field) == pytest.approx(expected[field], rel=1e-6, abs=1e-6), (
                    field,
                    row.indicator.code,
                    row.contract_year,
                    row.school_id,
                )


def expected_row(contract, ind, year, school, as_of):
    """The rules of rules.py applied in Python to the same data."""
    windows, _ = engine.contract_windows(contract, as_of)
    window = next(w for w in windows if w.contract_year == year)
    target = Target.objects.get(contract=contract, indicator=ind, contract_year=year, school=school)
    schools = [school] if school else list(contract.schools.all())
    year_end = window.year_start + timedelta(days=window.year_days - 1)
    under_way = window.elapsed < 1

    def share(end):
        """The share of the year's instructional days up to the end of the data."""
        return rules.instructional_share(
            instructional_days(contract.district_id, window.year_start, end),
            instructional_days(contract.district_id, window.year_start, year_end),
        )

    # A `last` projects to the last day of school (default: 15 June), on the time scale of t.
    last_school_day = school_days(contract.district_id, school_year_of(window.year_start))[1]
    last_day_t = ((last_school_day - window.year_start).days + 0.5) / window.year_days

    measured = {}
    for s in schools:
        rows = list(
            Measurement.objects.filter(
                school=s, indicator=ind, period_end__gte=window.year_start, period_end__lte=window.cutoff
            ).order_by("period_end", "period_start")
        )
        if rows:
            measured[s] = rows
    # A sum in a year under way runs to the end of the data: for a cluster, the earliest of its
    # schools' latest period ends.
    end = rules.end_of_data([rows[-1].period_end for rows in measured.values()])
    row_share = share(end) if ind.aggregation == "sum" and under_way and end else 1.0
    values, projections = [], []
    for s, rows in measured.items():
        # The school's weight: its latest enrolment measurement of the year, else its enrolment.
        weight = (
            Measurement.objects.filter(
                school=s,
                indicator__code="enrolment",
                period_end__gte=window.year_start,
                period_end__lte=window.cutoff,
            )
            .order_by("-period_end", "-period_start")
            .values_list("value", flat=True)
            .first()
        )
        weight = s.enrolment if weight is None else weight
        cut = ind.aggregation == "sum" and under_way
        counted = [m.value for m in rows if not cut or m.period_end <= end]
        # a school that reported only after the cluster's end of data counts nothing up to it
        values.append((rules.aggregate(counted, ind.aggregation) if counted else 0.0, weight))
        points = [(midpoint(m, window), m.value) for m in rows]
        covered = ((rows[-1].period_end - window.year_start).days + 1) / window.year_days
        own_share = share(rows[-1].period_end) if ind.aggregation == "sum" and under_way else None
        projections.append(
            rules.project(
                points,
                ind.aggregation,
                covered,
                not under_way,
                ind.min_value,
                ind.max_value,
                own_share,
                last_day_t,
            )
        )
    value = rules.combine_schools(values, ind.is_count)
    # A cluster projects only once every school that reported can (three periods each).
    if value is None or any(p is None for p in projections):
        projection = None
    elif ind.aggregation == "sum" and under_way:
        projection = value / row_share if row_share > 0 else None
    else:
        projection = rules.combine_schools(
            list(zip(projections, [w for _, w in values], strict=True)), ind.is_count
        )
    baseline, goal = rules.prorate(target.baseline, target.target, ind.aggregation, row_share)
    p = rules.progress(value, baseline, goal, ind.direction)
    return {
        "value": value,
        "progress": p,
        "projection": projection,
        "baseline": baseline,
        "target": goal,
        "status": rules.completeness(
            value, len(values), len(schools), rules.status(value, p, goal, ind.direction)
        ),
    }


def midpoint(measurement, window):
    """The middle of a measurement's period as a fraction of its contract year."""
    start = (measurement.period_start - window.year_start).days
    end = (measurement.period_end - window.year_start).days
    return ((start + end) / 2 + 0.5) / window.year_days
