from contextlib import contextmanager

import pytest
from django.test import RequestFactory
from simple_history.models import HistoricalRecords

from tests.views.conftest import world  # noqa: F401  the shared fixture


@contextmanager
def request_by(user, address="203.0.113.7"):
    """What django-simple-history's middleware does for a request of `user`: the writes inside are
    attributed to them."""
    request = RequestFactory().post("/", REMOTE_ADDR=address)
    request.user = user
    HistoricalRecords.context.request = request
    try:
        yield request
    finally:
        del HistoricalRecords.context.request


@pytest.fixture
def acting_as():
    return request_by
