"""The aggregates the engine keeps for contract years that are over (PostgreSQL), and the trigger
that drops them when a measurement they cover changes, whatever writes it."""

import threading
import time
from datetime import date

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from contracts.models import ContractSchool, Target
from indicators import engine
from indicators.models import MEASUREMENT_KEY, IndicatorStatus, Measurement, YearAggregate
from schools.models import School
from tests.factories import ContractFactory, indicator

pytestmark = [pytest.mark.postgres]

START = date(2024, 7, 1)
# Year 1 (July 2024 - June 2025) is over on this date; year 2 is under way.
AS_OF = date(2025, 10, 15)


@pytest.fixture(autouse=True)
def _postgres(postgres):
    """Every test here needs PostgreSQL (tests/conftest.py skips or fails without it)."""


@pytest.fixture
def contract(db):
    contract = ContractFactory(start_date=START, end_date=date(2029, 6, 30), lifecycle_status="active")
    for year in (1, 2):
        Target.objects.create(
            contract=contract,
            indicator=indicator("attendance_rate"),
            contract_year=year,
            baseline=80,
            target=90,
        )
    return contract


def measure(school, start, end, value):
    return Measurement.objects.create(
        school=school,
        indicator=indicator("attendance_rate"),
        period_start=start,
        period_end=end,
        value=value,
        source="form",
    )


def year_value(contract, year=1):
    return IndicatorStatus.objects.get(
        contract=contract, indicator__code="attendance_rate", contract_year=year, school=None
    ).value


def kept(contract):
    return YearAggregate.objects.filter(contract=contract)


def test_a_year_that_is_over_is_kept_and_read_back(contract):
    school = contract.schools.first()
    measure(school, date(2024, 9, 1), date(2024, 9, 30), 84)
    measure(school, date(2024, 10, 1), date(2024, 10, 31), 86)
    measure(school, date(2025, 9, 1), date(2025, 9, 30), 90)  # year 2, under way: not kept
    engine.recompute_contracts([contract.pk], as_of=AS_OF)
    row = kept(contract).get()
    assert (row.contract_year, row.school_id, row.n, row.s, row.last_value) == (1, school.pk, 2, 170.0, 86.0)
    assert (row.year_start, row.cutoff) == (date(2024, 7, 1), date(2025, 6, 30))
    assert year_value(contract) == 85.0

    # The next recompute reads the kept row, not the measurements: a row altered behind the
    # trigger's back (never done by the portal) shows through.
    YearAggregate.objects.filter(pk=row.pk).update(s=180.0)
    engine.recompute_contracts([contract.pk], as_of=AS_OF)
    assert year_value(contract) == 90.0


@pytest.mark.parametrize("how", ["save", "update", "bulk upsert", "insert", "delete"])
def test_any_write_to_a_kept_year_drops_its_aggregates(contract, how):
    school = contract.schools.first()
    september = measure(school, date(2024, 9, 1), date(2024, 9, 30), 84)
    measure(school, date(2024, 10, 1), date(2024, 10, 31), 86)
    engine.recompute_contracts([contract.pk], as_of=AS_OF)
    assert kept(contract).count() == 1

    expected = {"save": 86.0, "update": 86.0, "bulk upsert": 86.0, "insert": 84.0, "delete": 86.0}[how]
    if how == "save":
        september.value = 86
        september.save()
    elif how == "update":
        Measurement.objects.filter(pk=september.pk).update(value=86)
    elif how == "bulk upsert":  # the path of the file import
        Measurement.objects.bulk_create(
            [
                Measurement(
                    school=school,
                    indicator=indicator("attendance_rate"),
                    period_start=date(2024, 9, 1),
                    period_end=date(2024, 9, 30),
                    value=86,
                    source="import",
                )
            ],
            update_conflicts=True,
            unique_fields=list(MEASUREMENT_KEY),
            update_fields=["value", "source"],
        )
    elif how == "insert":
        measure(school, date(2024, 11, 1), date(2024, 11, 30), 82)
    else:
        september.delete()
    assert not kept(contract).exists()
    engine.recompute_contracts([contract.pk], as_of=AS_OF)
    assert year_value(contract) == expected
    assert kept(contract).count() == 1


def test_a_write_outside_the_kept_window_keeps_it(contract):
    school = contract.schools.first()
    measure(school, date(2024, 9, 1), date(2024, 9, 30), 84)
    engine.recompute_contracts([contract.pk], as_of=AS_OF)
    measure(school, date(2025, 9, 1), date(2025, 9, 30), 90)  # year 2
    other = contract.schools.exclude(pk=school.pk).first()
    measure(other, date(2024, 9, 1), date(2024, 9, 30), 70)  # another school
    assert kept(contract).filter(school=school).count() == 1


def test_a_new_start_date_makes_new_windows_and_ignores_the_old_aggregates(contract):
    school = contract.schools.first()
    measure(school, date(2024, 9, 1), date(2024, 9, 30), 84)
    measure(school, date(2025, 8, 1), date(2025, 8, 31), 70)
    engine.recompute_contracts([contract.pk], as_of=date(2026, 10, 15))
    assert year_value(contract) == 84.0
    contract.start_date, contract.end_date = date(2024, 8, 1), date(2029, 7, 31)
    contract.save(update_fields=["start_date", "end_date"])
    engine.recompute_contracts([contract.pk], as_of=date(2026, 10, 15))
    # Year 1 is now August 2024 to July 2025: September only.
    assert year_value(contract) == 84.0
    assert year_value(contract, 2) == 70.0
    row = kept(contract).get(contract_year=1, school=school)
    assert (row.year_start, row.cutoff) == (date(2024, 8, 1), date(2025, 7, 31))


def test_same_rows_with_and_without_kept_aggregates(contract):
    for school, base in zip(contract.schools.all(), (80, 85, 90, 75), strict=False):
        for month in (9, 10, 11, 12):
            measure(school, date(2024, month, 1), date(2024, month, 28), base + month / 10)
        measure(school, date(2025, 9, 1), date(2025, 9, 28), base)
    engine.recompute_contracts([contract.pk], as_of=AS_OF)
    fresh = list(IndicatorStatus.objects.order_by("pk").values())
    assert kept(contract).count() == contract.schools.count()
    engine.recompute_contracts([contract.pk], as_of=AS_OF)
    assert list(IndicatorStatus.objects.order_by("pk").values()) == fresh


def test_the_cluster_value_is_the_same_to_the_bit_whichever_order_its_schools_come_in(contract):
    """A cluster adds its schools' values in school order, whether a school's value is read from a
    kept aggregate or computed from measurements: floating-point sums in another order differ in
    their last bit (0.1 + 0.2 + 0.3 is not 0.3 + 0.2 + 0.1), and a recompute that changes nothing
    must write nothing."""
    links = list(contract.school_links.order_by("-school_id").values_list("school_id", "in_force"))
    contract.school_links.all().delete()  # linked again in descending order, as a scan meets them
    ContractSchool.objects.bulk_create(
        [ContractSchool(contract=contract, school_id=school, in_force=flag) for school, flag in links]
    )
    incidents = indicator("discipline_incidents")  # a count: the cluster's value is the schools' sum
    Target.objects.create(contract=contract, indicator=incidents, contract_year=1, baseline=5, target=1)
    for number, school in enumerate(contract.schools.order_by("pk")):
        School.objects.filter(pk=school.pk).update(enrolment=271 + 173 * number)
        Measurement.objects.create(
            school=school,
            indicator=incidents,
            period_start=date(2024, 9, 1),
            period_end=date(2024, 9, 30),
            value=round(0.1 * (number + 1), 1),
            source="form",
        )
        for month, value in zip((9, 10, 11), (80.1, 85.7, 90.3 - number * 1.7), strict=True):
            measure(school, date(2024, month, 1), date(2024, month, 28), value + number * 3.3)
    engine.recompute_contracts([contract.pk], as_of=AS_OF)  # from the measurements, and kept
    fresh = list(IndicatorStatus.objects.order_by("pk").values_list("pk", "value", "projection"))
    assert kept(contract).count() == 2 * len(links)
    engine.recompute_contracts([contract.pk], as_of=AS_OF)  # from the kept aggregates
    assert list(IndicatorStatus.objects.order_by("pk").values_list("pk", "value", "projection")) == fresh


def other_connection():
    db = settings.DATABASES["default"]
    conn = psycopg2.connect(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
    )
    conn.autocommit = True
    return conn


def test_a_school_whose_lock_a_writer_holds_is_computed_but_not_kept(contract):
    school, other = contract.schools.all()[:2]
    measure(school, date(2024, 9, 1), date(2024, 9, 30), 84)
    measure(other, date(2024, 9, 1), date(2024, 9, 30), 80)
    writer = other_connection()
    try:
        with writer.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock_shared(%s, %s)", [engine.SCHOOL_LOCK_NAMESPACE, school.pk]
            )
        engine.recompute_contracts([contract.pk], as_of=AS_OF)
    finally:
        writer.close()
    assert year_value(contract) is not None
    assert list(kept(contract).values_list("school_id", flat=True)) == [other.pk]


@pytest.mark.django_db(transaction=True)
def test_a_write_waits_for_a_recompute_keeping_its_school_then_drops_what_it_kept(contract):
    """The race the locks close: a recompute keeps a year's aggregates while a measurement of that
    year is being written. The writer's trigger waits for the recompute to commit, then deletes."""
    school = contract.schools.first()
    measure(school, date(2024, 9, 1), date(2024, 9, 30), 84)
    YearAggregate.objects.all().delete()  # from the recompute that the commit above scheduled
    recompute, writer = other_connection(), other_connection()
    recompute.autocommit = False
    try:
        with recompute.cursor() as cursor:  # a recompute's transaction, half-way
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", [engine.SCHOOL_LOCK_NAMESPACE, school.pk]
            )
            assert cursor.fetchone()[0] is True
            cursor.execute(
                "INSERT INTO indicators_yearaggregate (contract_id, contract_year, indicator_id, "
                "school_id, year_start, cutoff, n, s, last_value) "
                "VALUES (%s, 1, %s, %s, %s, %s, 1, 84, 84)",
                [
                    contract.pk,
                    indicator("attendance_rate").pk,
                    school.pk,
                    date(2024, 7, 1),
                    date(2025, 6, 30),
                ],
            )
        done = threading.Event()

        def write():
            with writer.cursor() as cursor:
                cursor.execute(
                    "UPDATE indicators_measurement SET value = 88 WHERE school_id = %s AND period_end = %s",
                    [school.pk, date(2024, 9, 30)],
                )
            done.set()

        thread = threading.Thread(target=write)
        thread.start()
        time.sleep(0.5)
        assert not done.is_set(), "the write should wait for the recompute's lock"
        recompute.commit()
        thread.join(timeout=10)
        assert done.is_set()
    finally:
        recompute.close()
        writer.close()
    assert not kept(contract).exists()
    connection.close()  # the test's own connection saw nothing stale either
    engine.recompute_contracts([contract.pk], as_of=AS_OF)
    assert year_value(contract) == 88.0
