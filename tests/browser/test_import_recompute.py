"""The whole path: a partner uploads the demo partner's CSV in the browser, a real worker recomputes
on the Redis broker (in-process on the embedded defaults), and the contract page shows the new
statuses by itself."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contracts.models import PerformanceContract
from indicators.models import IndicatorStatus

from .conftest import DEMO_PASSWORD, load_demo_data


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_uploaded_csv_updates_the_contract_page_through_the_worker(
    live_server, page, task_runner, tmp_path
):
    load_demo_data()
    # AUSL's second Chicago contract is in its first year: attendance is accountable, and on track.
    today = timezone.localdate()
    [contract] = [
        c
        for c in PerformanceContract.objects.filter(lead_partner__short_name="AUSL")
        if c.phase_on(today)[1] == 1
    ]
    before = IndicatorStatus.objects.get(
        contract=contract, indicator__code="attendance_rate", school=None, contract_year=1
    )
    assert before.status in ("met", "on_track")
    # The week to today: a period the demo's monthly attendance never has (on the last day of a
    # month, the month to date would be the demo's own row, and the import would update it).
    rows = [
        f"{school.state_id},attendance_rate,{today - timedelta(days=6)},{today},35"
        for school in contract.schools.order_by("state_id")
    ]
    csv = tmp_path / "ausl-attendance.csv"
    csv.write_text("school_id,indicator,period_start,period_end,value\n" + "\n".join(rows) + "\n")

    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("partner")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # The contract page is open before the import, in its own tab, and shows the status as it was.
    contract_page = page.context.new_page()
    contract_page.set_default_timeout(20_000)
    contract_page.goto(f"{live_server.url}/contracts/{contract.pk}/")
    cluster_row = contract_page.locator(
        '[data-testid=indicator-statuses] tr[data-indicator="attendance_rate"][data-school=""]'
    )
    expect(cluster_row).to_be_visible()
    expect(cluster_row).not_to_contain_text("Off track")

    page.bring_to_front()
    page.get_by_role("link", name="Imports").click()
    page.get_by_role("link", name="Import a file").click()
    page.get_by_label("CSV or Excel (.xlsx) file").set_input_files(str(csv))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_test_id("import-status")).to_have_text("Applied")
    expect(page.get_by_test_id("import-counts")).to_contain_text("3 new")

    # No manual step: the worker recomputes, and the open contract page refreshes its statuses in
    # place, without a reload (htmx polls every 30 seconds; the test fires the same request sooner
    # with a "refresh" event).
    contract_page.bring_to_front()
    for _ in range(40):
        contract_page.evaluate("htmx.trigger('#indicator-statuses', 'refresh')")
        contract_page.wait_for_timeout(500)
        if "Off track" in cluster_row.inner_text():
            break
    expect(cluster_row).to_contain_text("Off track")
    after = IndicatorStatus.objects.get(pk=before.pk)
    assert after.status == "off_track" and after.value < before.value
