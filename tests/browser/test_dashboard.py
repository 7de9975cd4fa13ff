"""The dashboard in a real browser: filters and search update the list in place and keep the URL,
the CSV and the evidence pack PDF download, and a partner cannot reach another partner's contract.
Screenshots of the pages land in test-results/screenshots/ (not in the repository)."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect
from pypdf import PdfReader

from contracts.models import PerformanceContract
from partners.models import Organization
from schools.models import School

from .conftest import DEMO_PASSWORD, load_demo_data

SCREENSHOTS = Path(settings.BASE_DIR) / "test-results" / "screenshots"


def log_in(page, live_server, username):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your contracts")).to_be_visible()


def shown_ids(page):
    rows = page.locator("[data-testid=contract-results] tr[data-contract-id]")
    return {int(pk) for pk in rows.evaluate_all("rows => rows.map(r => r.dataset.contractId)")}


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_district_user_filters_searches_and_exports(live_server, page):
    load_demo_data()
    page.set_default_timeout(20_000)
    user = get_user_model().objects.get(username="district")
    mine = PerformanceContract.objects.visible_to(user)
    englewood = mine.get(reference="CPS-LP-ENGLEWOOD")
    far_south = mine.get(reference="CPS-LP-FARSOUTH")

    log_in(page, live_server, "district")
    assert shown_ids(page) == set(mine.values_list("pk", flat=True))
    expect(page.get_by_test_id("count-total")).to_have_text(str(mine.count()))
    screenshot(page, "dashboard-district")

    # Search for a school: the list narrows in place (no page load) and the URL keeps the search.
    page.evaluate("window.__same_page = true")
    page.get_by_label("Search").fill("Harvard")
    expect(page).to_have_url(re.compile(r"[?&]q=Harvard"))
    expect(page.locator("[data-testid=contract-results] tr[data-contract-id]")).to_have_count(1)
    assert shown_ids(page) == {englewood.pk}
    assert page.evaluate("window.__same_page") is True

    # A filter on top of the search: nothing matches; then the phase alone.
    page.get_by_label("Phase").select_option("year_1")
    expect(page.get_by_test_id("no-results")).to_be_visible()
    page.get_by_label("Search").fill("")
    expect(page.locator("[data-testid=contract-results] tr[data-contract-id]")).to_have_count(1)
    assert shown_ids(page) == {far_south.pk}
    expect(page).to_have_url(re.compile(r"phase=year_1"))
    screenshot(page, "dashboard-filtered")

    # The filtered URL reloads to the same list.
    page.reload()
    assert shown_ids(page) == {far_south.pk}
    expect(page.get_by_label("Phase")).to_have_value("year_1")

    # The CSV export is the filtered list.
    with page.expect_download() as download_info:
        page.get_by_test_id("export-csv").click()
    download = download_info.value
    assert download.suggested_filename.startswith("contracts-") and download.suggested_filename.endswith(
        ".csv"
    )
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert [r["reference"] for r in rows] == ["CPS-LP-FARSOUTH"]
    assert rows[0]["phase"] == "year_1" and rows[0]["lifecycle_status"] == "active"

    # The evidence pack of the contract is a PDF with pages.
    with page.expect_download(timeout=60_000) as download_info:
        page.locator(f"tr[data-contract-id='{far_south.pk}'] [data-testid=evidence-pack]").click()
    pdf = Path(download_info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    assert "AUSL Far South cluster" in reader.pages[0].extract_text()

    # Clear brings every contract back.
    page.get_by_test_id("clear-filters").click()
    expect(page.locator("[data-testid=contract-results] tr[data-contract-id]")).to_have_count(mine.count())

    # The school and partner pages, with their charts drawn.
    school = School.objects.get(name="Harvard School of Excellence")
    page.goto(f"{live_server.url}/schools/{school.pk}/")
    expect(page.locator("canvas[data-chart][data-drawn=true]").first).to_be_visible()
    assert page.locator("canvas[data-chart]").count() == page.locator("canvas[data-drawn=true]").count()
    screenshot(page, "school")
    partner = Organization.objects.get(short_name="AUSL")
    page.goto(f"{live_server.url}/partners/{partner.pk}/")
    expect(page.get_by_test_id("track-record")).to_be_visible()
    screenshot(page, "partner")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/")
    screenshot(page, "dashboard-phone")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_partner_user_cannot_reach_another_partners_contract(live_server, page):
    load_demo_data()
    page.set_default_timeout(20_000)
    user = get_user_model().objects.get(username="partner")
    theirs = PerformanceContract.objects.visible_to(user)
    other = PerformanceContract.objects.exclude(lead_partner_id=user.profile.organization_id).first()

    log_in(page, live_server, "partner")
    assert shown_ids(page) == set(theirs.values_list("pk", flat=True))
    assert other.pk not in shown_ids(page)
    # Searching for it finds nothing,
    page.get_by_label("Search").fill(other.reference)
    expect(page.get_by_test_id("no-results")).to_be_visible()
    # and typing its address answers 404: the page, its evidence pack, and its district's filter.
    for path in (f"/contracts/{other.pk}/", f"/dashboard/contracts/{other.pk}/evidence-pack.pdf"):
        response = page.goto(live_server.url + path)
        assert response.status == 404, path
    page.goto(f"{live_server.url}/?partner={other.lead_partner_id}")
    expect(page.get_by_test_id("filter-errors")).to_be_visible()
    expect(page.get_by_test_id("no-results")).to_be_hidden()
    expect(page.get_by_test_id("result-count")).to_have_text(f"{theirs.count()} contracts")
    screenshot(page, "dashboard-partner")
