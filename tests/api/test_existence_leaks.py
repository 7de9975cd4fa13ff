"""The API tells nothing about objects outside the user's scope (issue 13: existence leaks): not
through a uniqueness error, a user id it accepts, or ids in a school's fields."""

import pytest

from schools.models import School
from tests.factories import ClusterFactory, SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


def new_school(world, state_id):
    return {
        "state_id": state_id,
        "name": "New Academy",
        "district": world.district_a.pk,
        "level": "high",
        "grade_low": 9,
        "grade_high": 12,
        "enrolment": 800,
    }


def test_a_state_id_taken_in_another_district_is_refused_without_naming_it(world, api):
    gamma = world.contract_c.schools.first()
    response = api("district_a").post("/api/v1/schools/", new_school(world, gamma.state_id), format="json")
    assert response.status_code == 400, response.content
    message = response.json()["state_id"][0]
    assert message == "This state/NCES id is already in use; check it, or ask an administrator."
    assert gamma.name not in response.content.decode() and "Gamma" not in response.content.decode()
    assert School.objects.filter(state_id=gamma.state_id).count() == 1
    # The same on an edit: moving one's own school onto another district's id.
    mine = world.school_a
    moved = api("district_a").patch(
        f"/api/v1/schools/{mine.pk}/", {"state_id": gamma.state_id}, format="json"
    )
    assert moved.status_code == 400 and moved.json()["state_id"] == [message]
    mine.refresh_from_db()
    assert mine.state_id != gamma.state_id


def test_a_state_id_taken_in_ones_own_district_names_the_school(world, api):
    other = world.draft_a.schools.first()
    response = api("district_a").post("/api/v1/schools/", new_school(world, other.state_id), format="json")
    assert response.status_code == 400
    assert response.json()["state_id"] == [f"{other.name} already has this state/NCES id."]
    # Its own id sent back unchanged is no conflict.
    same = api("district_a").patch(
        f"/api/v1/schools/{other.pk}/", {"state_id": other.state_id}, format="json"
    )
    assert same.status_code == 200, same.content


VISIT = {
    "visit_date": "2024-10-08",
    "duration_minutes": 60,
    "focus": ["principal_check_in"],
}


def test_the_visit_staff_field_says_the_same_for_an_unknown_and_an_out_of_scope_user(world, api):
    body = {**VISIT, "school": world.school_a.pk}
    unknown = api("field_p").post("/api/v1/field-visits/", {**body, "staff": 987654}, format="json")
    outsider = api("field_p").post(
        "/api/v1/field-visits/", {**body, "staff": world.users["field_q"].pk}, format="json"
    )
    district = api("field_p").post(
        "/api/v1/field-visits/", {**body, "staff": world.users["district_c"].pk}, format="json"
    )
    for response in (unknown, outsider, district):
        assert response.status_code == 400
        assert response.json() == {"staff": ["Not a staff member of the Lead Partner."]}
    assert api("field_p").post("/api/v1/field-visits/", {**body, "staff": "abc"}, format="json").json() == {
        "staff": ["Not a staff member of the Lead Partner."]
    }


def test_administrators_name_only_the_lead_partners_field_or_program_staff(world, api):
    body = {**VISIT, "school": world.school_a.pk, "organization": world.partner_p.pk}
    for staff in (world.users["field_q"], world.users["district_a"], UserFactory()):
        response = api("admin").post("/api/v1/field-visits/", {**body, "staff": staff.pk}, format="json")
        assert response.status_code == 400, staff
        assert response.json() == {"staff": ["Not a staff member of the Lead Partner."]}
    ok = api("admin").post(
        "/api/v1/field-visits/", {**body, "staff": world.users["field_p"].pk}, format="json"
    )
    assert ok.status_code == 201, ok.content


def test_a_school_shows_only_the_receiving_school_and_clusters_in_scope(world, api):
    """Pioneer's program staff see their contract's schools; a school of theirs that feeds into one
    outside their contracts, and sits in another cluster of the district too, shows neither, as
    its page does not."""
    school = world.school_a
    outside = SchoolFactory(district=world.district_a, name="Outside High")
    school.feeds_into = outside
    school.save()
    other_cluster = ClusterFactory(district=world.district_a, schools=[school])
    own_cluster = world.contract_a.cluster
    for path in (f"/api/v1/schools/{school.pk}/", f"/api/v1/schools/?cluster={own_cluster.pk}"):
        data = api("program_p").get(path).json()
        row = data if "id" in data else next(r for r in data["results"] if r["id"] == school.pk)
        assert row["feeds_into"] is None
        assert row["clusters"] == [own_cluster.pk]
    # District staff see both, as on the page.
    row = api("district_a").get(f"/api/v1/schools/{school.pk}/").json()
    assert row["feeds_into"] == outside.pk
    assert sorted(row["clusters"]) == sorted([own_cluster.pk, other_cluster.pk])
    # A district staff member's edit answers with the values they see.
    edited = api("district_a").patch(f"/api/v1/schools/{school.pk}/", {"name": "Renamed"}, format="json")
    assert edited.status_code == 200
    assert edited.json()["feeds_into"] == outside.pk
    assert sorted(edited.json()["clusters"]) == sorted([own_cluster.pk, other_cluster.pk])
