"""The clock of the tests: every test runs at one pinned instant of the portal's time zone, with
the process clock in UTC, so that no test depends on the day it happens to run.

The default instant is a Wednesday evening after 18:00 in the portal's time zone, when UTC is
already on the next day: code that took "today" from the UTC clock instead of
`timezone.localdate()` gives the wrong date there. `PORTAL_TEST_NOW` (a portal-local date and
time, ISO 8601) runs the whole suite at another instant: a Saturday, a Sunday, the evening of
30 June... A test that needs an instant of its own says so with `@pytest.mark.portal_now(...)`, or
moves the `portal_clock` fixture's traveller (`portal_clock.move_to(at("2026-06-30 23:30"))`).

The clock keeps ticking from the pinned instant (live servers, workers and timeouts need time to
pass); Python's clock only: PostgreSQL's `now()` and Chromium keep the machine's, so the portal
never asks either for the date."""

import datetime as dt
import os
from zoneinfo import ZoneInfo

from django.conf import settings

PORTAL_TZ = ZoneInfo(settings.TIME_ZONE)
DEFAULT_NOW = "2026-10-14 20:30"  # Wednesday, 01:30 on Thursday in UTC


def at(text):
    """The UTC instant of a portal-local date and time ("2026-06-30 23:30", or a date alone for
    noon), as time-machine takes it: a UTC datetime also sets the process's TZ to UTC."""
    moment = dt.datetime.fromisoformat(text)
    if len(text) <= 10:
        moment = moment.replace(hour=12)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PORTAL_TZ)
    return moment.astimezone(dt.UTC)


def pinned_now():
    """The instant every test starts at, unless it asks for its own."""
    return at(os.environ.get("PORTAL_TEST_NOW") or DEFAULT_NOW)
