"""The import tests' world: an active contract and its Lead Partner's program staff, who import."""

import pytest

from tests.factories import ContractFactory, user_with_role
from turnaround.models import Role


@pytest.fixture
def contract():
    return ContractFactory(lifecycle_status="active")


@pytest.fixture
def program(contract):
    return user_with_role(Role.PARTNER_PROGRAM, contract.lead_partner)
