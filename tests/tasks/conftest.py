"""A real Celery worker consuming from the Redis broker.

Eager mode is not a test of the task path, so these tests need CELERY_BROKER_URL (CI sets it) and
skip without it, or fail with REQUIRE_SERVICES=1."""

import os

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from tests.conftest import skip_or_fail
from turnaround.celery import app


def require_broker():
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        skip_or_fail("needs CELERY_BROKER_URL=redis://...")


@pytest.fixture
def broker(transactional_db):
    """The real broker, emptied of what earlier tests left in it; tasks are sent, not run eagerly."""
    require_broker()
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    app.control.purge()
    try:
        yield app
    finally:
        app.conf.task_always_eager = saved
        app.control.purge()


@pytest.fixture
def celery_worker(broker):
    """A worker in a thread of the test process."""
    import celery.contrib.testing.tasks  # noqa: F401  registers celery.ping for the worker's ping check

    with start_worker(app, pool="solo", concurrency=1, shutdown_timeout=30) as worker:
        yield worker


def database_url():
    """The URL of the test database, for a worker in another process."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def worker_environment(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=database_url(), CELERY_BROKER_URL=settings.CELERY_BROKER_URL, **extra)
    return env
