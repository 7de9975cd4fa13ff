"""Two Lead Partners with a contract each on the ground, a draft one, and a user of every role."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.factories import (
    ClusterFactory,
    ContractFactory,
    DistrictFactory,
    OrganizationFactory,
    StateFactory,
    UserFactory,
    user_with_role,
)
from turnaround.models import Role


def school_year_start(today):
    return date(today.year if today.month >= 7 else today.year - 1, 7, 1)


@pytest.fixture
def world(db):
    today = timezone.localdate()
    start = school_year_start(today) - timedelta(days=365)
    term = {"start_date": start, "end_date": date(start.year + 5, 6, 30)}
    state = StateFactory(code="IL")
    district_a = DistrictFactory(state=state, name="Alpha Unified")
    district_c = DistrictFactory(state=state, name="Gamma City")
    partner_p = OrganizationFactory(name="Pioneer Schools Network", visit_edit_window_days=7)
    partner_q = OrganizationFactory(name="Quest Learning Partners")
    contract_a = ContractFactory(
        name="Alpha cluster", district=district_a, lead_partner=partner_p, lifecycle_status="active", **term
    )
    draft_a = ContractFactory(
        name="Alpha draft",
        district=district_a,
        lead_partner=partner_p,
        cluster=ClusterFactory(district=district_a, schools=1),
        **term,
    )
    contract_c = ContractFactory(
        name="Gamma cluster", district=district_c, lead_partner=partner_q, lifecycle_status="active", **term
    )
    users = {
        "district_a": user_with_role(Role.DISTRICT_STAFF, district_a, username="district_a"),
        "district_c": user_with_role(Role.DISTRICT_STAFF, district_c, username="district_c"),
        "state": user_with_role(Role.STATE_STAFF, state, username="state"),
        "program_p": user_with_role(Role.PARTNER_PROGRAM, partner_p, username="program_p"),
        "program_q": user_with_role(Role.PARTNER_PROGRAM, partner_q, username="program_q"),
        "field_p": user_with_role(Role.PARTNER_FIELD, partner_p, username="field_p", first_name="Frankie"),
        "field_p2": user_with_role(Role.PARTNER_FIELD, partner_p, username="field_p2"),
        "field_q": user_with_role(Role.PARTNER_FIELD, partner_q, username="field_q"),
        "admin": UserFactory(username="admin", is_superuser=True, is_staff=True),
        "nobody": UserFactory(username="nobody"),
    }
    return SimpleNamespace(
        today=today,
        district_a=district_a,
        district_c=district_c,
        partner_p=partner_p,
        partner_q=partner_q,
        contract_a=contract_a,
        draft_a=draft_a,
        contract_c=contract_c,
        school_a=contract_a.schools.order_by("pk").first(),
        school_draft=draft_a.schools.first(),
        school_c=contract_c.schools.order_by("pk").first(),
        users=users,
    )
