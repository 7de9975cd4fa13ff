"""A real Celery worker, in a thread of the test process, consuming from the Redis broker.

Eager mode is not a test of the task path, so these tests need CELERY_BROKER_URL (CI sets it) and
skip without it, or fail with REQUIRE_SERVICES=1."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from tests.conftest import skip_or_fail
from turnaround.celery import app


@pytest.fixture
def celery_worker(transactional_db):
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        skip_or_fail("needs CELERY_BROKER_URL=redis://...")
    app.conf.task_always_eager = False
    import celery.contrib.testing.tasks  # noqa: F401  registers celery.ping for the worker's ping check

    with start_worker(app, pool="solo", concurrency=1, shutdown_timeout=30) as worker:
        yield worker
