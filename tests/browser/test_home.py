"""Each demo user logs in through the form, sees exactly their contracts and their role's navbar."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from contracts.models import PerformanceContract

from .conftest import DEMO_PASSWORD, DEMO_USERS, load_demo_data

BOOTSTRAP_CSS = "/static/vendor/bootstrap/css/bootstrap.min.css"

NAVBAR = {
    "district": ["Home", "Contracts", "Schools", "Partners", "Values", "Imports", "Field visits"],
    "state": ["Home", "Contracts", "Schools", "Partners", "Values", "Field visits"],
    "partner": ["Home", "Contracts", "Schools", "Values", "Imports", "Field visits"],
    "field": ["Home", "Schools", "Field visits"],
    "admin": ["Home", "Contracts", "Schools", "Partners", "Values", "Imports", "Field visits", "Admin"],
}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_each_demo_user_sees_exactly_their_contracts(live_server, page):
    load_demo_data()
    page.set_default_timeout(15_000)
    static_responses = {}
    page.on("response", lambda r: static_responses.__setitem__(r.url.split("?")[0], r.status))
    home_url = live_server.url + "/"
    login_url = re.compile(re.escape(live_server.url) + r"/accounts/login/")

    for username in DEMO_USERS:
        user = get_user_model().objects.get(username=username)
        expected = set(PerformanceContract.objects.visible_to(user).values_list("pk", flat=True))

        # Given a signed-out user, the portal asks for a login first.
        page.goto(home_url)
        expect(page).to_have_url(login_url)
        # When they sign in through the form,
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        # then they land on the home page with exactly the contracts in their scope,
        expect(page).to_have_url(home_url)
        expect(page.get_by_role("heading", name="Your contracts")).to_be_visible()
        rows = page.locator("tr[data-contract-id]")
        shown = {int(pk) for pk in rows.evaluate_all("rows => rows.map(r => r.dataset.contractId)")}
        assert shown == expected, username
        if not expected:
            expect(page.get_by_test_id("empty-state")).to_be_visible()
        # the navbar fits their role and names them,
        labels = [text.strip() for text in page.locator("[data-testid=main-nav] .nav-link").all_inner_texts()]
        assert labels == NAVBAR[username], username
        expect(page.get_by_test_id("current-user")).to_contain_text(user.get_full_name() or username)
        # and the styles came from the local static files.
        assert static_responses.get(live_server.url + BOOTSTRAP_CSS) in (200, 304)  # 304: from the cache
        navbar_display = page.locator("nav.navbar").evaluate("el => getComputedStyle(el).display")
        assert navbar_display == "flex", "Bootstrap's CSS did not apply"

        # Logging out leads back to the login page, and the home page asks for a login again.
        page.get_by_test_id("logout").click()
        expect(page).to_have_url(login_url)
        page.goto(home_url)
        expect(page).to_have_url(login_url)

    assert all(url.startswith(live_server.url) for url in static_responses), "no CDN"
