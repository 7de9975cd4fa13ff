"""Every page: login required, 200 in scope, 404 out of scope, and no N+1 on the home page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contracts.views import phase_label
from tests.factories import ContractFactory, DistrictFactory, user_with_role
from turnaround.models import Role

IN_AND_OUT_OF_SCOPE_OF_CONTRACT_A = [
    ("district_a", 200),
    ("district_c", 404),
    ("state_1", 200),
    ("state_2", 404),
    ("program_p", 200),
    ("program_q", 404),
    ("field_p", 200),
    ("field_q", 404),
    ("admin", 200),
    ("nobody", 404),
]


def get_as(client, user, url):
    client.force_login(user)
    return client.get(url)


@pytest.mark.parametrize(
    "name", ["home", "contracts:list", "schools:list", "partners:list", "partners:visits"]
)
def test_list_pages_require_login(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["contracts:detail", "schools:detail", "partners:detail"])
def test_detail_pages_require_login(client, world, name):
    obj = {"contracts:detail": world.contract_a, "schools:detail": world.school_a}.get(name, world.partner_p)
    response = client.get(reverse(name, args=[obj.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("user_key", ["district_a", "state_1", "program_p", "field_p", "admin", "nobody"])
@pytest.mark.parametrize(
    "name", ["home", "contracts:list", "schools:list", "partners:list", "partners:visits"]
)
def test_list_pages_render_for_every_role(client, world, user_key, name):
    response = get_as(client, world.users[user_key], reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize("user_key, status", IN_AND_OUT_OF_SCOPE_OF_CONTRACT_A)
def test_contract_detail_answers_404_out_of_scope(client, world, user_key, status):
    response = get_as(client, world.users[user_key], reverse("contracts:detail", args=[world.contract_a.pk]))
    assert response.status_code == status
    if status == 200:
        assert world.contract_a.reference in response.text


@pytest.mark.parametrize("user_key, status", IN_AND_OUT_OF_SCOPE_OF_CONTRACT_A)
def test_school_detail_answers_404_out_of_scope(client, world, user_key, status):
    response = get_as(client, world.users[user_key], reverse("schools:detail", args=[world.school_a.pk]))
    assert response.status_code == status
    if status == 200:
        assert world.school_a.name in response.text
        assert world.contract_a.name in response.text


@pytest.mark.parametrize(
    "user_key, status",
    [
        ("district_a", 200),
        ("district_c", 200),  # district and state staff see every organization
        ("state_2", 200),
        ("program_p", 200),
        ("program_q", 404),
        ("field_p", 200),
        ("field_q", 404),
        ("admin", 200),
        ("nobody", 404),
    ],
)
def test_partner_detail_answers_404_out_of_scope(client, world, user_key, status):
    response = get_as(client, world.users[user_key], reverse("partners:detail", args=[world.partner_p.pk]))
    assert response.status_code == status


def test_field_staff_do_not_see_a_contract_not_yet_on_the_ground(client, world):
    url = reverse("contracts:detail", args=[world.draft_a.pk])
    assert get_as(client, world.users["field_p"], url).status_code == 404
    assert get_as(client, world.users["program_p"], url).status_code == 200


def test_a_missing_object_answers_404(client, world):
    response = get_as(client, world.users["admin"], reverse("contracts:detail", args=[999999]))
    assert response.status_code == 404


def contract_ids(response):
    return {int(pk) for pk in re.findall(r'data-contract-id="(\d+)"', response.text)}


@pytest.mark.parametrize("name", ["home", "contracts:list"])
@pytest.mark.parametrize(
    "user_key, expected",
    [
        ("district_a", {"contract_a", "draft_a"}),
        ("district_c", {"contract_c"}),
        ("state_1", {"contract_a", "draft_a"}),
        ("program_p", {"contract_a", "draft_a"}),
        ("field_p", {"contract_a"}),
        ("program_q", {"contract_c"}),
        ("admin", {"contract_a", "draft_a", "contract_c"}),
        ("nobody", set()),
    ],
)
def test_contract_tables_show_exactly_the_contracts_in_scope(client, world, name, user_key, expected):
    response = get_as(client, world.users[user_key], reverse(name))
    assert contract_ids(response) == {getattr(world, key).pk for key in expected}


def test_home_shows_an_empty_state_without_contracts(client, world):
    response = get_as(client, world.users["nobody"], reverse("home"))
    assert 'data-testid="empty-state"' in response.text


def test_school_list_shows_only_schools_in_scope(client, world):
    response = get_as(client, world.users["district_c"], reverse("schools:list"))
    shown = {int(pk) for pk in re.findall(r'data-school-id="(\d+)"', response.text)}
    assert shown == set(world.contract_c.schools.values_list("pk", flat=True))


def test_visits_list_shows_only_visits_in_scope(client, world):
    progress = world.visit_a.progress
    assert progress in get_as(client, world.users["program_p"], reverse("partners:visits")).text
    assert progress in get_as(client, world.users["field_p"], reverse("partners:visits")).text
    assert progress in get_as(client, world.users["state_1"], reverse("partners:visits")).text
    assert progress not in get_as(client, world.users["program_q"], reverse("partners:visits")).text
    assert progress not in get_as(client, world.users["district_c"], reverse("partners:visits")).text


def test_school_detail_shows_its_measurements(client, world):
    response = get_as(client, world.users["program_p"], reverse("schools:detail", args=[world.school_a.pk]))
    assert "91.25" in response.text


def test_contract_detail_shows_the_split_autonomies_and_history(client, world):
    response = get_as(
        client, world.users["district_a"], reverse("contracts:detail", args=[world.contract_a.pk])
    )
    text = response.text
    assert 'data-testid="undecided-warning"' in text  # the template leaves 4 items undecided
    for dimension in ("people", "time", "money", "program"):
        assert f'data-testid="autonomy-{dimension}"' in text
    assert "Test: to active." in text  # the status change's reason
    assert 'data-testid="cluster-size-warning"' not in text  # 3 schools: ideal


def test_contract_detail_warns_about_a_cluster_of_one(client, world):
    response = get_as(client, world.users["district_a"], reverse("contracts:detail", args=[world.draft_a.pk]))
    assert 'data-testid="cluster-size-warning"' in response.text


def test_partner_detail_lists_only_contracts_in_scope(client, world):
    # Quest holds a contract in Gamma City only; Alpha's district staff see the organization, not it.
    response = get_as(
        client, world.users["district_a"], reverse("partners:detail", args=[world.partner_q.pk])
    )
    assert response.status_code == 200
    assert contract_ids(response) == set()


def nav_labels(response):
    nav = re.search(r'data-testid="main-nav">(.*?)</ul>', response.text, re.S).group(1)
    return [
        re.sub(r"<[^>]+>", "", label).strip()
        for label in re.findall(r'class="nav-link[^"]*"[^>]*>(.*?)</a>', nav, re.S)
    ]


@pytest.mark.parametrize(
    "user_key, expected",
    [
        ("district_a", ["Home", "Contracts", "Schools", "Partners", "Values", "Imports", "Field visits"]),
        ("state_1", ["Home", "Contracts", "Schools", "Partners", "Values", "Field visits"]),
        ("program_p", ["Home", "Contracts", "Schools", "Values", "Imports", "Field visits"]),
        ("field_p", ["Home", "Schools", "Field visits"]),
        ("admin", ["Home", "Contracts", "Schools", "Partners", "Values", "Imports", "Field visits", "Admin"]),
        ("nobody", ["Home"]),
    ],
)
def test_navbar_fits_the_role(client, world, user_key, expected):
    assert nav_labels(get_as(client, world.users[user_key], reverse("home"))) == expected


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("name", ["home", "contracts:list", "schools:list", "partners:list"])
def test_page_queries_do_not_grow_with_the_number_of_contracts(client, db, name):
    district = DistrictFactory()
    client.force_login(user_with_role(Role.DISTRICT_STAFF, district))
    for _ in range(2):
        ContractFactory(district=district)
    few, response = count_queries(client, reverse(name))
    assert len(contract_ids(response)) == (2 if name in ("home", "contracts:list") else 0)
    for _ in range(4):
        ContractFactory(district=district)
    many, response = count_queries(client, reverse(name))
    assert len(contract_ids(response)) == (6 if name in ("home", "contracts:list") else 0)
    assert many == few


@pytest.mark.parametrize(
    "phase, year, label",
    [
        ("pre_launch", None, "Pre-launch"),
        ("year_1", 1, "Year 1"),
        ("year_2", 2, "Year 2"),
        ("year_3_plus", 3, "Year 3+ (year 3)"),
        ("year_3_plus", 5, "Year 3+ (year 5)"),
        ("ended", None, "Ended"),
    ],
)
def test_phase_label(phase, year, label):
    assert phase_label(phase, year) == label


def test_home_shows_the_phase_of_each_contract_today(client, world):
    phase, year = world.contract_a.phase_on(timezone.localdate())
    response = get_as(client, world.users["district_a"], reverse("home"))
    row = re.search(rf'data-contract-id="{world.contract_a.pk}">(.*?)</tr>', response.text, re.S).group(1)
    assert f">{phase_label(phase, year)}</td>" in row
