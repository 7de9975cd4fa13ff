"""Operational tasks of the portal itself."""

from celery import shared_task
from django.db import connection


@shared_task(name="turnaround.check_services")
def check_services():
    """Answer from a worker: proves that the broker delivers, that the worker reaches the database
    and which database it reaches. `celery -A turnaround call turnaround.check_services`."""
    from contracts.models import PerformanceContract

    return {
        "database": connection.vendor,
        "contracts": PerformanceContract.objects.count(),
    }


@shared_task(name="turnaround.prune_security_log")
def prune_security_log():
    """The security log's retention rule (SECURITY_LOG_RETENTION_DAYS), applied nightly."""
    from .security import prune

    return prune()
