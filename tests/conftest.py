"""Shared fixtures. Set REQUIRE_SERVICES=1 (CI does) to turn a missing PostgreSQL, Redis or browser
into a failure instead of a skip. Every test runs at a pinned instant (tests/clock.py)."""

import os

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from tests.clock import at, pinned_now
from turnaround.celery import app

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def skip_or_fail(reason):
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1: this test must run here)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def portal_clock(request):
    """Pins the clock at the suite's instant (tests/clock.py), or at the test's own:
    `@pytest.mark.portal_now("2026-06-30 23:30")` (portal time). Yields time-machine's traveller."""
    marker = request.node.get_closest_marker("portal_now")
    instant = at(marker.args[0]) if marker else pinned_now()
    with time_machine.travel(instant, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (it holds the recompute coalescing marks)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def postgres():
    """Use in a test that must run on PostgreSQL."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        skip_or_fail("needs DATABASE_URL=postgres://...")


# A real Celery worker on the Redis broker. Eager mode is not a test of the task path, so these
# need CELERY_BROKER_URL (CI sets it) and skip without it, or fail with REQUIRE_SERVICES=1.
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
def task_runner(request):
    """The portal's tasks as they run here: on a real worker where a broker is configured (CI, where
    REQUIRE_SERVICES=1 insists on one), else in-process after each commit, as `make run` runs
    them on the embedded defaults. For browser tests that walk the whole path either way."""
    if settings.CELERY_BROKER_URL or REQUIRE_SERVICES:
        return request.getfixturevalue("celery_worker")
    return None


@pytest.fixture
def celery_worker(broker):
    """A worker in a thread of the test process."""
    import celery.contrib.testing.tasks  # noqa: F401  registers celery.ping for the worker's ping check

    with start_worker(app, pool="solo", concurrency=1, shutdown_timeout=30) as worker:
        yield worker
