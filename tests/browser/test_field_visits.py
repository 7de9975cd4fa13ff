"""The demo `field` user logs a visit on a phone-sized screen and sees it in the presence heatmap;
the demo `district` user sees that school's presence on the contract page. Screenshots of the pages
go to test-results/screenshots/ (not kept in the repository)."""

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contracts.models import PerformanceContract
from partners.models import FieldVisit
from partners.presence import week_start
from schools.models import NonSchoolDay

from .conftest import DEMO_PASSWORD, load_demo_data

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
PHONE = {"width": 390, "height": 844}


def shot(page, name, full_page=True):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def log_in(page, base_url, username):
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your contracts")).to_be_visible()


def a_school_day_without_a_visit(school, today):
    """The latest weekday up to today on which the demo has no on-site visit at the school and the
    district has school."""
    closed = set(NonSchoolDay.objects.filter(district=school.district_id).values_list("date", flat=True))
    visited = set(
        FieldVisit.objects.filter(school=school, mode="on_site").values_list("visit_date", flat=True)
    )
    day = today
    while day.weekday() >= 5 or day in closed or day in visited:
        day -= timedelta(days=1)
    return day


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_field_user_logs_a_visit_on_a_phone_and_the_district_sees_it(live_server, browser):
    load_demo_data()
    today = timezone.localdate()
    contract = PerformanceContract.objects.get(reference="CPS-LP-ENGLEWOOD")
    school = contract.schools.get(name__startswith="Dulles")
    day = a_school_day_without_a_visit(school, today)
    week = week_start(day)
    cell_selector = (
        f'[data-testid=presence-heatmap] tr[data-school-id="{school.pk}"] td[data-week="{week:%Y-%m-%d}"]'
    )

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.set_default_timeout(15_000)
    started = time.monotonic()
    log_in(page, live_server.url, "field")
    shot(page, "home-field-phone")
    page.goto(live_server.url + "/visits/presence/")
    before = int(page.locator(cell_selector).get_attribute("data-days"))

    # The field user opens the menu, then Field visits, which is the form.
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("link", name="Field visits").click()
    expect(page.get_by_role("heading", name="Log a visit")).to_be_visible()
    # Sensible defaults: today, on site, the school of the last visit.
    expect(page.locator("#id_visit_date")).to_have_value(today.isoformat())
    expect(page.get_by_label("On site", exact=True)).to_be_checked()
    assert page.locator("#id_school").input_value() != ""
    # The whole form, save button included, is on one phone screen.
    shot(page, "visit-form-phone", full_page=False)
    bottom = page.get_by_test_id("save-visit").evaluate(
        "b => b.getBoundingClientRect().bottom + window.scrollY"
    )
    assert bottom <= PHONE["height"], f"the form runs {bottom - PHONE['height']:.0f}px past one screen"

    page.locator("#id_school").select_option(label=school.name)
    page.locator("#id_visit_date").fill(day.isoformat())
    page.locator("#id_start_time").fill("08:15")
    page.locator("#id_end_time").fill("11:45")
    page.get_by_text("Instruction", exact=True).click()
    page.get_by_text("Principal check-in", exact=True).click()
    page.get_by_label("People met").fill("Principal, 4th grade team")
    page.get_by_label("Progress").fill("Modelled a guided-reading lesson; the team planned next week's.")
    page.get_by_label("Barriers").fill("Two classrooms still without a reading interventionist.")
    page.get_by_test_id("add-follow-up").click()
    row = page.get_by_test_id("follow-up-row").last
    row.get_by_label("Follow-up").fill("Ask HR about the interventionist posting")
    row.get_by_label("Owner").fill("AUSL program staff")
    row.get_by_label("Due on").fill((today + timedelta(days=7)).isoformat())
    shot(page, "visit-form-filled-phone")
    page.get_by_test_id("save-visit").click()

    expect(page.get_by_role("alert")).to_contain_text(f"Visit to {school.name}")
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"logging a visit took {elapsed:.0f} s"
    visit = FieldVisit.objects.get(school=school, visit_date=day)
    assert visit.staff.username == "field" and visit.duration_minutes == 210
    assert visit.focus == ["instructional_support", "principal_check_in"]
    assert visit.follow_ups.get().owner == "AUSL program staff"
    expect(page.locator(f'[data-visit-id="{visit.pk}"]')).to_contain_text("Principal, 4th grade team")
    shot(page, "visit-list-phone", full_page=False)

    # The heatmap counts the day.
    page.get_by_test_id("visit-tabs").get_by_role("link", name="Presence").click()
    cell = page.locator(cell_selector)
    expect(cell).to_have_attribute("data-days", str(before + 1))
    shot(page, "presence-phone")
    page.get_by_test_id("visit-tabs").get_by_role("link", name="Follow-ups").click()
    expect(page.get_by_test_id("follow-up-list")).to_contain_text("Ask HR about the interventionist posting")
    shot(page, "follow-ups-phone")
    # Closed in place (htmx), with a note.
    item = page.locator(f'[data-follow-up-id="{visit.follow_ups.get().pk}"]')
    item.get_by_placeholder("Closing note: what was done").fill("HR reopened the posting.")
    item.get_by_role("button", name="Close").click()
    expect(item.get_by_test_id("follow-up-state")).to_contain_text("Closed")
    expect(item).to_contain_text("HR reopened the posting.")
    phone.close()

    # The district user sees that school's presence on the contract page, on a desktop.
    desktop = browser.new_context(viewport={"width": 1366, "height": 900})
    page = desktop.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "district")
    shot(page, "home-district")
    page.goto(f"{live_server.url}/contracts/{contract.pk}/")
    heatmap = page.get_by_test_id("presence-heatmap")
    expect(heatmap).to_contain_text(school.name)
    expect(
        heatmap.locator(f'tr[data-school-id="{school.pk}"] td[data-week="{week:%Y-%m-%d}"]')
    ).to_have_attribute("data-days", str(before + 1))
    heatmap.scroll_into_view_if_needed()
    shot(page, "contract-presence-district", full_page=False)
    page.goto(live_server.url + "/schools/calendar/")
    shot(page, "calendar-district")
    page.goto(live_server.url + "/visits/barriers/")
    shot(page, "barriers-district")
    desktop.close()
