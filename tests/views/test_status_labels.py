"""The labels of a status wherever it shows outside the dashboard: the school page's status in the
current contract year says when its evidence is from an earlier year and when it is on track by
improvement, in words beside the coloured badge, on rows the engine computed."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def chart_card(html, code):
    return re.search(rf'data-indicator="{code}">(.*?)</canvas>', html, re.S).group(1)


def school_page(client, world, school):
    client.force_login(world.users["district_a"])
    response = client.get(reverse("schools:detail", args=[school.pk]))
    assert response.status_code == 200
    return response.text


def test_the_school_page_says_a_status_is_on_track_by_improvement(client, evidence_world):
    first = evidence_world.schools_a[0]
    card = chart_card(school_page(client, evidence_world, first), "attendance_rate")
    assert "status-on_track" in card and ">On track<" in card
    status = re.search(r'data-testid="school-status">(.*?)</div>\s*</div>', card, re.S).group(1)
    contract = evidence_world.contract_a
    assert (
        f'On track in contract year 3 of <a href="/contracts/{contract.pk}/">{contract.name}</a>, monitored'
        in status
    )
    assert "by improvement on year 2" in status
    assert "evidence:" not in status  # year 3 is its own evidence


def test_the_school_page_labels_evidence_from_an_earlier_year(client, evidence_world):
    third = evidence_world.schools_a[2]  # has not reported attendance in year 3
    card = chart_card(school_page(client, evidence_world, third), "attendance_rate")
    assert "status-no_data" in card and ">No data<" in card
    assert "No data in contract year 3" in card
    assert "evidence: year 2, final (at risk)" in card
    assert "by improvement" not in card


def test_a_school_without_targets_of_its_own_shows_its_contracts_status_and_basis(client, evidence_world):
    second = evidence_world.schools_a[1]  # no school target: no status of its own on its charts
    page = school_page(client, evidence_world, second)
    assert 'data-testid="school-status"' not in page
    assert "evidence:" not in page and "by improvement" not in page
    # its contract, listed with the performance status and the years it rests on
    row = re.search(rf'data-contract-id="{evidence_world.contract_a.pk}">(.*?)</tr>', page, re.S).group(1)
    assert "At risk" in row and "on years 2 (final) and 3" in row
