"""The keys of the tables the engine writes (statuses, kept year aggregates) have no foreign key
constraint: the engine writes rows only from the targets and schools it joins. What keeps a
deleted contract from leaving rows behind is the engine's lock of the contract, which a deletion
takes before it deletes anything (indicators.signals)."""

import threading
import time
from datetime import date

import psycopg2
import pytest
from django.db import connection, transaction

from contracts.models import Target
from indicators import engine
from indicators.models import IndicatorStatus, YearAggregate
from tests.factories import ContractFactory, indicator
from tests.tasks.conftest import database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres(postgres):
    """Every test here needs PostgreSQL (tests/conftest.py skips or fails without it)."""


def test_a_contract_deleted_while_a_recompute_writes_its_rows_leaves_none_behind():
    contract = ContractFactory(
        start_date=date(2024, 7, 1), end_date=date(2029, 6, 30), lifecycle_status="active"
    )
    attendance = indicator("attendance_rate")
    Target.objects.create(contract=contract, indicator=attendance, contract_year=1, baseline=80, target=90)
    engine.recompute_contracts([contract.pk], as_of=date(2025, 10, 15))
    assert IndicatorStatus.objects.filter(contract=contract).exists()

    recompute = psycopg2.connect(database_url())  # a recompute's transaction, half-way
    recompute.autocommit = False
    done = threading.Event()
    failures = []

    def delete():
        try:
            type(contract).objects.get(pk=contract.pk).delete()
        except Exception as error:  # reported below, in the test's thread
            failures.append(error)
        finally:
            connection.close()
            done.set()

    try:
        with recompute.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [engine.LOCK_NAMESPACE, contract.pk])
            cursor.execute(
                "INSERT INTO indicators_indicatorstatus (contract_id, indicator_id, school_id, "
                "contract_year, accountable, as_of, value, status, computed_at) "
                "VALUES (%s, %s, NULL, 2, FALSE, %s, 85, 'on_track', now())",
                [contract.pk, attendance.pk, date(2025, 10, 15)],
            )
            cursor.execute(
                "INSERT INTO indicators_yearaggregate (contract_id, contract_year, indicator_id, "
                "school_id, year_start, cutoff, n, s, last_value) "
                "VALUES (%s, 1, %s, %s, %s, %s, 1, 84, 84)",
                [
                    contract.pk,
                    attendance.pk,
                    contract.schools.first().pk,
                    date(2024, 7, 1),
                    date(2025, 6, 30),
                ],
            )
        thread = threading.Thread(target=delete)
        thread.start()
        time.sleep(0.5)
        assert not done.is_set(), "the deletion should wait for the recompute holding the contract"
        recompute.commit()
        assert done.wait(10)
        thread.join()
    finally:
        recompute.close()
    assert not failures
    assert not type(contract).objects.filter(pk=contract.pk).exists()
    assert not IndicatorStatus.objects.filter(contract_id=contract.pk).exists()
    assert not YearAggregate.objects.filter(contract_id=contract.pk).exists()


def test_a_recompute_of_a_contract_being_deleted_waits_and_writes_nothing():
    contract = ContractFactory(
        start_date=date(2024, 7, 1), end_date=date(2029, 6, 30), lifecycle_status="active"
    )
    Target.objects.create(
        contract=contract, indicator=indicator("attendance_rate"), contract_year=1, baseline=80, target=90
    )
    deleted, release, recomputed = threading.Event(), threading.Event(), threading.Event()
    failures = []

    def delete():  # a deletion, held open after its deletes
        try:
            with transaction.atomic():
                type(contract).objects.get(pk=contract.pk).delete()
                deleted.set()
                release.wait(10)
        finally:
            connection.close()

    def recompute():
        try:
            engine.recompute_contracts([contract.pk], as_of=date(2025, 10, 15))
        except Exception as error:  # reported below, in the test's thread
            failures.append(error)
        finally:
            connection.close()
            recomputed.set()

    deleter = threading.Thread(target=delete)
    deleter.start()
    try:
        assert deleted.wait(10)
        recomputing = threading.Thread(target=recompute)
        recomputing.start()
        time.sleep(0.5)
        assert not recomputed.is_set(), "the recompute should wait for the deletion holding the contract"
    finally:
        release.set()
        deleter.join()
    assert recomputed.wait(10)
    recomputing.join()
    assert not failures  # without the lock it would have computed the contract and failed at commit
    assert not IndicatorStatus.objects.filter(contract_id=contract.pk).exists()
