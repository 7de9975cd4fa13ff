"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright's sync API runs an event loop in this thread, so Django would refuse ORM calls made
from the test itself (SynchronousOnlyOperation); allowed here, for the browser tests only."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import skip_or_fail

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
DEMO_PASSWORD = "demo-password"
DEMO_USERS = ["district", "state", "partner", "field", "admin"]
# A browser test fails after this many seconds, whatever it waits for; each browser action after
# ACTION_TIMEOUT_MS (Playwright's own default is 30 s, and none for evaluate).
BROWSER_TEST_TIMEOUT = 180
ACTION_TIMEOUT_MS = 20_000


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing: apt-get install chromium")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


@pytest.fixture
def context(context):
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


def load_demo_data():
    """The demo data and users of `manage.py seed_demo` (after the catalogs the migrations load,
    which an earlier transactional test may have flushed)."""
    from tests.factories import ensure_catalogs

    ensure_catalogs()
    call_command("seed_demo", "--allow-production")  # the tests run with DEBUG off
