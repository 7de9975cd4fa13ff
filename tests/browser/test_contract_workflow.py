"""The district office's whole workflow in the browser: the demo `district` user runs an RFP to a
signed (active) contract with targets, sees its status (recomputed by a real worker; in-process
on the embedded defaults) and its chart, and records a review and a renewal decision.
Screenshots of the main pages go to test-results/screenshots/ (not committed) for people to
look at."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contracts.models import ContractDecision, PerformanceContract, add_years
from indicators.models import Indicator
from partners.models import Organization
from turnaround.demo import school_year_start

from .conftest import DEMO_PASSWORD, load_demo_data

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
CANDIDATES = ["Garfield Park Academy High School", "Tilton Elementary School", "Morse Middle School"]


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_district_user_runs_an_rfp_to_an_active_contract_and_a_renewal(live_server, page, task_runner):
    load_demo_data()
    today = timezone.localdate()
    start = school_year_start(today)  # contract year 1 is under way, last year's data are the baseline
    end = add_years(start, 3) - timedelta(days=1)
    partner = Organization.objects.get(name="Commonwealth Turnaround Collaborative (demo)")
    attendance = Indicator.objects.get(code="attendance_rate")
    ela = Indicator.objects.get(code="ela_proficiency")
    page.set_default_timeout(20_000)
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("district")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # An RFP for the three schools under no contract.
    page.get_by_role("link", name="Contracts").first.click()
    page.get_by_test_id("rfps-link").click()
    page.get_by_role("link", name="New RFP").click()
    page.get_by_label("Title").fill("Lead Partner for the Garfield Park cluster")
    page.get_by_label("Description").fill("A high school and its two feeder schools on the West Side.")
    page.get_by_label("Selection criteria").fill(
        "Turnaround track record; a whole-school model; the self-audit."
    )
    for name in CANDIDATES:
        page.get_by_label(name).check()
    page.get_by_label("Issued on").fill(f"{today - timedelta(days=60):%Y-%m-%d}")
    page.get_by_label("Proposals due on").fill(f"{today - timedelta(days=20):%Y-%m-%d}")
    page.get_by_label("Status").select_option("open")
    shot(page, "01-rfp-form")
    page.get_by_role("button", name="Save RFP").click()
    expect(page.get_by_role("heading", name="Lead Partner for the Garfield Park cluster")).to_be_visible()
    expect(page.get_by_test_id("rfp-schools")).to_contain_text("Morse Middle School")

    # A proposal, scored with the rubric; the organization's self-audit shows as soon as it is picked.
    page.get_by_role("link", name="Record a proposal").click()
    page.wait_for_load_state()  # htmx, loaded last, listens for the change before we make it
    page.get_by_label("Organization").select_option(str(partner.pk))
    expect(page.get_by_test_id("self-audit-preview")).to_contain_text("Self-audit of")
    page.get_by_label("Summary").fill("A whole-school model with field staff in each school every day.")
    for label, rating in [
        ("Track record", "3"),
        ("School model", "4"),
        ("Capacity", "3"),
        ("Community", "3"),
        ("Budget", "4"),
    ]:
        page.get_by_label(label).select_option(rating)
    page.get_by_label("Status").select_option("under_review")
    shot(page, "02-proposal-form")
    expect(page.get_by_label("Submitted on")).to_have_value(f"{today:%Y-%m-%d}")
    page.get_by_role("button", name="Save proposal").click()
    expect(page.get_by_test_id("proposal-score")).to_be_visible()
    proposal = partner.proposals.get(rfp__title="Lead Partner for the Garfield Park cluster")
    assert proposal.score is not None and proposal.self_audit is not None
    expect(page.get_by_test_id("proposal-score")).to_have_text(str(proposal.score))
    shot(page, "03-rfp-detail")

    # Selecting it drafts the contract.
    page.get_by_role("link", name="Select").click()
    page.get_by_label("Reference").fill("CPS-LP-GARFIELD")
    page.locator("#id_name").fill("CTC Garfield Park cluster")
    page.get_by_label("Name of the new cluster").fill("Garfield Park cluster")
    page.get_by_label("Start date").fill(f"{start:%Y-%m-%d}")
    page.get_by_label("End date").fill(f"{end:%Y-%m-%d}")
    shot(page, "04-select-proposal")
    page.get_by_role("button", name="Select and draft the contract").click()
    expect(page.get_by_role("heading", name="CTC Garfield Park cluster")).to_be_visible()
    expect(page.locator(".lifecycle-badge").first).to_have_text("Draft")
    expect(page.get_by_test_id("undecided-warning")).to_be_visible()
    contract = PerformanceContract.objects.get(reference="CPS-LP-GARFIELD")
    assert contract.autonomies.exists() and contract.responsibilities.filter(owner="undecided").exists()

    # Targets, with the baselines filled from last year's data.
    page.get_by_role("button", name="Edit").click()
    page.get_by_role("link", name="Targets", exact=True).click()
    baseline = page.locator(f'input[name="baseline-{attendance.pk}"]')
    assert float(baseline.input_value()) > 80
    page.locator(f'input[name="target-{attendance.pk}-1"]').fill("88")
    page.locator(f'input[name="target-{attendance.pk}-2"]').fill("91")
    page.locator(f'input[name="target-{attendance.pk}-3"]').fill("94")
    page.locator(f'input[name="target-{ela.pk}-3"]').fill("30")
    page.get_by_role("button", name="Save targets").click()
    expect(page.get_by_test_id("grid-saved")).to_contain_text("4 new")
    shot(page, "05-target-grid")
    page.get_by_role("link", name="Back to the contract").click()

    # Signed: draft -> pre-launch -> active, each with its reason.
    for status, reason in [
        ("pre_launch", "MOU signed with the Board of Education."),
        ("active", "Contract year 1 begins."),
    ]:
        page.get_by_role("link", name="Change status").click()
        page.get_by_label("New status").select_option(status)
        page.get_by_label("Reason").fill(reason)
        if status == "active":
            shot(page, "06-change-status")
        page.get_by_role("button", name="Change status").click()
        expect(page.get_by_test_id("status-history")).to_contain_text(reason)
    expect(page.locator(".lifecycle-badge").first).to_have_text("Active")

    # The worker recomputes; the page refreshes its status section in place (the test fires the
    # refresh sooner than the 30-second poll).
    performance = page.get_by_test_id("performance-status")
    for _ in range(40):
        if performance.count() and performance.inner_text() in ("On track", "At risk", "Off track"):
            break
        page.evaluate("htmx.trigger('#indicator-statuses', 'refresh')")
        page.wait_for_timeout(500)
    expect(performance).to_have_text(re.compile("On track|At risk|Off track"))
    page.reload()
    chart = page.locator(f'canvas[data-testid="chart"][data-indicator="{attendance.code}"]')
    expect(chart).to_have_attribute("data-ready", "true")
    expect(page.locator(f'[data-testid="targets"] tr[data-indicator="{attendance.code}"]')).to_contain_text(
        "accountable"
    )
    shot(page, "07-contract-page")
    page.get_by_test_id("charts").screenshot(path=str(SCREENSHOTS / "07b-charts.png"))
    page.locator("#timeline-heading").locator("..").screenshot(path=str(SCREENSHOTS / "07c-timeline.png"))
    page.locator("#performance-heading").locator("../..").screenshot(
        path=str(SCREENSHOTS / "07d-targets-and-values.png")
    )

    # A year 1 review and a renewal decision, which keeps the statuses as its evidence.
    page.get_by_role("link", name="Record review").click()
    page.get_by_label("Findings").fill("Attendance is up in all three schools; the culture work is visible.")
    page.get_by_label("Recommendation").select_option("renew")
    page.get_by_role("button", name="Save review").click()
    page.get_by_role("link", name="Record decision").click()
    page.get_by_label("Decision").select_option("renewal")
    page.get_by_label("After review").select_option(index=1)
    page.get_by_label("Rationale").fill("Leading indicators on track; renew for a second term.")
    shot(page, "08-decision-form")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".lifecycle-badge").first).to_have_text("Renewed")
    expect(page.get_by_test_id("decisions")).to_contain_text("Renew")
    decision = ContractDecision.objects.get(contract=contract)
    assert decision.status_change.to_status == "renewed" and decision.evidence
    assert any(row["indicator"] == attendance.code for row in decision.evidence)
    page.get_by_test_id("decision-evidence").locator("summary").click()
    shot(page, "09-contract-after-decision")
    page.get_by_test_id("decisions").screenshot(path=str(SCREENSHOTS / "09b-decision-evidence.png"))
    page.get_by_test_id("change-history").screenshot(path=str(SCREENSHOTS / "09c-change-history.png"))

    # The formset pages, as the district user sees them.
    page.get_by_role("button", name="Edit").click()
    page.get_by_role("link", name="Responsibility split").click()
    expect(page.get_by_test_id("formset")).to_be_visible()
    shot(page, "10-responsibilities")

    # On a phone the contract page stacks its sections and the wide tables scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/contracts/{contract.pk}/")
    expect(page.get_by_test_id("phase-timeline")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page is {width}px wide on a phone"
    shot(page, "11-contract-page-phone")
    page.screenshot(path=str(SCREENSHOTS / "11b-contract-top-phone.png"))
    page.locator("#timeline-heading").locator("..").screenshot(
        path=str(SCREENSHOTS / "11c-timeline-phone.png")
    )
