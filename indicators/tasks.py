"""Celery tasks of the indicator engine.

- recompute_contracts: one batch of contracts, one transaction per engine batch. Late
  acknowledgement with reject-on-worker-lost: a worker killed in the middle gives the message back
  and the statuses stay as they were until the redelivered task finishes the job.
- recompute_all: fans every contract out in batches; beat runs it nightly.
- schedule_recompute: called inside a transaction that changed measurements, targets or
  contracts; after commit it enqueues one task for the affected contracts, coalesced so that a
  burst of changes gives one recompute per contract.
"""

import logging
import threading
from datetime import date

from celery import group, shared_task
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction

from . import engine

log = logging.getLogger(__name__)

# Contracts per fanned-out task of a full recompute (one engine batch each): small enough that
# the tasks spread evenly over the worker processes (1,250 contracts: 13 tasks) and a redelivered
# task redoes little, large enough that a task's fixed cost stays small.
FANOUT_BATCH = 100
# Wait this long after a commit before recomputing, so that the changes of a burst (an API client
# pushing values one by one, a form saved several times) land in one recompute.
COALESCE_SECONDS = 2
# A contract marked pending is not enqueued again until the task starts (or this expires, should
# the task be lost).
PENDING_TTL = 10 * 60
# A message delivered this many times without finishing is dropped (a task that kills its worker
# would otherwise come back forever).
MAX_DELIVERIES = 5

_local = threading.local()


def _pending_key(contract_id):
    return f"indicators:recompute-pending:{contract_id}"


def schedule_recompute(contract_ids):
    """Recompute these contracts shortly after the current transaction commits."""
    ids = {int(i) for i in contract_ids if i is not None}
    if not ids:
        return
    pending = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = set()
    pending |= ids
    # One callback per call: if a savepoint rolls back and drops its callbacks, a later callback
    # of the outer transaction still flushes the ids. Surplus callbacks find the set empty.
    transaction.on_commit(_enqueue_pending)


def _enqueue_pending():
    ids = getattr(_local, "pending", None) or set()
    _local.pending = None
    fresh = [i for i in sorted(ids) if cache.add(_pending_key(i), 1, timeout=PENDING_TTL)]
    if fresh:
        recompute_contracts.apply_async((fresh,), countdown=COALESCE_SECONDS)


def _parse_date(value):
    return date.fromisoformat(value) if value else None


@shared_task(
    bind=True,
    name="indicators.recompute_contracts",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=6,
)
def recompute_contracts(self, contract_ids, as_of=None):
    """Recompute the statuses of these contracts (ids), as of a date (ISO string, default today)."""
    deliveries = _count_delivery(self.request.id)
    if deliveries > MAX_DELIVERIES:
        log.error("recompute of %s dropped after %s deliveries", contract_ids, deliveries - 1)
        return {"contracts": len(contract_ids), "statuses": 0, "dropped": True}
    # Clear the pending marks first: a change committed while this runs schedules another run.
    cache.delete_many([_pending_key(i) for i in contract_ids])
    produced = engine.recompute_contracts(contract_ids, as_of=_parse_date(as_of))
    cache.delete(_delivery_key(self.request.id))
    return {"contracts": len(contract_ids), "statuses": produced}


def fanout(as_of=None):
    """Every contract as a group of recompute_contracts tasks, FANOUT_BATCH contracts a task.

    The workers run the batches side by side: a full recompute takes about the time of one
    process's share of the batches.
    """
    from contracts.models import PerformanceContract

    ids = list(PerformanceContract.objects.order_by("pk").values_list("pk", flat=True))
    batches = [ids[i : i + FANOUT_BATCH] for i in range(0, len(ids), FANOUT_BATCH)]
    return group(recompute_contracts.s(batch, as_of) for batch in batches), len(ids)


@shared_task(name="indicators.recompute_all", acks_late=True)
def recompute_all(as_of=None):
    """Fan every contract out to recompute_contracts; beat runs this nightly."""
    tasks, contracts = fanout(as_of)
    tasks.apply_async()
    return {"contracts": contracts, "tasks": len(tasks.tasks)}


def _delivery_key(task_id):
    return f"indicators:deliveries:{task_id}"


def _count_delivery(task_id):
    if not task_id:
        return 1
    key = _delivery_key(task_id)
    cache.add(key, 0, timeout=24 * 3600)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=24 * 3600)
        return 1
