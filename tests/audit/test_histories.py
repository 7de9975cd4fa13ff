"""The audit trail: every change and every delete of the models issue 13 lists is recorded with
who made it and the value before, whatever the path (a save, a service's bulk write, the API)."""

from datetime import date
from decimal import Decimal

import pytest

from contracts import services
from contracts.models import ContractReview, ContractSchool, Proposal, Rfp
from partners.models import FieldVisit, FollowUp, Organization, PriorityPartnerDesignation, ServiceArea
from partners.visits import close_follow_up, set_edit_window
from schools.models import ClusterMembership, NonSchoolDay, School
from tests.api.conftest import client_for
from tests.factories import (
    ClusterFactory,
    ContractFactory,
    DistrictFactory,
    FieldVisitFactory,
    OrganizationFactory,
    SchoolFactory,
    StateFactory,
    UserFactory,
    user_with_role,
)
from turnaround.models import Role, UserProfile


# One row of each model, the field a user changes and its new value.
def contract_school():
    contract = ContractFactory()
    return contract.school_links.first(), "school", SchoolFactory(district=contract.district)


def cluster_membership():
    cluster = ClusterFactory(schools=1)
    return cluster.memberships.first(), "school", SchoolFactory(district=cluster.district)


def contract_review():
    review = ContractReview.objects.create(
        contract=ContractFactory(),
        contract_year=1,
        review_date=date(2025, 6, 1),
        findings="A good first year.",
        recommendation="continue",
    )
    return review, "findings", "Attendance fell in the spring."


def organization():
    return OrganizationFactory(name="Old name"), "name", "New name"


def designation():
    row = PriorityPartnerDesignation.objects.create(
        state=StateFactory(),
        organization=OrganizationFactory(),
        designated_on=date(2025, 1, 1),
        evidence="Three turnarounds.",
    )
    return row, "evidence", "Four turnarounds."


def rfp():
    return Rfp.objects.create(district=DistrictFactory(), title="Old title"), "title", "New title"


def proposal():
    row = Proposal.objects.create(
        rfp=Rfp.objects.create(district=DistrictFactory(), title="RFP"),
        organization=OrganizationFactory(),
        submitted_on=date(2025, 2, 1),
        score=Decimal("61.00"),
    )
    return row, "score", Decimal("74.50")


def school():
    return SchoolFactory(enrolment=400), "enrolment", 450


def non_school_day():
    day = NonSchoolDay.objects.create(
        district=DistrictFactory(), date=date(2025, 11, 27), description="Break"
    )
    return day, "description", "Thanksgiving break"


def field_visit():
    return FieldVisitFactory(progress="Coached the grade 3 team."), "progress", "Coached grade 4."


def follow_up():
    row = FollowUp.objects.create(
        visit=FieldVisitFactory(), description="Share the data", owner="Principal", due_on=date(2024, 10, 20)
    )
    return row, "owner", "Coach"


def user_profile():
    user = user_with_role(Role.PARTNER_PROGRAM, OrganizationFactory())
    return user.profile, "role", Role.PARTNER_FIELD


ROWS = [
    contract_school,
    cluster_membership,
    contract_review,
    organization,
    designation,
    rfp,
    proposal,
    school,
    non_school_day,
    field_visit,
    follow_up,
    user_profile,
]


def value_of(record, field):
    model_field = record.instance_type._meta.get_field(field)
    return getattr(record, model_field.attname)


def plain(value):
    return value.pk if hasattr(value, "pk") else value


@pytest.mark.parametrize("make", ROWS, ids=[make.__name__ for make in ROWS])
def test_a_change_and_a_delete_are_recorded_with_who_and_the_old_value(db, make, acting_as):
    row, field, new_value = make()
    model = type(row)
    old_value = plain(getattr(row, field))
    editor = UserFactory(username="editor")
    with acting_as(editor):
        setattr(row, field, new_value)
        row.save()
    change = model.history.filter(id=row.pk, history_type="~").latest()
    assert change.history_user == editor
    assert value_of(change, field) == plain(new_value)
    assert value_of(change.prev_record, field) == old_value  # from what to what
    pk = row.pk
    with acting_as(editor):
        row.delete()
    removal = model.history.get(id=pk, history_type="-")
    assert removal.history_user == editor
    assert value_of(removal, field) == plain(new_value)  # what it held when it went


# Writes that bypass save() -------------------------------------------------------------------------


def test_a_new_contract_records_its_schools_with_who_drafted_it(db):
    author = UserFactory(username="author")
    cluster = ClusterFactory(schools=2)
    contract = services.create_contract(
        created_by=author,
        reference="PC-AUDIT",
        name="Audit cluster",
        district=cluster.district,
        lead_partner=OrganizationFactory(),
        cluster=cluster,
        start_date=date(2024, 7, 1),
        end_date=date(2029, 6, 30),
    )
    added = ContractSchool.history.filter(contract_id=contract.pk, history_type="+")
    assert sorted(added.values_list("school_id", flat=True)) == sorted(s.pk for s in cluster.schools.all())
    assert {r.history_user for r in added} == {author}


def test_changing_a_contracts_schools_records_the_added_and_the_removed(db, acting_as):
    contract = ContractFactory()
    first, second, third = contract.schools.order_by("pk")
    newcomer = SchoolFactory(district=contract.district)
    editor = UserFactory(username="editor")
    with acting_as(editor):
        services.set_contract_schools(contract, [first, second, newcomer])
    removed = ContractSchool.history.get(contract_id=contract.pk, history_type="-")
    assert (removed.school_id, removed.history_user) == (third.pk, editor)
    added = ContractSchool.history.get(contract_id=contract.pk, history_type="+", school_id=newcomer.pk)
    assert added.history_user == editor


def test_the_in_force_flag_the_lifecycle_keeps_is_not_in_the_history(db):
    contract = ContractFactory(lifecycle_status="active")
    link = contract.school_links.first()
    assert link.in_force
    # Only the row's creation: the lifecycle's own record says when it came into force.
    assert list(ContractSchool.history.filter(id=link.pk).values_list("history_type", flat=True)) == ["+"]


def test_selecting_a_proposal_records_the_new_cluster_and_the_others_not_selected(db):
    district = DistrictFactory()
    schools = [SchoolFactory(district=district) for _ in range(2)]
    call = Rfp.objects.create(district=district, title="Turnaround of the east side", status="closed")
    call.schools.set(schools)
    chosen, other = (
        Proposal.objects.create(rfp=call, organization=OrganizationFactory(), submitted_on=date(2025, 2, 1))
        for _ in range(2)
    )
    chooser = UserFactory(username="chooser")
    contract = services.select_proposal(
        chosen,
        user=chooser,
        new_cluster_name="East side",
        reference="PC-EAST",
        name="East side",
        start_date=date(2026, 7, 1),
        end_date=date(2029, 6, 30),
    )
    memberships = ClusterMembership.history.filter(cluster_id=contract.cluster_id, history_type="+")
    assert memberships.count() == 2 and {r.history_user for r in memberships} == {chooser}
    not_selected = Proposal.history.filter(id=other.pk, history_type="~").latest()
    assert (not_selected.status, not_selected.prev_record.status) == ("not_selected", "submitted")
    assert not_selected.history_user == chooser


def test_the_cluster_api_records_memberships_added_and_removed_by_its_user(db):
    district = DistrictFactory()
    cluster = ClusterFactory(district=district, schools=2)
    kept, dropped = cluster.schools.order_by("pk")
    added = SchoolFactory(district=district)
    staff = user_with_role(Role.DISTRICT_STAFF, district, username="district_staff")
    response = client_for(staff).patch(
        f"/api/v1/clusters/{cluster.pk}/", {"schools": [kept.pk, added.pk]}, format="json"
    )
    assert response.status_code == 200, response.content
    removal = ClusterMembership.history.get(cluster_id=cluster.pk, history_type="-")
    assert (removal.school_id, removal.history_user) == (dropped.pk, staff)
    addition = ClusterMembership.history.get(cluster_id=cluster.pk, school_id=added.pk, history_type="+")
    assert addition.history_user == staff


def test_the_school_api_records_an_enrolment_change_with_its_user(db):
    district = DistrictFactory()
    school = SchoolFactory(district=district, enrolment=400)
    staff = user_with_role(Role.DISTRICT_STAFF, district, username="district_staff")
    response = client_for(staff).patch(f"/api/v1/schools/{school.pk}/", {"enrolment": 512}, format="json")
    assert response.status_code == 200, response.content
    change = School.history.filter(id=school.pk, history_type="~").latest()
    assert (change.prev_record.enrolment, change.enrolment, change.history_user) == (400, 512, staff)


def test_closing_a_follow_up_is_recorded_with_who_closed_it(db):
    partner = OrganizationFactory()
    visit = FieldVisitFactory(organization=partner)
    row = FollowUp.objects.create(
        visit=visit, description="Call the principal", owner="Coach", due_on=date(2024, 10, 20)
    )
    closer = user_with_role(Role.PARTNER_PROGRAM, partner, username="closer")
    close_follow_up(row, closer, "Called on Monday.", done_on=date(2024, 10, 18))
    closed = FollowUp.history.filter(id=row.pk, history_type="~").latest()
    assert (closed.done_on, closed.closing_note, closed.history_user) == (
        date(2024, 10, 18),
        "Called on Monday.",
        closer,
    )
    assert closed.prev_record.done_on is None


def test_setting_the_edit_window_is_recorded_in_the_organizations_history(db, acting_as):
    partner = OrganizationFactory()
    program = user_with_role(Role.PARTNER_PROGRAM, partner, username="program")
    with acting_as(program):
        set_edit_window(program, 3)
    change = Organization.history.filter(id=partner.pk, history_type="~").latest()
    assert (change.prev_record.visit_edit_window_days, change.visit_edit_window_days) == (7, 3)
    assert change.history_user == program


def test_a_designations_service_areas_are_in_its_history(db, acting_as):
    areas = [ServiceArea.objects.create(code=f"area-{n}", name=f"Area {n}") for n in range(3)]
    row = PriorityPartnerDesignation.objects.create(
        state=StateFactory(), organization=OrganizationFactory(), designated_on=date(2025, 1, 1), evidence="x"
    )
    row.service_areas.set(areas[:2])
    with acting_as(UserFactory()):
        row.service_areas.set(areas[1:])
    latest = PriorityPartnerDesignation.history.filter(id=row.pk).latest()
    assert sorted(latest.service_areas.values_list("servicearea_id", flat=True)) == [areas[1].pk, areas[2].pk]


def test_a_deleted_field_visit_takes_its_follow_ups_into_the_history(db, acting_as):
    visit = FieldVisitFactory()
    row = FollowUp.objects.create(
        visit=visit, description="Order books", owner="Coach", due_on=date(2024, 11, 1)
    )
    author, pk = visit.staff, visit.pk
    with acting_as(author):
        visit.delete()
    assert FieldVisit.history.get(id=pk, history_type="-").history_user == author
    removed = FollowUp.history.get(id=row.pk, history_type="-")
    assert (removed.description, removed.history_user) == ("Order books", author)


def test_a_role_change_in_the_profile_keeps_the_old_role(db, acting_as):
    district = DistrictFactory()
    user = user_with_role(Role.DISTRICT_STAFF, district)
    state = StateFactory()
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    profile = user.profile
    with acting_as(admin):
        profile.role, profile.district, profile.state = Role.STATE_STAFF, None, state
        profile.save()
    change = UserProfile.history.filter(id=profile.pk, history_type="~").latest()
    assert (change.prev_record.role, change.prev_record.district_id) == (Role.DISTRICT_STAFF, district.pk)
    assert (change.role, change.state_id, change.history_user) == (Role.STATE_STAFF, state.pk, admin)
