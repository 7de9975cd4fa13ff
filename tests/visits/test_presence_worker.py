"""End to end through the real broker: a visit logged through the service reaches the contract's
field presence status on a real worker, with no manual step."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from contracts.models import Target
from indicators.models import IndicatorStatus
from partners.models import FieldVisit
from partners.presence import week_start
from partners.visits import check_visit, save_visit
from tests.factories import ContractFactory, indicator, user_with_role
from tests.tasks.test_recompute_tasks import wait_for
from turnaround.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_logged_visit_is_recomputed_into_the_presence_status_by_the_worker(celery_worker):
    today = timezone.localdate()
    start = date(today.year if today.month >= 7 else today.year - 1, 7, 1) - timedelta(days=365)
    contract = ContractFactory(
        start_date=start, end_date=date(start.year + 5, 6, 30), lifecycle_status="active"
    )
    school = contract.schools.first()
    year = contract.phase_on(today)[1]
    Target.objects.create(
        contract=contract,
        indicator=indicator("field_presence_rate"),
        contract_year=year,
        school=school,
        target=80.0,
    )
    field = user_with_role(Role.PARTNER_FIELD, contract.lead_partner)
    monday = week_start(today) - timedelta(days=7)

    def status():
        row = IndicatorStatus.objects.filter(contract=contract, indicator__code="field_presence_rate").first()
        return (row.value, row.status) if row else None

    assert wait_for(lambda: status() == (None, "no_data"))
    for offset in range(4):
        day = monday + timedelta(days=offset)
        minutes = check_visit(
            field,
            school=school,
            visit_date=day,
            mode="on_site",
            focus=["instructional_support"],
            duration_minutes=300,
        )
        save_visit(
            FieldVisit(
                school=school,
                visit_date=day,
                mode="on_site",
                focus=["instructional_support"],
                duration_minutes=minutes,
            ),
            field,
        )
    assert wait_for(lambda: status() == (80.0, "met"))
