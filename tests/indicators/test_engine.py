"""The engine against worked examples of DESIGN.md's rules."""

from datetime import date

import pytest

from contracts.models import Target
from indicators import engine
from indicators.models import ContractPerformance, IndicatorStatus, Measurement
from tests.factories import ContractFactory, indicator

pytestmark = pytest.mark.django_db

START = date(2024, 7, 1)


@pytest.fixture
def contract():
    return ContractFactory(start_date=START, end_date=date(2029, 6, 30), lifecycle_status="active")


def measure(school, code, start, end, value):
    return Measurement.objects.create(
        school=school,
        indicator=indicator(code),
        period_start=start,
        period_end=end,
        value=value,
        source="form",
    )


def monthly(school, code, year, months_values):
    for month, value in months_values:
        y = year if month >= 7 else year + 1
        last = date(y + (month == 12), month % 12 + 1, 1) - date.resolution
        measure(school, code, date(y, month, 1), last, value)


def status_of(contract, code, year=1, school=None):
    return IndicatorStatus.objects.get(
        contract=contract, indicator__code=code, contract_year=year, school=school
    )


def test_a_mean_indicator_half_way_to_its_target_is_at_risk(contract):
    school = contract.schools.first()
    Target.objects.create(
        contract=contract,
        indicator=indicator("attendance_rate"),
        contract_year=1,
        school=school,
        baseline=80,
        target=90,
    )
    monthly(school, "attendance_rate", 2024, [(9, 84), (10, 85), (11, 86)])
    engine.recompute_contracts([contract.pk], as_of=date(2024, 12, 15))
    row = status_of(contract, "attendance_rate", school=school)
    assert row.value == pytest.approx(85)
    assert row.progress == pytest.approx(0.5)
    assert row.status == "at_risk"
    assert row.accountable is True  # leading, year 1


def test_a_lower_is_better_indicator(contract):
    school = contract.schools.first()
    Target.objects.create(
        contract=contract,
        indicator=indicator("chronic_absence_rate"),
        contract_year=1,
        school=school,
        baseline=30,
        target=20,
    )
    measure(school, "chronic_absence_rate", date(2024, 9, 1), date(2024, 12, 1), 22)
    engine.recompute_contracts([contract.pk], as_of=date(2024, 12, 15))
    row = status_of(contract, "chronic_absence_rate", school=school)
    assert row.progress == pytest.approx(0.8)
    assert row.status == "on_track"


def test_a_move_away_from_a_lower_is_better_target_is_off_track(contract):
    school = contract.schools.first()
    Target.objects.create(
        contract=contract,
        indicator=indicator("chronic_absence_rate"),
        contract_year=1,
        school=school,
        baseline=30,
        target=20,
    )
    measure(school, "chronic_absence_rate", date(2024, 9, 1), date(2024, 12, 1), 33)
    engine.recompute_contracts([contract.pk], as_of=date(2024, 12, 15))
    row = status_of(contract, "chronic_absence_rate", school=school)
    assert row.progress == pytest.approx(-0.3)
    assert row.status == "off_track"


def test_a_sum_indicator_mid_year_is_judged_against_a_target_prorated_by_instructional_days(contract):
    school = contract.schools.first()
    Target.objects.create(
        contract=contract,
        indicator=indicator("discipline_incidents"),
        contract_year=1,
        school=school,
        baseline=200,
        target=100,
    )
    monthly(school, "discipline_incidents", 2024, [(9, 20), (10, 20), (11, 20)])
    engine.recompute_contracts([contract.pk], as_of=date(2024, 12, 31))
    row = status_of(contract, "discipline_incidents", school=school)
    # The data end on 30 November. The default days of school run from 25 August 2024 to 15 June
    # 2025: 210 weekdays, 70 of them by 30 November, a third of the year (calendar days would say
    # 153 of 365, and allow 84 incidents of the baseline's pace rather than 67).
    assert row.value == 60
    assert row.baseline == pytest.approx(200 / 3)
    assert row.target == pytest.approx(100 / 3)
    assert row.progress == pytest.approx((60 - 200 / 3) / (100 / 3 - 200 / 3))  # 0.2
    assert row.status == "off_track"
    assert row.projection == pytest.approx(180)  # 60 over a third of the year


@pytest.mark.parametrize("value, expected", [(91, "met"), (90, "met"), (89, "off_track")])
def test_a_target_equal_to_its_baseline(contract, value, expected):
    school = contract.schools.first()
    Target.objects.create(
        contract=contract,
        indicator=indicator("attendance_rate"),
        contract_year=1,
        school=school,
        baseline=90,
        target=90,
    )
    measure(school, "attendance_rate", date(2024, 9, 1), date(2024, 9, 30), value)
    engine.recompute_contracts([contract.pk], as_of=date(2024, 10, 15))
    row = status_of(contract, "attendance_rate", school=school)
    assert row.progress == (1.0 if expected == "met" else 0.0)
    assert row.status == expected


def test_a_year_with_no_data(contract):
    Target.objects.create(
        contract=contract, indicator=indicator("attendance_rate"), contract_year=1, baseline=80, target=90
    )
    engine.recompute_contracts([contract.pk], as_of=date(2024, 10, 15))
    row = status_of(contract, "attendance_rate")
    assert (row.value, row.progress, row.status) == (None, None, "no_data")
    assert ContractPerformance.objects.get(contract=contract).performance_status == "no_data"


def test_year_2_holds_the_leading_indicators_to_account_and_year_3_the_lagging_ones(contract):
    for year in (2, 3):
        Target.objects.create(
            contract=contract,
            indicator=indicator("attendance_rate"),
            contract_year=year,
            baseline=80,
            target=90,
        )
        Target.objects.create(
            contract=contract,
            indicator=indicator("ela_proficiency"),
            contract_year=year,
            baseline=20,
            target=40,
        )
    for school in contract.schools.all():  # every school reports: the cluster's values are complete
        measure(school, "attendance_rate", date(2025, 9, 1), date(2025, 9, 30), 70)  # year 2: off track
        measure(school, "ela_proficiency", date(2026, 7, 1), date(2027, 6, 30), 45)  # year 3: met
        measure(school, "attendance_rate", date(2026, 9, 1), date(2026, 9, 30), 70)  # year 3: off track
    engine.recompute_contracts([contract.pk], as_of=date(2025, 10, 1))
    assert status_of(contract, "attendance_rate", 2).accountable is True
    assert status_of(contract, "ela_proficiency", 2).accountable is False
    assert ContractPerformance.objects.get(contract=contract).performance_status == "off_track"
    engine.recompute_contracts([contract.pk], as_of=date(2027, 6, 30))
    assert status_of(contract, "attendance_rate", 3).accountable is False
    assert status_of(contract, "ela_proficiency", 3).accountable is True
    performance = ContractPerformance.objects.get(contract=contract)
    assert (performance.contract_year, performance.performance_status) == (3, "on_track")


def test_a_cluster_wide_rate_is_the_enrolment_weighted_mean_and_a_count_the_sum(contract):
    a, b, c = contract.schools.order_by("pk")
    a.enrolment, b.enrolment, c.enrolment = 100, 300, 0
    for school in (a, b, c):
        school.save()
    Target.objects.create(
        contract=contract, indicator=indicator("attendance_rate"), contract_year=1, baseline=80, target=90
    )
    Target.objects.create(
        contract=contract, indicator=indicator("violent_incidents"), contract_year=1, baseline=40, target=20
    )
    measure(a, "attendance_rate", date(2024, 9, 1), date(2024, 9, 30), 80)
    measure(b, "attendance_rate", date(2024, 9, 1), date(2024, 9, 30), 90)
    measure(c, "attendance_rate", date(2024, 9, 1), date(2024, 9, 30), 50)  # no enrolment, no weight
    measure(a, "violent_incidents", date(2024, 9, 1), date(2024, 9, 30), 3)
    measure(b, "violent_incidents", date(2024, 9, 1), date(2024, 9, 30), 4)
    engine.recompute_contracts([contract.pk], as_of=date(2025, 6, 30))
    assert status_of(contract, "attendance_rate").value == pytest.approx((80 * 100 + 90 * 300) / 400)
    assert status_of(contract, "violent_incidents").value == 7


def test_before_the_start_the_contract_is_pre_launch(contract):
    Target.objects.create(
        contract=contract, indicator=indicator("attendance_rate"), contract_year=1, baseline=80, target=90
    )
    engine.recompute_contracts([contract.pk], as_of=date(2024, 6, 1))
    assert not IndicatorStatus.objects.filter(contract=contract).exists()
    assert ContractPerformance.objects.get(contract=contract).performance_status == "pre_launch"


def test_the_projection_follows_the_trend(contract):
    school = contract.schools.first()
    Target.objects.create(
        contract=contract,
        indicator=indicator("attendance_rate"),
        contract_year=1,
        school=school,
        baseline=80,
        target=90,
    )
    Target.objects.create(
        contract=contract,
        indicator=indicator("chronic_absence_rate"),
        contract_year=1,
        school=school,
        baseline=30,
        target=20,
    )
    monthly(school, "attendance_rate", 2024, [(9, 84), (10, 86), (11, 88), (12, 90)])
    monthly(school, "chronic_absence_rate", 2024, [(9, 30), (10, 28), (11, 26), (12, 24)])
    engine.recompute_contracts([contract.pk], as_of=date(2024, 12, 31))
    attendance = status_of(contract, "attendance_rate", school=school)
    assert attendance.value == pytest.approx(87)
    assert attendance.projection > 90  # a rising trend: the year's mean ends above today's
    assert attendance.projected_to_meet is True
    absence = status_of(contract, "chronic_absence_rate", school=school)
    assert absence.projection < 15  # "last": the line at year end
    assert absence.projected_to_meet is True


def test_no_projection_before_three_periods_and_none_outside_the_indicators_range(contract):
    """Weekly field presence of 60 and 100 after two weeks: a line through two points would project
    far beyond both; the portal says "too early to project" instead. Attendance rising 94, 97,
    100 over three months: the trend would fill the rest of the year above 100%, and the filled
    months are held at 100. Chronic absence falling 12, 6, 2 would cross zero by June: held at 0."""
    school = contract.schools.first()
    for code, baseline, goal in (
        ("field_presence_rate", 50, 80),
        ("attendance_rate", 90, 95),
        ("chronic_absence_rate", 20, 10),
    ):
        Target.objects.create(
            contract=contract,
            indicator=indicator(code),
            contract_year=1,
            school=school,
            baseline=baseline,
            target=goal,
        )
    measure(school, "field_presence_rate", date(2024, 9, 2), date(2024, 9, 6), 60)
    measure(school, "field_presence_rate", date(2024, 9, 9), date(2024, 9, 13), 100)
    monthly(school, "attendance_rate", 2024, [(9, 94), (10, 97), (11, 100)])
    monthly(school, "chronic_absence_rate", 2024, [(9, 12), (10, 6), (11, 2)])
    engine.recompute_contracts([contract.pk], as_of=date(2024, 12, 1))

    presence = status_of(contract, "field_presence_rate", school=school)
    assert (presence.value, presence.projection, presence.projected_to_meet) == (80, None, None)
    attendance = status_of(contract, "attendance_rate", school=school)
    observed, covered = 97, (date(2024, 11, 30) - START).days / 365 + 1 / 365
    assert attendance.projection == pytest.approx(observed * covered + 100 * (1 - covered))
    assert attendance.projection <= 100
    absence = status_of(contract, "chronic_absence_rate", school=school)
    assert absence.projection == 0


def test_recomputing_twice_gives_the_same_rows_and_a_removed_target_loses_its_status(contract):
    school = contract.schools.first()
    target = Target.objects.create(
        contract=contract, indicator=indicator("attendance_rate"), contract_year=1, baseline=80, target=90
    )
    measure(school, "attendance_rate", date(2024, 9, 1), date(2024, 9, 30), 85)
    engine.recompute_contracts([contract.pk], as_of=date(2024, 10, 1))
    first = list(IndicatorStatus.objects.values())
    engine.recompute_contracts([contract.pk], as_of=date(2024, 10, 1))
    assert list(IndicatorStatus.objects.values()) == first
    target.delete()
    engine.recompute_contracts([contract.pk], as_of=date(2024, 10, 1))
    assert not IndicatorStatus.objects.filter(contract=contract).exists()


def test_evaluate_computes_the_rows_without_writing_them(contract):
    school = contract.schools.first()
    Target.objects.create(
        contract=contract, indicator=indicator("attendance_rate"), contract_year=1, baseline=80, target=90
    )
    measure(school, "attendance_rate", date(2024, 9, 1), date(2024, 9, 30), 85)
    rows = engine.evaluate([contract.pk], as_of=date(2024, 10, 1))
    assert not IndicatorStatus.objects.exists()
    engine.recompute_contracts([contract.pk], as_of=date(2024, 10, 1))
    written = status_of(contract, "attendance_rate")
    assert [(r["contract_year"], r["value"], r["status"]) for r in rows] == [(1, 85.0, written.status)]
    assert rows[0]["progress"] == written.progress


def test_evaluate_can_count_verified_values_only(contract):
    school = contract.schools.first()
    Target.objects.create(
        contract=contract, indicator=indicator("attendance_rate"), contract_year=1, baseline=80, target=90
    )
    measure(school, "attendance_rate", date(2024, 9, 1), date(2024, 9, 30), 85)
    october = measure(school, "attendance_rate", date(2024, 10, 1), date(2024, 10, 31), 95)
    Measurement.objects.filter(pk=october.pk).update(verification="verified")
    every = engine.evaluate([contract.pk], as_of=date(2025, 7, 15))
    verified = engine.evaluate([contract.pk], as_of=date(2025, 7, 15), verified_only=True)
    assert [r["value"] for r in every] == [90.0]
    assert [r["value"] for r in verified] == [95.0]
    Measurement.objects.update(verification="reported")
    assert [r["status"] for r in engine.evaluate([contract.pk], date(2025, 7, 15), verified_only=True)] == [
        "no_data"
    ]
