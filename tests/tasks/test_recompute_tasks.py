"""The recompute path through the real broker and a real worker."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from unittest import mock

import psycopg2
import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from contracts.models import Target
from indicators import engine, tasks
from indicators.models import IndicatorStatus, Measurement
from tests.factories import ClusterFactory, ContractFactory, DistrictFactory, indicator

from .conftest import database_url, worker_environment

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def contract_with_attendance(value=85.0):
    today = timezone.localdate()
    start = date(today.year - 1 if today.month < 7 else today.year, 7, 1)
    district = DistrictFactory()
    contract = ContractFactory(  # a cluster of one school: its value is the cluster's, complete
        district=district,
        cluster=ClusterFactory(district=district, schools=1),
        start_date=start,
        end_date=date(start.year + 5, 6, 30),
        lifecycle_status="active",
    )
    Target.objects.create(
        contract=contract, indicator=indicator("attendance_rate"), contract_year=1, baseline=80, target=90
    )
    school = contract.schools.first()
    Measurement.objects.create(
        school=school,
        indicator=indicator("attendance_rate"),
        period_start=start,
        period_end=start,
        value=value,
        source="form",
    )
    return contract, school, start


def wait_for(predicate, timeout=30, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def cluster_value(contract):
    row = IndicatorStatus.objects.filter(contract=contract, school=None).first()
    return row.value if row else None


def test_a_committed_measurement_is_recomputed_by_the_worker(celery_worker):
    contract, school, start = contract_with_attendance(85.0)
    assert wait_for(lambda: cluster_value(contract) == 85.0)
    with transaction.atomic():
        Measurement.objects.filter(school=school).update(value=70.0)
        Measurement.objects.get(school=school).save()  # a save: the signal schedules the recompute
    assert wait_for(lambda: cluster_value(contract) == 70.0)
    assert IndicatorStatus.objects.get(contract=contract, school=None).status == "off_track"


def test_a_burst_of_changes_gives_one_recompute_per_contract(broker):
    contract, school, start = contract_with_attendance()
    other, other_school, _ = contract_with_attendance()
    cache.clear()  # as if the recomputes that the set-up scheduled had started
    with mock.patch.object(tasks.recompute_contracts, "apply_async") as send:
        with transaction.atomic():
            for day in range(1, 200):
                for s in (school, other_school):
                    Measurement.objects.create(
                        school=s,
                        indicator=indicator("attendance_rate"),
                        period_start=start,
                        period_end=date.fromordinal(start.toordinal() + day),
                        value=80 + day % 10,
                        source="api",
                    )
        # A second transaction while the first recompute is still pending adds nothing.
        Measurement.objects.filter(school=school).first().save()
    assert send.call_count == 1
    assert sorted(send.call_args.args[0][0]) == sorted([contract.pk, other.pk])


def test_the_recompute_all_fans_out_and_is_idempotent(celery_worker):
    contracts = [contract_with_attendance(80.0 + i)[0] for i in range(3)]
    with mock.patch.object(tasks, "FANOUT_BATCH", 2):
        assert tasks.recompute_all.delay().get(timeout=30) == {"contracts": 3, "tasks": 2}
    assert wait_for(lambda: all(cluster_value(c) is not None for c in contracts))
    first = list(IndicatorStatus.objects.order_by("pk").values())
    tasks.recompute_contracts.delay([c.pk for c in contracts]).get(timeout=30)
    assert list(IndicatorStatus.objects.order_by("pk").values()) == first


def test_two_recomputes_of_one_contract_do_not_interleave(postgres):
    contract, school, start = contract_with_attendance(85.0)
    engine.recompute_contracts([contract.pk])
    holder = psycopg2.connect(database_url())
    holder.autocommit = False
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [engine.LOCK_NAMESPACE, contract.pk])
    done = threading.Event()

    def second():
        try:
            engine.recompute_contracts([contract.pk])
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=second)
    thread.start()
    try:
        assert not done.wait(1.5), "the second recompute ran while the first held the contract"
    finally:
        holder.rollback()
        holder.close()
    assert done.wait(30)
    thread.join()


def worker_children(pid):
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def backends_waiting_on_lock(cursor):
    cursor.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return [row[0] for row in cursor.fetchall()]


def test_a_worker_killed_mid_recompute_leaves_the_old_statuses_and_the_redelivered_task_finishes(
    broker, postgres, tmp_path
):
    contract, school, start = contract_with_attendance(85.0)
    engine.recompute_contracts([contract.pk])
    assert cluster_value(contract) == 85.0
    Measurement.objects.filter(school=school).update(value=60.0)  # no signal: nothing is scheduled

    # Hold the performance table, so that the worker blocks after writing the new statuses in its
    # transaction and before it commits.
    holder = psycopg2.connect(database_url())
    holder.autocommit = False
    holder_cursor = holder.cursor()
    holder_cursor.execute("LOCK TABLE indicators_contractperformance IN ACCESS EXCLUSIVE MODE")
    watcher = psycopg2.connect(database_url())
    watcher.autocommit = True
    watch = watcher.cursor()
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "turnaround",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=worker_environment(),
        stdout=log.open("w"),  # noqa: SIM115  closed with the process
        stderr=subprocess.STDOUT,
    )
    try:
        tasks.recompute_contracts.delay([contract.pk])
        assert wait_for(lambda: backends_waiting_on_lock(watch), timeout=60), log.read_text()
        [blocked] = backends_waiting_on_lock(watch)
        children = worker_children(worker.pid)
        assert len(children) == 1
        os.kill(children[0], signal.SIGKILL)
        # PostgreSQL notices a dead client when it next talks to it; end its session now.
        watch.execute("SELECT pg_terminate_backend(%s)", [blocked])
        assert wait_for(lambda: blocked not in backends_waiting_on_lock(watch))
        assert cluster_value(contract) == 85.0  # the killed run's writes are gone
        # The message comes back; a new pool process runs it and blocks at the same place.
        assert wait_for(lambda: backends_waiting_on_lock(watch), timeout=60), log.read_text()
        assert cluster_value(contract) == 85.0
        holder.rollback()  # let it through
        assert wait_for(lambda: cluster_value(contract) == 60.0, timeout=60), log.read_text()
    finally:
        holder.close()
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        watcher.close()
