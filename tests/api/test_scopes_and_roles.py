"""Every endpoint, every role: lists hold exactly the user's scope, objects outside it answer 404,
writes outside the role answer 403, and no credentials answer 401."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contracts.models import PerformanceContract, Target
from indicators.models import Measurement, MeasurementImport
from partners.models import FieldVisit, Organization
from schools.models import Cluster, District, School
from tests.factories import TargetFactory

ROLES = [
    "district_a",
    "district_c",
    "state_1",
    "state_2",
    "program_p",
    "program_q",
    "field_p",
    "field_q",
    "admin",
    "nobody",
]
SCOPED_LISTS = {
    "districts": District,
    "schools": School,
    "clusters": Cluster,
    "partners": Organization,
    "contracts": PerformanceContract,
    "targets": Target,
    "measurements": Measurement,
    "imports": MeasurementImport,
    "field-visits": FieldVisit,
}


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", sorted(SCOPED_LISTS))
def test_each_list_holds_exactly_the_users_scope(world, api, resource, role):
    TargetFactory(contract=world.contract_a)
    TargetFactory(contract=world.contract_c)
    expected = sorted(
        SCOPED_LISTS[resource].objects.visible_to(world.users[role]).values_list("pk", flat=True)
    )
    assert ids(api(role).get(f"/api/v1/{resource}/", {"page_size": 200})) == expected


def test_the_scopes_differ_by_role_as_designed(world, api):
    contracts = {role: ids(api(role).get("/api/v1/contracts/")) for role in ROLES}
    a, draft, c = world.contract_a.pk, world.draft_a.pk, world.contract_c.pk
    assert contracts["district_a"] == sorted([a, draft])
    assert contracts["state_1"] == sorted([a, draft])
    assert contracts["program_p"] == sorted([a, draft])
    assert contracts["field_p"] == [a]  # field staff: contracts on the ground only
    assert contracts["district_c"] == contracts["program_q"] == [c]
    assert contracts["admin"] == sorted([a, draft, c])
    assert contracts["nobody"] == []


def test_the_catalog_of_indicators_is_read_by_everyone(world, api):
    for role in ROLES:
        response = api(role).get("/api/v1/indicators/", {"page_size": 200})
        assert response.status_code == 200
        assert "attendance_rate" in {row["code"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/contracts/{contract_c}/",
        "/api/v1/contracts/{contract_c}/status/",
        "/api/v1/schools/{school_c}/",
        "/api/v1/districts/{district_c}/",
        "/api/v1/clusters/{cluster_c}/",
        "/api/v1/targets/{target_c}/",
        "/api/v1/measurements/{measurement_c}/",
        "/api/v1/field-visits/{visit_c}/",
        "/api/v1/partners/{partner_q}/",
    ],
)
@pytest.mark.parametrize("role", ["district_a", "program_p", "field_p", "state_1", "nobody"])
def test_an_object_outside_the_scope_answers_404(world, api, path, role):
    from tests.factories import FieldVisitFactory, MeasurementFactory

    school_c = world.contract_c.schools.first()
    keys = {
        "contract_c": world.contract_c.pk,
        "school_c": school_c.pk,
        "district_c": world.district_c.pk,
        "cluster_c": world.contract_c.cluster_id,
        "target_c": TargetFactory(contract=world.contract_c).pk,
        "measurement_c": MeasurementFactory(school=school_c).pk,
        "visit_c": FieldVisitFactory(school=school_c, organization=world.partner_q).pk,
        "partner_q": world.partner_q.pk,
    }
    url = path.format(**keys)
    response = api(role).get(url)
    if role in ("district_a", "state_1") and "partners" in url:
        # District and state staff see every organization (they pick and vet partners).
        assert response.status_code == 200
        return
    assert response.status_code == 404, response.content
    assert "detail" in response.json()
    # For a role that may write such objects, writing to one outside the scope is a 404 too, not
    # a 403: nothing tells that it exists.
    if role == "district_a" and not any(
        p in url for p in ("status", "measurements", "partners", "field-visits")
    ):
        assert api(role).patch(url, {}, format="json").status_code == 404


def test_no_credentials_answer_401_with_the_token_scheme(api):
    response = api(None).get("/api/v1/contracts/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_answers_401(api):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 64)
    assert client.get("/api/v1/contracts/").status_code == 401


@pytest.mark.parametrize(
    "role, method, path, body",
    [
        # Contract terms: district staff of the contract's district only.
        ("state_1", "patch", "/api/v1/contracts/{contract_a}/", {"notes": "x"}),
        ("program_p", "patch", "/api/v1/contracts/{contract_a}/", {"notes": "x"}),
        ("field_p", "patch", "/api/v1/contracts/{contract_a}/", {"notes": "x"}),
        ("state_1", "post", "/api/v1/contracts/", {}),
        ("program_p", "post", "/api/v1/contracts/", {}),
        # Targets: district staff.
        ("program_p", "post", "/api/v1/targets/", {}),
        ("state_1", "post", "/api/v1/targets/", {}),
        ("program_p", "patch", "/api/v1/targets/{target_a}/", {"target": 99}),
        ("program_p", "delete", "/api/v1/targets/{target_a}/", None),
        # Measurements: program staff and district staff.
        ("field_p", "post", "/api/v1/measurements/", {}),
        ("state_1", "post", "/api/v1/measurements/", {}),
        ("nobody", "post", "/api/v1/measurements/", {}),
        ("field_p", "post", "/api/v1/imports/", {}),
        ("state_1", "post", "/api/v1/imports/", {}),
        # Districts, schools, clusters: district staff.
        ("district_a", "post", "/api/v1/districts/", {}),
        ("state_1", "patch", "/api/v1/districts/{district_a}/", {"name": "x"}),
        ("program_p", "post", "/api/v1/schools/", {}),
        ("state_1", "patch", "/api/v1/schools/{school_a}/", {"name": "x"}),
        ("program_p", "post", "/api/v1/clusters/", {}),
        # Partners: district or state staff add; the district or state it works in edits it, its
        # program staff its self-description.
        ("program_p", "post", "/api/v1/partners/", {}),
        ("program_p", "patch", "/api/v1/partners/{partner_p}/", {"name": "x"}),
        ("district_c", "patch", "/api/v1/partners/{partner_p}/", {"description": "x"}),
        ("state_2", "patch", "/api/v1/partners/{partner_p}/", {"description": "x"}),
        # The indicator catalog: administrators.
        ("district_a", "post", "/api/v1/indicators/", {}),
        ("district_a", "patch", "/api/v1/indicators/{indicator}/", {"name": "x"}),
        # Field visits: the Lead Partner's field and program staff; field staff only their own.
        ("district_a", "post", "/api/v1/field-visits/", {}),
        ("state_1", "patch", "/api/v1/field-visits/{visit_a}/", {"progress": "x"}),
        ("district_a", "delete", "/api/v1/field-visits/{visit_a}/", None),
    ],
)
def test_a_write_outside_the_role_answers_403(world, api, role, method, path, body):
    from tests.factories import indicator

    keys = {
        "contract_a": world.contract_a.pk,
        "target_a": TargetFactory(contract=world.contract_a).pk,
        "district_a": world.district_a.pk,
        "school_a": world.school_a.pk,
        "partner_p": world.partner_p.pk,
        "indicator": indicator("attendance_rate").pk,
        "visit_a": world.visit_a.pk,
    }
    response = getattr(api(role), method)(path.format(**keys), body, format="json")
    assert response.status_code == 403, response.content
    assert "detail" in response.json()


def test_field_staff_edit_only_their_own_visits(world, api):
    from tests.factories import FieldVisitFactory, user_with_role
    from turnaround.models import Role

    colleague = user_with_role(Role.PARTNER_FIELD, world.partner_p, username="colleague")
    theirs = FieldVisitFactory(school=world.school_a, organization=world.partner_p, staff=colleague)
    assert api("field_p").patch(f"/api/v1/field-visits/{theirs.pk}/", {"progress": "x"}).status_code == 403
    mine = api("field_p").patch(f"/api/v1/field-visits/{world.visit_a.pk}/", {"progress": "Coached."})
    assert mine.status_code == 200, mine.content
    assert mine.json()["progress"] == "Coached."
    # As in the browser: only the author edits, program staff included, and only within the
    # organization's edit window; after it a correction is a new visit.
    assert api("program_p").patch(f"/api/v1/field-visits/{theirs.pk}/", {"progress": "y"}).status_code == 403
    FieldVisit.objects.filter(pk=world.visit_a.pk).update(
        created_at=timezone.now() - timedelta(days=world.partner_p.visit_edit_window_days + 1)
    )
    late = api("field_p").patch(f"/api/v1/field-visits/{world.visit_a.pk}/", {"progress": "Later."})
    assert late.status_code == 403
    assert api("field_p").delete(f"/api/v1/field-visits/{world.visit_a.pk}/").status_code == 403
