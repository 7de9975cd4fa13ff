"""The Content Security Policy in a real browser: the pages of each kind of demo user, the admin and
the API docs load with no violation reported (the browser's `securitypolicyviolation` events and
its console), and what runs on them still works under it: htmx swaps, the charts, Swagger UI."""

import contextlib
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from contracts.models import PerformanceContract
from partners.models import Organization
from schools.models import School

from .conftest import DEMO_PASSWORD, load_demo_data

# Every violation on any page, reported to the test through a function the page may call.
LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.reportCspViolation(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`
    + ` on ${location.pathname}`
  );
});
"""


@pytest.fixture
def violations(page):
    found = []
    page.expose_function("reportCspViolation", lambda text: found.append(text))
    page.add_init_script(LISTENER)
    page.on(
        "console",
        lambda message: (
            found.append(f"console: {message.text}") if "Content Security Policy" in message.text else None
        ),
    )
    return found


def log_in(page, live_server, username):
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()


def log_out(page, live_server):
    page.goto(live_server.url + reverse("profile"))
    page.get_by_test_id("logout").click()
    expect(page.get_by_label("Username")).to_be_visible()


def visit(page, live_server, url):
    response = page.goto(live_server.url + url)
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"], url
    # Give the fragments and scripts a page starts time to load (a busy machine may never be idle
    # for long: the listener reports whatever happens before the next page anyway).
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=5_000)


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_no_page_reports_a_violation_and_scripts_still_work(live_server, page, violations):
    load_demo_data()
    district = get_user_model().objects.get(username="district")
    contract = PerformanceContract.objects.visible_to(district).get(reference="CPS-LP-ENGLEWOOD")
    school = School.objects.visible_to(district).filter(contract_links__contract=contract).first()
    partner = Organization.objects.get(pk=contract.lead_partner_id)

    # A district user: the dashboard, whose htmx fragments load and whose search swaps in place.
    log_in(page, live_server, "district")
    expect(page.get_by_test_id("attention-placeholder")).to_have_count(0)
    page.get_by_label("Search").fill("Harvard")
    expect(page).to_have_url(re.compile(r"[?&]q=Harvard"))
    expect(page.locator("[data-testid=contract-results] tr[data-contract-id]")).to_have_count(1)
    # The contract page draws its charts with Chart.js, the school page too.
    visit(page, live_server, reverse("contracts:detail", args=[contract.pk]))
    expect(page.locator('canvas[data-testid="chart"]').first).to_have_attribute("data-ready", "true")
    visit(page, live_server, reverse("schools:detail", args=[school.pk]))
    expect(page.locator("canvas[data-chart]").first).to_have_attribute("data-drawn", "true")
    # The partner page's track record bars are SVG, drawn without inline styles.
    visit(page, live_server, reverse("partners:detail", args=[partner.pk]))
    assert page.locator("svg.track-bar rect").count() > 0
    for url in (
        reverse("contracts:list"),
        reverse("contracts:targets", args=[contract.pk]),
        reverse("partners:presence"),
        reverse("partners:visits"),
        reverse("schools:calendar"),
        reverse("indicators:measurements"),
        reverse("indicators:imports"),
        reverse("indicators:import_new"),
        reverse("profile"),
    ):
        visit(page, live_server, url)
    # The API docs: Swagger UI starts from its own script file and reads the schema.
    visit(page, live_server, reverse("api:docs"))
    expect(page.get_by_role("heading", name=re.compile("Lead Partner turnaround portal API"))).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    log_out(page, live_server)

    # A field staff member's visit form; a contract they may read but not change answers 403, and
    # its Back button (a script's, no longer a javascript: link) leads back.
    log_in(page, live_server, "field")
    visit(page, live_server, reverse("partners:visit_new"))
    field = get_user_model().objects.get(username="field")
    theirs = PerformanceContract.objects.visible_to(field).first()
    assert page.goto(live_server.url + reverse("contracts:edit", args=[theirs.pk])).status == 403
    page.get_by_role("button", name="Back").click()
    expect(page).to_have_url(live_server.url + reverse("partners:visit_new"))
    log_out(page, live_server)

    # The admin: its login page, the index, a change list, a change form and a history.
    visit(page, live_server, reverse("admin:login"))
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()
    visit(page, live_server, reverse("admin:contracts_performancecontract_changelist"))
    visit(page, live_server, reverse("admin:partners_organization_change", args=[partner.pk]))
    visit(page, live_server, reverse("admin:contracts_performancecontract_history", args=[contract.pk]))

    assert violations == []

    # The listener does hear a violation: an inline style that a script adds is refused.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<div style=\"color: red\">x</div>')")
    page.wait_for_timeout(500)
    assert any("style-src" in v for v in violations), violations
