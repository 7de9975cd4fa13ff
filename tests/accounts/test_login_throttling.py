"""Login throttling (django-axes): N wrong passwords for one username from one address lock that
username from that address, with a clear message on the login page; the right password is then
refused too, until the cool-off is over or an administrator deletes the attempt in the admin. The
API's token endpoint counts and refuses alike."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import DistrictFactory, UserFactory, user_with_role
from turnaround.models import Role

pytestmark = pytest.mark.django_db
LIMIT = 3
OFFICE = "203.0.113.10"


@pytest.fixture(autouse=True)
def axes_on(settings):
    """The test settings turn throttling off (Client.login() and authenticate() without a request
    would trip it); here it runs as in production, with a limit of 3."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)


@pytest.fixture
def dana():
    return user_with_role(Role.DISTRICT_STAFF, DistrictFactory(), username="dana")


def sign_in(client, password, username="dana"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=OFFICE)


def locked_message(response):
    return "Too many failed sign-ins with this username from your address" in response.content.decode()


def test_wrong_passwords_lock_the_username_from_that_address_and_the_admin_unlocks_it(dana, portal_clock):
    browser = Client()
    for _ in range(LIMIT - 1):
        response = sign_in(browser, "wrong")
        assert response.status_code == 200 and not locked_message(response)
        assert "Please enter a correct username and password" in response.content.decode()
    response = sign_in(browser, "wrong")  # the limit-th failure locks
    assert response.status_code == 429 and locked_message(response)
    assert "locked for 30 minutes" in response.content.decode()
    assert 'name="username"' in response.content.decode()  # still the login page

    # the right password is refused as well, with the same message, and signs nobody in
    response = sign_in(browser, "test-password")
    assert response.status_code == 429 and locked_message(response)
    assert "_auth_user_id" not in browser.session

    # an administrator sees the lock in the admin and deletes it
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    attempt = AccessAttempt.objects.get(username="dana", ip_address=OFFICE)
    listing = admin.get("/admin/axes/accessattempt/?locked_out=yes")
    assert listing.status_code == 200 and "dana" in listing.content.decode()
    response = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()

    response = sign_in(browser, "test-password")
    assert response.status_code == 302 and response["Location"] == "/"
    assert browser.session["_auth_user_id"] == str(dana.pk)


def test_the_lock_ends_after_the_cool_off(dana, portal_clock):
    browser = Client()
    for _ in range(LIMIT):
        sign_in(browser, "wrong")
    assert sign_in(browser, "test-password").status_code == 429
    portal_clock.shift(timedelta(minutes=31))
    assert sign_in(browser, "test-password").status_code == 302


def test_the_lock_is_per_username_and_address(dana):
    """Another address (a colleague in another office) and another username (a colleague at the
    same address) still sign in: nobody locks a whole office out, nor a user from everywhere."""
    user_with_role(Role.DISTRICT_STAFF, DistrictFactory(), username="ruth")
    for _ in range(LIMIT):
        sign_in(Client(), "wrong")
    assert sign_in(Client(), "test-password").status_code == 429
    elsewhere = Client().post(
        "/accounts/login/", {"username": "dana", "password": "test-password"}, REMOTE_ADDR="198.51.100.5"
    )
    assert elsewhere.status_code == 302
    assert sign_in(Client(), "test-password", username="ruth").status_code == 302


def test_rotating_x_forwarded_for_does_not_escape_the_lock(dana):
    """With no proxy in front (NUM_PROXIES=0) the header is the client's own, and ignored."""
    for n in range(LIMIT):
        Client().post(
            "/accounts/login/",
            {"username": "dana", "password": "wrong"},
            REMOTE_ADDR=OFFICE,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    response = Client().post(
        "/accounts/login/",
        {"username": "dana", "password": "test-password"},
        REMOTE_ADDR=OFFICE,
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert response.status_code == 429 and locked_message(response)


def test_a_successful_sign_in_resets_the_count(dana):
    for _ in range(LIMIT - 1):
        sign_in(Client(), "wrong")
    assert sign_in(Client(), "test-password").status_code == 302
    for _ in range(LIMIT - 1):
        sign_in(Client(), "wrong")
    assert sign_in(Client(), "test-password").status_code == 302


def test_the_token_endpoint_counts_failures_and_answers_a_lock_with_429(dana):
    api = APIClient(REMOTE_ADDR=OFFICE)
    url = "/api/v1/auth/token/"
    for _ in range(LIMIT - 1):
        assert api.post(url, {"username": "dana", "password": "wrong"}).status_code == 400
    locked = api.post(url, {"username": "dana", "password": "wrong"})
    assert locked.status_code == 429
    assert locked.json()["detail"].startswith("Too many failed sign-ins with this username")
    right = api.post(url, {"username": "dana", "password": "test-password"})
    assert right.status_code == 429
    # and the login page is locked for the same username and address
    assert sign_in(Client(), "test-password").status_code == 429
