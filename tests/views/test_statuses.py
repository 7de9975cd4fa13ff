from datetime import date

import pytest
from django.urls import reverse

from contracts.models import Target
from indicators import engine
from indicators.models import Measurement
from tests.factories import ContractFactory, indicator, user_with_role
from turnaround.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed():
    contract = ContractFactory(
        start_date=date(2024, 7, 1), end_date=date(2029, 6, 30), lifecycle_status="active"
    )
    Target.objects.create(
        contract=contract, indicator=indicator("attendance_rate"), contract_year=1, baseline=80, target=90
    )
    for school in contract.schools.all():  # every school reports: the cluster's value is complete
        Measurement.objects.create(
            school=school,
            indicator=indicator("attendance_rate"),
            period_start=date(2024, 9, 1),
            period_end=date(2024, 9, 30),
            value=72.5,
            source="form",
        )
    engine.recompute_contracts([contract.pk], as_of=date(2024, 10, 1))
    return contract


def test_the_contract_page_shows_the_statuses_and_the_performance(client, computed):
    client.force_login(user_with_role(Role.DISTRICT_STAFF, computed.district))
    page = client.get(reverse("contracts:detail", args=[computed.pk])).content.decode()
    assert 'data-indicator="attendance_rate"' in page
    assert "72.5" in page
    assert "Off track" in page
    fragment = client.get(reverse("contracts:statuses", args=[computed.pk]))
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content
    assert b"72.5" in fragment.content


def test_the_statuses_fragment_is_404_out_of_scope(client, computed):
    client.force_login(user_with_role(Role.DISTRICT_STAFF, ContractFactory().district))
    assert client.get(reverse("contracts:statuses", args=[computed.pk])).status_code == 404
