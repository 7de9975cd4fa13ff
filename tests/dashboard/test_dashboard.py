"""The dashboard: scope per role, filters, search, sorting, pagination, htmx fragments, counts,
the schools and indicators most off track, the data missing, overdue reviews, and constant query
counts."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contracts.models import ContractReview, PerformanceContract, Target, add_years
from indicators import engine
from indicators.models import IndicatorStatus
from tests.factories import (
    ContractFactory,
    DistrictFactory,
    MeasurementFactory,
    OrganizationFactory,
    indicator,
    user_with_role,
)
from turnaround.dashboard import queries
from turnaround.models import Role

from .conftest import AS_OF, indicator_status, performance

HOME = reverse("home")
ATTENTION = reverse("dashboard:attention")


def contract_ids(response):
    return [int(pk) for pk in re.findall(r'data-contract-id="(\d+)"', response.text)]


def get_as(client, user, url, **headers):
    client.force_login(user)
    return client.get(url, headers=headers)


@pytest.fixture
def portfolio(world):
    """The page-test world, with computed performance and a third contract in Alpha Unified."""
    performance(world.contract_a, "off_track", year=2)
    performance(world.contract_c, "on_track", year=2)
    world.renewed_a = ContractFactory(
        name="Beta renewal",
        reference="ALPHA-RENEW",
        district=world.district_a,
        lead_partner=world.partner_q,
        lifecycle_status="renewed",
        start_date=date(2021, 7, 1),
        end_date=date(2026, 6, 30),
    )
    performance(world.renewed_a, "at_risk", year=5)
    return world


@pytest.mark.parametrize(
    "user_key, expected",
    [
        ("district_a", {"contract_a", "draft_a", "renewed_a"}),
        ("state_1", {"contract_a", "draft_a", "renewed_a"}),
        ("state_2", {"contract_c"}),
        ("program_p", {"contract_a", "draft_a"}),
        ("program_q", {"contract_c", "renewed_a"}),
        ("field_p", {"contract_a"}),
        ("admin", {"contract_a", "draft_a", "renewed_a", "contract_c"}),
        ("nobody", set()),
    ],
)
def test_it_shows_exactly_the_contracts_in_scope_with_counts(client, portfolio, user_key, expected):
    response = get_as(client, portfolio.users[user_key], HOME)
    assert set(contract_ids(response)) == {getattr(portfolio, key).pk for key in expected}
    if expected:
        assert f'data-testid="count-total">{len(expected)}<' in response.text


def test_it_shows_the_badges_of_each_row(client, portfolio):
    response = get_as(client, portfolio.users["district_a"], HOME)
    row = re.search(rf'data-contract-id="{portfolio.contract_a.pk}">(.*?)</tr>', response.text, re.S).group(1)
    assert "lifecycle-active" in row and "status-off_track" in row and "Off track" in row
    draft = re.search(rf'data-contract-id="{portfolio.draft_a.pk}">(.*?)</tr>', response.text, re.S).group(1)
    assert "Not computed yet" in draft
    assert "{#" not in response.text and "#}" not in response.text  # no template comment leaks out
    for school in portfolio.contract_a.schools.all():
        assert school.name in row


def test_the_district_and_partner_choices_are_the_users_scope_only(client, portfolio):
    response = get_as(client, portfolio.users["district_a"], HOME)
    assert portfolio.district_a.name in response.text
    assert portfolio.district_c.name not in response.text
    assert f'<option value="{portfolio.partner_q.pk}"' in response.text  # holds Beta renewal in Alpha
    response = get_as(client, portfolio.users["program_p"], HOME)
    assert f'<option value="{portfolio.partner_q.pk}"' not in response.text


@pytest.mark.parametrize(
    "query, expected",
    [
        ("lifecycle_status=active", {"contract_a"}),
        ("lifecycle_status=renewed", {"renewed_a"}),
        ("performance_status=off_track", {"contract_a"}),
        ("performance_status=not_computed", {"draft_a"}),
        ("partner={partner_q}", {"renewed_a"}),
        ("district={district_a}", {"contract_a", "draft_a", "renewed_a"}),
        ("district={district_c}", set()),  # out of the user's scope: refused, and shows nothing
        ("phase=ended", {"renewed_a"}),
        ("q=alpha-renew", {"renewed_a"}),
        ("q=beta", {"renewed_a"}),
        ("q=Pioneer", {"contract_a", "draft_a"}),
        ("q={school_name}", {"contract_a"}),
        ("q=no+such+thing", set()),
        ("lifecycle_status=active&performance_status=on_track", set()),
    ],
)
def test_filters_and_search(client, portfolio, query, expected):
    query = query.format(
        partner_q=portfolio.partner_q.pk,
        district_a=portfolio.district_a.pk,
        district_c=portfolio.district_c.pk,
        school_name=portfolio.school_a.name.replace(" ", "+"),
    )
    response = get_as(client, portfolio.users["district_a"], f"{HOME}?{query}")
    assert response.status_code == 200
    if "district_c" in query or query.startswith(f"district={portfolio.district_c.pk}"):
        # A district outside the scope is not a choice: the filter says so and is ignored.
        assert 'data-testid="filter-errors"' in response.text
        return
    assert set(contract_ids(response)) == {getattr(portfolio, key).pk for key in expected}
    if not expected:
        assert 'data-testid="no-results"' in response.text


def test_a_bad_filter_value_says_so_and_is_ignored(client, portfolio):
    response = get_as(client, portfolio.users["district_a"], f"{HOME}?phase=year_9&lifecycle_status=active")
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in response.text
    assert "Select a valid choice" in response.text
    assert contract_ids(response) == [portfolio.contract_a.pk]  # the valid filter still applies


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("name", ["contract_a", "draft_a", "renewed_a"]),
        ("performance", ["contract_a", "renewed_a", "draft_a"]),  # off track, at risk, not computed
        ("start", ["draft_a", "contract_a", "renewed_a"]),
        ("partner", ["contract_a", "draft_a", "renewed_a"]),
        ("lifecycle", ["draft_a", "contract_a", "renewed_a"]),
    ],
)
def test_sorting(client, portfolio, sort, expected):
    portfolio.draft_a.start_date = date(2025, 7, 1)
    portfolio.draft_a.end_date = date(2028, 6, 30)
    portfolio.draft_a.save()
    response = get_as(client, portfolio.users["district_a"], f"{HOME}?sort={sort}")
    assert contract_ids(response) == [getattr(portfolio, key).pk for key in expected]


def test_default_order_is_most_urgent_first(client, portfolio):
    response = get_as(client, portfolio.users["admin"], HOME)
    ids = contract_ids(response)
    assert ids[0] == portfolio.contract_a.pk  # off track
    assert ids[1] == portfolio.renewed_a.pk  # at risk


def test_pagination_keeps_the_filters(client, db):
    district = DistrictFactory()
    partner = OrganizationFactory()
    for _ in range(27):
        ContractFactory(district=district, lead_partner=partner, lifecycle_status="active")
    user = user_with_role(Role.DISTRICT_STAFF, district)
    response = get_as(client, user, f"{HOME}?lifecycle_status=active&sort=name")
    assert len(contract_ids(response)) == 25
    assert "lifecycle_status=active&amp;sort=name&amp;page=2" in response.text
    second = get_as(client, user, f"{HOME}?lifecycle_status=active&sort=name&page=2")
    assert len(contract_ids(second)) == 2
    assert not set(contract_ids(second)) & set(contract_ids(response))


def test_a_filter_change_through_htmx_gets_the_results_alone(client, portfolio):
    response = get_as(
        client, portfolio.users["district_a"], f"{HOME}?lifecycle_status=active", **{"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section id="contract-results"')
    assert contract_ids(response) == [portfolio.contract_a.pk]
    # the export link carries the same filters
    assert f"{reverse('dashboard:export_csv')}?lifecycle_status=active" in response.text
    # and a history restore gets the whole page
    restore = get_as(
        client,
        portfolio.users["district_a"],
        f"{HOME}?lifecycle_status=active",
        **{"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.text


def test_counts_by_status(client, portfolio):
    counts = queries.status_counts(portfolio.users["district_a"])
    assert counts["total"] == 3
    by_lifecycle = {c.value: c.count for c in counts["lifecycle"]}
    assert by_lifecycle["active"] == 1 and by_lifecycle["draft"] == 1 and by_lifecycle["renewed"] == 1
    by_performance = {c.value: c.count for c in counts["performance"]}
    assert by_performance == {"pre_launch": 0, "on_track": 0, "at_risk": 1, "off_track": 1, "no_data": 0}
    assert counts["not_computed"] == 1


def test_the_schools_and_indicators_most_off_track(client, portfolio):
    contract = portfolio.contract_a
    first, second, third = contract.schools.order_by("name")
    indicator_status(contract, "attendance_rate", "off_track", school=first, year=2)
    indicator_status(contract, "discipline_incidents", "off_track", school=first, year=2, accountable=False)
    indicator_status(contract, "attendance_rate", "at_risk", school=second, year=2)
    indicator_status(contract, "attendance_rate", "met", school=third, year=2)
    indicator_status(contract, "attendance_rate", "off_track", year=2)  # cluster-wide
    indicator_status(contract, "attendance_rate", "off_track", school=third, year=1)  # a past year
    indicator_status(portfolio.contract_c, "attendance_rate", "off_track", year=2)  # another district

    schools = queries.off_track_schools(portfolio.users["district_a"])
    assert [s["school_id"] for s in schools] == [first.pk, second.pk]
    assert schools[0]["off_track"] == 2 and schools[0]["accountable_off"] == 1
    assert [name for name, _ in schools[0]["indicators"]] == ["Attendance rate", "Discipline incidents"]
    assert schools[1]["at_risk"] == 1

    indicators = queries.off_track_indicators(portfolio.users["district_a"])
    assert indicators[0]["indicator__name"] == "Attendance rate"
    assert (indicators[0]["contracts_off"], indicators[0]["schools_off"]) == (1, 1)
    assert indicators[0]["schools_at_risk"] == 1
    # The state of the other district sees its own contract alone.
    other = queries.off_track_indicators(portfolio.users["state_2"])
    assert [(i["contracts_off"], i["schools_off"]) for i in other] == [(1, 0)]

    response = get_as(client, portfolio.users["district_a"], ATTENTION)
    section = re.search(r'data-testid="off-track-schools">(.*?)</section>', response.text, re.S).group(1)
    assert first.name in section and second.name in section and third.name not in section
    # Another district's staff see none of it.
    response = get_as(client, portfolio.users["district_c"], ATTENTION)
    assert first.name not in response.text


def test_overdue_reviews(portfolio):
    as_of = date(2026, 11, 25)
    contract = portfolio.contract_a  # active, started 2024-07-01: years 1 and 2 are over
    ContractReview.objects.create(
        contract=contract,
        contract_year=1,
        review_date=date(2025, 7, 20),
        findings="Fine.",
        recommendation="continue",
    )
    overdue = queries.overdue_reviews(portfolio.users["district_a"], as_of)
    # Year 2 ended on 2026-06-30 and its review was due 60 days later; a draft owes none.
    years = {(r.contract_id, r.contract_year) for r in overdue["items"]}
    assert (contract.pk, 2) in years
    assert (contract.pk, 1) not in years
    assert all(r.contract_id != portfolio.draft_a.pk for r in overdue["items"])
    item = next(r for r in overdue["items"] if r.contract_id == contract.pk)
    assert item.due_on == date(2026, 6, 30) + timedelta(days=queries.REVIEW_GRACE_DAYS)
    assert item.days_overdue == (as_of - item.due_on).days
    # Within the grace period nothing is overdue yet.
    soon = queries.overdue_reviews(portfolio.users["district_a"], date(2026, 8, 1))
    assert (contract.pk, 2) not in {(r.contract_id, r.contract_year) for r in soon["items"]}
    # Out of scope: another district's staff see their own contract's alone.
    theirs = queries.overdue_reviews(portfolio.users["district_c"], as_of)["items"]
    assert {r.contract_id for r in theirs} == {portfolio.contract_c.pk}


def test_overdue_reviews_stop_at_the_end_of_the_term(portfolio):
    renewed = portfolio.renewed_a  # 2021-07-01 to 2026-06-30: five reviews owed, none held
    overdue = queries.overdue_reviews(portfolio.users["district_a"], date(2027, 3, 1))
    years = sorted(r.contract_year for r in overdue["items"] if r.contract_id == renewed.pk)
    assert years == [1, 2, 3, 4, 5]


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


def grow(district, partner, count, with_statuses):
    for _ in range(count):
        contract = ContractFactory(district=district, lead_partner=partner, lifecycle_status="active")
        performance(contract, "off_track", year=1)
        if with_statuses:
            for school in contract.schools.all():
                indicator_status(contract, "attendance_rate", "off_track", school=school, year=1)
            indicator_status(contract, "attendance_rate", "at_risk", year=1)
        ContractReview.objects.create(
            contract=contract,
            contract_year=1,
            review_date=add_years(contract.start_date, 1),
            findings="Held.",
            recommendation="continue",
        )


@pytest.mark.parametrize(
    "query", ["", "?q=Contract&sort=name", "?lifecycle_status=active&performance_status=off_track&page=1"]
)
def test_dashboard_queries_do_not_grow_with_contracts_schools_or_statuses(client, db, query):
    district, partner = DistrictFactory(), OrganizationFactory()
    client.force_login(user_with_role(Role.DISTRICT_STAFF, district))
    grow(district, partner, 2, with_statuses=True)
    few, response = count_queries(client, HOME + query)
    assert len(contract_ids(response)) == 2
    grow(district, partner, 6, with_statuses=True)
    many, response = count_queries(client, HOME + query)
    assert len(contract_ids(response)) == 8
    assert many == few


def test_attention_panel_queries_do_not_grow(client, db):
    district, partner = DistrictFactory(), OrganizationFactory()
    client.force_login(user_with_role(Role.DISTRICT_STAFF, district))
    grow(district, partner, 2, with_statuses=True)
    few, response = count_queries(client, ATTENTION)
    assert response.text.count("data-school-id=") == 6  # 2 contracts of 3 schools, all off track
    grow(district, partner, 6, with_statuses=True)
    many, response = count_queries(client, ATTENTION)
    assert response.text.count("data-school-id=") == queries.OFF_TRACK_LIST_SIZE
    assert many == few


@pytest.mark.parametrize("user_key", ["district_a", "state_1", "program_p", "field_p", "admin", "nobody"])
def test_the_attention_panel_renders_for_every_role(client, portfolio, user_key):
    response = get_as(client, portfolio.users[user_key], ATTENTION)
    assert response.status_code == 200
    assert 'data-testid="overdue-reviews"' in response.text
    assert client.get(HOME).text.count(f'hx-get="{ATTENTION}"') == (0 if user_key == "nobody" else 1)


def test_the_dashboard_is_the_home_page_after_login(client, portfolio):
    portfolio.users["district_a"].set_password("pw-for-test")
    portfolio.users["district_a"].save()
    response = client.post(
        reverse("login"), {"username": "district_a", "password": "pw-for-test"}, follow=True
    )
    assert response.redirect_chain[-1][0] == HOME
    assert 'data-testid="contract-filters"' in response.text
    assert timezone.localdate().strftime("%B") in response.text


def test_column_headings_sort_and_keep_the_filters(client, portfolio):
    response = get_as(
        client, portfolio.users["district_a"], f"{HOME}?lifecycle_status=active&sort=name&page=1"
    )
    assert 'href="?lifecycle_status=active&amp;sort=district"' in response.text
    heading = re.search(r'data-sort="name">(.*?)</a>', response.text, re.S).group(1)
    assert 'aria-label="sorted"' in heading
    # Tables elsewhere (a school's, a partner's contracts) have plain headings.
    school = get_as(
        client, portfolio.users["district_a"], reverse("schools:detail", args=[portfolio.school_a.pk])
    )
    assert "data-sort=" not in school.text


# Data missing ------------------------------------------------------------------------------------


def data_missing_panel(response):
    return re.search(r'data-testid="data-missing">(.*?)</section>', response.text, re.S).group(1)


def test_the_data_missing_panel_lists_this_years_incomplete_values(client, evidence_world):
    """The world's Alpha cluster in year 3: attendance incomplete, its third school not reporting;
    ELA has no data at all (no school has reported: not incomplete) and math is complete."""
    contract = evidence_world.contract_a
    first, second, third = evidence_world.schools_a
    missing = queries.data_missing(evidence_world.users["district_a"])
    assert missing["total"] == 1
    [row] = missing["items"]
    assert (row.contract_id, row.indicator.code, row.contract_year) == (contract.pk, "attendance_rate", 3)
    assert (row.schools_reporting, row.schools_expected) == (2, 3)
    assert row.missing_schools == [(third.pk, third.name)]

    panel = data_missing_panel(get_as(client, evidence_world.users["district_a"], ATTENTION))
    assert f'href="{reverse("contracts:detail", args=[contract.pk])}#indicator-statuses"' in panel
    assert contract.name in panel and "Attendance rate" in panel and "(accountable)" in panel
    assert "year 3 · 2 of 3 schools reporting" in panel
    assert f'No value yet: <a href="{reverse("schools:detail", args=[third.pk])}"' in panel
    assert third.name in panel and first.name not in panel and second.name not in panel
    assert re.search(r'class="badge status-badge status-incomplete[^"]*">Incomplete<', panel)  # with its word
    assert '>1<span class="visually-hidden"> incomplete value</span>' in panel


@pytest.mark.parametrize(
    "user_key, shown",
    [
        ("district_a", True),
        ("state_1", True),
        ("program_p", True),
        ("field_p", True),
        ("admin", True),
        ("district_c", False),
        ("state_2", False),
        ("program_q", False),
        ("field_q", False),
        ("nobody", False),
    ],
)
def test_the_data_missing_panel_is_scoped(client, evidence_world, user_key, shown):
    panel = data_missing_panel(get_as(client, evidence_world.users[user_key], ATTENTION))
    assert (evidence_world.contract_a.name in panel) is shown
    if not shown:
        assert "Every school has reported each cluster-wide indicator this year." in panel


def test_the_data_missing_panel_leaves_out_past_years_and_contracts_off_the_ground(evidence_world):
    contract = evidence_world.contract_a
    user = evidence_world.users["district_a"]
    # A past year's incomplete value is history, not this year's chase.
    IndicatorStatus.objects.filter(contract=contract, contract_year=2, school=None).update(
        status="incomplete", schools_reporting=1
    )
    assert [r.contract_year for r in queries.data_missing(user)["items"]] == [3]
    # A contract no longer on the ground has nothing to chase.
    PerformanceContract.objects.filter(pk=contract.pk).update(lifecycle_status="terminated")
    assert queries.data_missing(user) == {"items": [], "total": 0}


def test_the_data_missing_panel_shows_the_first_of_many_and_counts_them_all(client, db):
    district, partner = DistrictFactory(), OrganizationFactory()
    user = user_with_role(Role.DISTRICT_STAFF, district)
    grow_incomplete(district, partner, queries.DATA_MISSING_LIST_SIZE + 2)
    missing = queries.data_missing(user)
    assert missing["total"] == queries.DATA_MISSING_LIST_SIZE + 2
    assert len(missing["items"]) == queries.DATA_MISSING_LIST_SIZE
    assert all(len(row.missing_schools) == 1 for row in missing["items"])
    panel = data_missing_panel(get_as(client, user, ATTENTION))
    assert panel.count("data-incomplete-id=") == queries.DATA_MISSING_LIST_SIZE
    assert f"The first {queries.DATA_MISSING_LIST_SIZE} of {queries.DATA_MISSING_LIST_SIZE + 2}" in panel


def grow_incomplete(district, partner, count):
    """Contracts in year 3 on AS_OF whose attendance two of three schools have reported."""
    contracts = []
    for _ in range(count):
        contract = ContractFactory(district=district, lead_partner=partner, lifecycle_status="active")
        Target.objects.create(
            contract=contract, indicator=indicator("attendance_rate"), contract_year=3, target=95
        )
        schools = list(contract.schools.order_by("name"))
        for school in schools[:2]:
            MeasurementFactory(
                school=school, period_start=date(2026, 9, 1), period_end=date(2026, 9, 30), value=90
            )
        contracts.append(contract.pk)
    engine.recompute_contracts(contracts, as_of=AS_OF)


def test_attention_panel_queries_do_not_grow_with_incomplete_values(client, db):
    district, partner = DistrictFactory(), OrganizationFactory()
    client.force_login(user_with_role(Role.DISTRICT_STAFF, district))
    grow_incomplete(district, partner, 2)
    few, response = count_queries(client, ATTENTION)
    assert response.text.count("data-incomplete-id=") == 2
    grow_incomplete(district, partner, 8)
    many, response = count_queries(client, ATTENTION)
    assert response.text.count("data-incomplete-id=") == queries.DATA_MISSING_LIST_SIZE
    assert many == few
