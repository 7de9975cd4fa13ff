"""A user creates an API token on their profile page, a client uses it, and the user revokes it."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.factories import ContractFactory, DistrictFactory, user_with_role
from turnaround.models import Role


def api_get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_user_creates_uses_and_revokes_an_api_token(live_server, page):
    district = DistrictFactory(name="Token District")
    contract = ContractFactory(district=district, name="Token contract")
    user_with_role(Role.DISTRICT_STAFF, district, username="dana", first_name="Dana", last_name="Diaz")
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill("test-password")
    page.get_by_role("button", name="Sign in").click()

    # The name in the navbar leads to the profile, where the tokens are.
    page.get_by_test_id("profile-link").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(page.get_by_test_id("no-tokens")).to_be_visible()
    page.get_by_label("What is it for?").fill("District data warehouse")
    page.get_by_label("Valid for").select_option("30")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_test_id("new-token").input_value()
    assert len(token) == 64
    row = page.get_by_test_id("token-table").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("District data warehouse")
    expect(row).to_contain_text(token[:15])

    status, body = api_get(f"{live_server.url}/api/v1/contracts/", token)
    assert status == 200 and [c["name"] for c in body["results"]] == [contract.name]

    # The token is shown once: a fresh page lists it by its first characters only.
    page.reload()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(token)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke District data warehouse").click()
    expect(page.get_by_test_id("token-revoked")).to_be_visible()
    expect(page.get_by_test_id("no-tokens")).to_be_visible()
    status, body = api_get(f"{live_server.url}/api/v1/contracts/", token)
    assert status == 401 and body == {"detail": "Invalid token."}
