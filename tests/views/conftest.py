"""A small world for page tests: two states, three districts, two Lead Partners, and one user of
every role in and out of scope."""

from types import SimpleNamespace

import pytest

from tests.factories import (
    ClusterFactory,
    ContractFactory,
    DistrictFactory,
    FieldVisitFactory,
    MeasurementFactory,
    OrganizationFactory,
    StateFactory,
    UserFactory,
    user_with_role,
)
from turnaround.models import Role


@pytest.fixture
def world(db):
    state_1, state_2 = StateFactory(code="IL"), StateFactory(code="OH")
    district_a = DistrictFactory(state=state_1, name="Alpha Unified")
    district_c = DistrictFactory(state=state_2, name="Gamma City")
    partner_p = OrganizationFactory(name="Pioneer Schools Network")
    partner_q = OrganizationFactory(name="Quest Learning Partners")
    contract_a = ContractFactory(
        name="Alpha cluster", district=district_a, lead_partner=partner_p, lifecycle_status="active"
    )
    draft_a = ContractFactory(
        name="Alpha draft",
        district=district_a,
        lead_partner=partner_p,
        cluster=ClusterFactory(district=district_a, schools=1),
    )
    contract_c = ContractFactory(
        name="Gamma cluster", district=district_c, lead_partner=partner_q, lifecycle_status="active"
    )
    users = {
        "district_a": user_with_role(Role.DISTRICT_STAFF, district_a, username="district_a"),
        "district_c": user_with_role(Role.DISTRICT_STAFF, district_c, username="district_c"),
        "state_1": user_with_role(Role.STATE_STAFF, state_1, username="state_1"),
        "state_2": user_with_role(Role.STATE_STAFF, state_2, username="state_2"),
        "program_p": user_with_role(Role.PARTNER_PROGRAM, partner_p, username="program_p"),
        "program_q": user_with_role(Role.PARTNER_PROGRAM, partner_q, username="program_q"),
        "field_p": user_with_role(Role.PARTNER_FIELD, partner_p, username="field_p"),
        "field_q": user_with_role(Role.PARTNER_FIELD, partner_q, username="field_q"),
        "admin": UserFactory(username="admin", is_superuser=True, is_staff=True),
        "nobody": UserFactory(username="nobody"),
    }
    school_a = contract_a.schools.first()
    visit_a = FieldVisitFactory(
        school=school_a, organization=partner_p, staff=users["field_p"], progress="Coached grade 3 team."
    )
    measurement_a = MeasurementFactory(school=school_a, value=91.25)
    return SimpleNamespace(
        state_1=state_1,
        state_2=state_2,
        district_a=district_a,
        district_c=district_c,
        partner_p=partner_p,
        partner_q=partner_q,
        contract_a=contract_a,
        draft_a=draft_a,
        contract_c=contract_c,
        school_a=school_a,
        visit_a=visit_a,
        measurement_a=measurement_a,
        users=users,
    )
