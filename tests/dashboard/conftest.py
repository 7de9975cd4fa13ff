"""Helpers for dashboard tests: computed rows written as the indicator engine would write them."""

from django.utils import timezone

from indicators.models import ContractPerformance, IndicatorStatus
from tests.factories import indicator
from tests.views.conftest import AS_OF, evidence_world, world  # noqa: F401  the page tests' worlds


def performance(contract, status, year=1):
    return ContractPerformance.objects.create(
        contract=contract,
        performance_status=status,
        contract_year=year,
        as_of=timezone.localdate(),
        computed_at=timezone.now(),
    )


def indicator_status(contract, code, status, *, school=None, year=1, accountable=True, value=50.0):
    return IndicatorStatus.objects.create(
        contract=contract,
        indicator=indicator(code),
        school=school,
        contract_year=year,
        accountable=accountable,
        as_of=timezone.localdate(),
        value=value,
        baseline=40.0,
        target=60.0,
        progress=(value - 40.0) / 20.0,
        status=status,
        computed_at=timezone.now(),
    )
