"""POST /api/v1/auth/token/ is limited per client address, and the address is never one the client
chooses: X-Forwarded-For counts only as far as NUM_PROXIES says proxies wrote it."""

import pytest
from rest_framework.test import APIClient

from tests.factories import DistrictFactory, user_with_role
from turnaround.api.auth import TokenRequestThrottle
from turnaround.models import Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def three_an_hour(monkeypatch):
    monkeypatch.setitem(TokenRequestThrottle.THROTTLE_RATES, "token", "3/hour")


@pytest.fixture
def dana():
    return user_with_role(Role.DISTRICT_STAFF, DistrictFactory(), username="dana")


def guess(forwarded_for, remote_addr="203.0.113.7"):
    return APIClient().post(
        URL,
        {"username": "dana", "password": "a-wrong-guess"},
        HTTP_X_FORWARDED_FOR=forwarded_for,
        REMOTE_ADDR=remote_addr,
    )


def test_rotating_x_forwarded_for_does_not_reset_the_limit(dana):
    """No proxy (NUM_PROXIES=0, the default): the header is the client's own, and ignored."""
    statuses = [guess(f"198.51.100.{n}").status_code for n in range(5)]
    assert statuses == [400, 400, 400, 429, 429]
    # the right password is refused too until the hour is over
    response = APIClient().post(
        URL,
        {"username": "dana", "password": "test-password"},
        HTTP_X_FORWARDED_FOR="192.0.2.99",
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 429


def test_another_address_has_its_own_budget(dana):
    for n in range(3):
        guess(f"198.51.100.{n}")
    assert guess("198.51.100.1").status_code == 429
    assert guess("198.51.100.1", remote_addr="203.0.113.8").status_code == 400


def test_behind_one_proxy_only_the_address_the_proxy_appended_counts(dana, settings):
    """NUM_PROXIES=1: the proxy appends the address it saw; whatever the client put before it is
    the client's own and rotating it changes nothing."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    statuses = [guess(f"10.0.0.{n}, 198.51.100.20", remote_addr="172.16.0.2").status_code for n in range(5)]
    assert statuses == [400, 400, 400, 429, 429]
    # another client behind the same proxy is counted on its own
    assert guess("198.51.100.21", remote_addr="172.16.0.2").status_code == 400
