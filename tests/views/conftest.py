"""A small world for page tests: two states, three districts, two Lead Partners, and one user of
every role in and out of scope; and that world with statuses the indicator engine computed
(`evidence_world`: incomplete, earlier evidence, by improvement)."""

from datetime import date
from types import SimpleNamespace

import pytest

from contracts.models import Target
from indicators import engine
from tests.factories import (
    ClusterFactory,
    ContractFactory,
    DistrictFactory,
    FieldVisitFactory,
    MeasurementFactory,
    OrganizationFactory,
    StateFactory,
    UserFactory,
    indicator,
    report,
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


# Rows computed by the engine itself --------------------------------------------------------------

# The as-of date of the computed rows below: 1 October 2026, in the third year of the page-test
# world's Alpha cluster (it started on 1 July 2024; year 2 ran to 30 June 2026).
AS_OF = date(2026, 10, 1)


def target(contract, code, year, baseline, value, school=None, accountability="default"):
    return Target.objects.create(
        contract=contract,
        indicator=indicator(code),
        contract_year=year,
        school=school,
        baseline=baseline,
        target=value,
        accountability=accountability,
    )


@pytest.fixture
def evidence_world(world):
    """The world's Alpha cluster (three schools, in year 3 on AS_OF) with rows the engine computed:

    - attendance, cluster-wide and made accountable: all three schools reported year 2 (85, at
      risk); in year 3 only the first two have (87): `incomplete`, 2 of 3 schools reporting, its
      evidence year 2, final (at risk);
    - ELA, cluster-wide: year 2's spring results (27.5 against 30 from 20: on track), none yet in
      year 3: `no_data`, evidence year 2, final (on track);
    - math, cluster-wide: results in year 3 meet the target (`met`, evidence year 3);
    - attendance at the first school (monitored): 85 in year 2, 87 in year 3 against 95 from 80 is
      at risk, but it closed 2 of last year's 10 points: with the contract's improvement margin of
      10%, `on_track` by improvement on year 2;
    - attendance at the third school, which has not reported in year 3: `no_data`, evidence
      year 2, final (at risk).

    The performance status is the worst evidence of the accountable rows: at risk, on years 2
    (final) and 3."""
    contract = world.contract_a
    contract.improvement_margin = 0.1
    contract.save()
    first, second, third = schools = list(contract.schools.order_by("name"))
    for year, goal in ((2, 90), (3, 95)):
        target(contract, "attendance_rate", year, 80, goal, accountability="accountable")
        target(contract, "attendance_rate", year, 80, goal, school=first)
        target(contract, "attendance_rate", year, 80, goal, school=third)
    target(contract, "ela_proficiency", 2, 20, 30)
    target(contract, "ela_proficiency", 3, 20, 35)
    target(contract, "math_proficiency", 3, 20, 30)
    report(schools, "attendance_rate", date(2025, 9, 1), date(2026, 5, 31), 85)
    report([first, second], "attendance_rate", date(2026, 9, 1), date(2026, 9, 30), 87)
    report(schools, "ela_proficiency", date(2026, 3, 1), date(2026, 5, 31), 27.5)
    report(schools, "math_proficiency", date(2026, 9, 1), date(2026, 9, 15), 31)
    engine.recompute_contracts([contract.pk], as_of=AS_OF)
    world.schools_a = schools
    return world
