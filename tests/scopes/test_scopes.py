"""Each role sees exactly its own objects, through the one queryset scope per model."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from contracts.models import PerformanceContract, Subcontract, Target
from indicators.models import Measurement
from partners.models import FieldVisit, Organization, PriorityPartnerDesignation
from schools.models import Cluster, District, School, State
from tests.factories import (
    ContractFactory,
    DistrictFactory,
    FieldVisitFactory,
    MeasurementFactory,
    OrganizationFactory,
    SchoolFactory,
    StateFactory,
    TargetFactory,
    UserFactory,
    user_with_role,
)
from turnaround.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two states with one district each; two Lead Partners, each with contracts in both."""
    s1, s2 = StateFactory(code="IL"), StateFactory(code="PA")
    d1, d2 = DistrictFactory(state=s1), DistrictFactory(state=s2)
    p1, p2 = OrganizationFactory(name="Partner One"), OrganizationFactory(name="Partner Two")
    helper = OrganizationFactory(name="Supporting", kind="supporting_partner")
    c1 = ContractFactory(district=d1, lead_partner=p1, lifecycle_status="active")
    c2 = ContractFactory(district=d1, lead_partner=p2, lifecycle_status="pre_launch")
    c3 = ContractFactory(district=d2, lead_partner=p2, lifecycle_status="active")
    c4 = ContractFactory(district=d2, lead_partner=p1, lifecycle_status="terminated")
    loose = SchoolFactory(district=d1)  # a district school under no contract
    Subcontract.objects.create(
        contract=c1,
        supporting_partner=helper,
        services="Tutoring",
        start_date=date(2024, 7, 1),
        end_date=date(2025, 6, 30),
    )
    users = {
        "district": user_with_role(Role.DISTRICT_STAFF, d1),
        "state": user_with_role(Role.STATE_STAFF, s1),
        "program": user_with_role(Role.PARTNER_PROGRAM, p1),
        "field": user_with_role(Role.PARTNER_FIELD, p1),
        "nobody": UserFactory(),
        "admin": UserFactory(is_superuser=True, is_staff=True),
    }
    schools = {c: set(c.schools.all()) for c in (c1, c2, c3, c4)}
    for contract in (c1, c2, c3, c4):
        TargetFactory(contract=contract)
        for school in schools[contract]:
            MeasurementFactory(school=school)
            FieldVisitFactory(school=school, organization=contract.lead_partner, staff=users["field"])
    MeasurementFactory(school=loose)
    PriorityPartnerDesignation.objects.create(
        state=s1, organization=helper, designated_on=date(2024, 1, 1), evidence="Track record"
    )
    PriorityPartnerDesignation.objects.create(
        state=s2, organization=p1, designated_on=date(2024, 1, 1), evidence="Track record"
    )
    return {
        "states": (s1, s2),
        "districts": (d1, d2),
        "orgs": (p1, p2, helper),
        "contracts": (c1, c2, c3, c4),
        "schools": schools,
        "loose": loose,
        "users": users,
    }


def visible(model, user):
    return set(model.objects.visible_to(user))


def test_contracts_by_role(world):
    c1, c2, c3, c4 = world["contracts"]
    users = world["users"]
    assert visible(PerformanceContract, users["district"]) == {c1, c2}
    assert visible(PerformanceContract, users["state"]) == {c1, c2}
    assert visible(PerformanceContract, users["program"]) == {c1, c4}
    assert visible(PerformanceContract, users["field"]) == {c1}  # only contracts on the ground
    assert visible(PerformanceContract, users["nobody"]) == set()
    assert visible(PerformanceContract, users["admin"]) == {c1, c2, c3, c4}


def test_schools_by_role(world):
    c1, c2, c3, c4 = world["contracts"]
    schools, users = world["schools"], world["users"]
    assert visible(School, users["district"]) == schools[c1] | schools[c2] | {world["loose"]}
    assert visible(School, users["state"]) == schools[c1] | schools[c2] | {world["loose"]}
    assert visible(School, users["program"]) == schools[c1] | schools[c4]
    assert visible(School, users["field"]) == schools[c1]
    assert visible(School, users["nobody"]) == set()
    assert len(visible(School, users["admin"])) == 13


def test_districts_states_and_clusters_by_role(world):
    (s1, s2), (d1, d2) = world["states"], world["districts"]
    c1, c2, c3, c4 = world["contracts"]
    users = world["users"]
    assert visible(District, users["district"]) == {d1}
    assert visible(District, users["state"]) == {d1}
    assert visible(District, users["program"]) == {d1, d2}
    assert visible(District, users["field"]) == {d1}
    assert visible(State, users["district"]) == {s1}
    assert visible(State, users["program"]) == {s1, s2}
    assert visible(State, users["nobody"]) == set()
    assert visible(Cluster, users["district"]) == {c1.cluster, c2.cluster}
    assert visible(Cluster, users["program"]) == {c1.cluster, c4.cluster}
    assert visible(Cluster, users["field"]) == {c1.cluster}


def test_measurements_follow_the_schools(world):
    users = world["users"]
    for name, user in users.items():
        expected = set(Measurement.objects.filter(school__in=School.objects.visible_to(user)))
        assert visible(Measurement, user) == expected, name
    # three entered values, and the field presence the visits at those schools gave
    entered = {m for m in visible(Measurement, users["field"]) if m.source != "computed"}
    assert len(entered) == 3
    assert visible(Measurement, users["nobody"]) == set()


def test_targets_follow_the_contracts(world):
    c1, c2, c3, c4 = world["contracts"]
    users = world["users"]
    assert {t.contract for t in visible(Target, users["district"])} == {c1, c2}
    assert {t.contract for t in visible(Target, users["program"])} == {c1, c4}
    assert {t.contract for t in visible(Target, users["field"])} == {c1}


def test_organizations_by_role(world):
    p1, p2, helper = world["orgs"]
    users = world["users"]
    assert visible(Organization, users["district"]) == {p1, p2, helper}
    assert visible(Organization, users["state"]) == {p1, p2, helper}
    assert visible(Organization, users["program"]) == {p1, helper}  # itself and its subcontractors
    assert visible(Organization, users["nobody"]) == set()


def test_field_visits_by_role(world):
    c1, c2, c3, c4 = world["contracts"]
    schools, users = world["schools"], world["users"]
    assert {v.school for v in visible(FieldVisit, users["district"])} == schools[c1] | schools[c2]
    assert {v.organization for v in visible(FieldVisit, users["program"])} == {c1.lead_partner}
    assert {v.school for v in visible(FieldVisit, users["field"])} == schools[c1]
    assert visible(FieldVisit, users["nobody"]) == set()


def test_priority_designations_by_role(world):
    s1, users = world["states"][0], world["users"]
    assert {d.state for d in visible(PriorityPartnerDesignation, users["state"])} == {s1}
    assert {d.state for d in visible(PriorityPartnerDesignation, users["district"])} == {s1}
    assert {d.organization.name for d in visible(PriorityPartnerDesignation, users["program"])} == {
        "Partner One"
    }


def test_an_inactive_user_sees_nothing(world):
    user = world["users"]["district"]
    user.is_active = False
    user.save()
    fresh = get_user_model().objects.get(pk=user.pk)
    assert visible(PerformanceContract, fresh) == set()
