"""Writes validate as the models do and answer a JSON message per field; measurements upsert one
object or a list, all or nothing, and schedule one recompute of the contracts they touch."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from contracts.models import PerformanceContract, Target
from indicators import tasks
from indicators.models import Measurement, Source
from tests.factories import MeasurementFactory, indicator


def measurement(school, value=91.5, **extra):
    return {
        "school_id": school.state_id,
        "indicator": "attendance_rate",
        "period_start": "2024-10-01",
        "period_end": "2024-10-31",
        "value": value,
        **extra,
    }


@pytest.fixture
def enqueued(world, monkeypatch):
    """The recompute tasks sent to the broker after commit from now on: [[contract ids], ...]."""
    from django.core.cache import cache

    cache.clear()  # the marks of the recomputes that building the world scheduled
    sent = []
    monkeypatch.setattr(tasks.recompute_contracts, "apply_async", lambda args, **kw: sent.append(args[0]))
    return sent


def test_a_contract_outside_3_to_5_years_is_refused_per_field(world, api):
    body = {
        "reference": "PC-NEW",
        "name": "Two-year contract",
        "district": world.district_a.pk,
        "lead_partner": world.partner_q.pk,
        "cluster": world.draft_a.cluster_id,
        "start_date": "2026-07-01",
        "end_date": "2028-06-30",
    }
    response = api("district_a").post("/api/v1/contracts/", body)
    assert response.status_code == 400
    assert "3 to 5 years" in response.json()["end_date"][0]
    assert not PerformanceContract.objects.filter(reference="PC-NEW").exists()
    body["end_date"] = "2029-06-30"
    response = api("district_a").post("/api/v1/contracts/", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["lifecycle_status"] == "draft" and created["phase"] in ("pre_launch", "year_1")
    # The service gave it its cluster's schools, autonomies, responsibility split and checklist.
    contract = PerformanceContract.objects.get(pk=created["id"])
    assert len(created["schools"]) == contract.school_links.count() == 1
    assert contract.autonomies.exists() and contract.responsibilities.exists() and contract.checklist.exists()


def test_a_contract_is_drafted_only_in_the_users_own_district(world, api):
    body = {
        "reference": "PC-ELSEWHERE",
        "name": "Elsewhere",
        "district": world.district_c.pk,
        "lead_partner": world.partner_q.pk,
        "cluster": world.contract_c.cluster_id,
        "start_date": "2026-07-01",
        "end_date": "2029-06-30",
    }
    response = api("district_a").post("/api/v1/contracts/", body)
    assert response.status_code == 400
    assert set(response.json()) == {"district", "cluster"}  # neither is one the user may see


def test_contract_terms_are_edited_but_the_parties_stay(world, api):
    url = f"/api/v1/contracts/{world.contract_a.pk}/"
    response = api("district_a").patch(url, {"notes": "Year 2 review due.", "at_risk_threshold": 0.3})
    assert response.status_code == 200, response.content
    assert response.json()["notes"] == "Year 2 review due."
    response = api("district_a").patch(url, {"lead_partner": world.partner_q.pk})
    assert response.status_code == 400 and "lead_partner" in response.json()
    response = api("district_a").patch(url, {"at_risk_threshold": 0.9})  # above on-track: 0.75
    assert response.status_code == 400 and "non_field_errors" in response.json()
    response = api("district_a").patch(url, {"lifecycle_status": "terminated"})
    assert response.status_code == 200 and response.json()["lifecycle_status"] == "active"  # read-only


def test_a_target_for_an_unknown_indicator_is_refused(world, api):
    body = {"contract": world.contract_a.pk, "indicator": "happiness", "contract_year": 1, "target": 90}
    response = api("district_a").post("/api/v1/targets/", body)
    assert response.status_code == 400
    assert response.json() == {
        "indicator": ["Unknown indicator 'happiness': see /api/v1/indicators/ for the codes."]
    }


def test_targets_are_set_once_per_contract_year_and_school(world, api):
    body = {"contract": world.contract_a.pk, "indicator": "attendance_rate", "contract_year": 2, "target": 92}
    first = api("district_a").post("/api/v1/targets/", {**body, "baseline": 85})
    assert first.status_code == 201, first.content
    again = api("district_a").post("/api/v1/targets/", body)
    assert again.status_code == 400 and "already has a year 2 target" in again.json()["non_field_errors"][0]
    beyond = api("district_a").post("/api/v1/targets/", {**body, "contract_year": 6})
    assert beyond.status_code == 400 and "contract_year" in beyond.json()
    other_school = world.contract_c.schools.first()
    outside = api("district_a").post(
        "/api/v1/targets/", {**body, "contract_year": 3, "school": other_school.pk}
    )
    assert outside.status_code == 400 and "school" in outside.json()
    not_covered = api("district_a").post(
        "/api/v1/targets/", {**body, "contract_year": 3, "school": world.draft_a.schools.first().pk}
    )
    assert not_covered.status_code == 400
    assert not_covered.json()["school"] == ["The school is not covered by this contract."]
    target = Target.objects.get(pk=first.json()["id"])
    assert api("district_a").delete(f"/api/v1/targets/{target.pk}/").status_code == 204
    assert not Target.objects.filter(pk=target.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_one_measurement_is_upserted_and_recomputes_its_contract_once(world, api, enqueued):
    school = world.school_a
    created = api("program_p").post("/api/v1/measurements/", measurement(school))
    assert created.status_code == 201, created.content
    assert created.json()["created"] == 1
    [row] = created.json()["measurements"]
    assert (
        row["school_id"] == school.state_id and row["source"] == "api" and row["supplied_by"] == "program_p"
    )
    assert enqueued == [[world.contract_a.pk]]
    # The same school, indicator and period again replaces the value, never duplicates it.
    updated = api("program_p").post("/api/v1/measurements/", measurement(school, value=93))
    assert updated.status_code == 200 and updated.json()["updated"] == 1
    assert Measurement.objects.filter(school=school, period_start=date(2024, 10, 1)).get().value == 93
    unchanged = api("program_p").post("/api/v1/measurements/", measurement(school, value=93))
    assert unchanged.json() == {**unchanged.json(), "created": 0, "updated": 0, "unchanged": 1}


@pytest.mark.django_db(transaction=True)
def test_a_list_of_measurements_is_written_in_one_transaction_with_one_recompute(world, api, enqueued):
    schools = list(world.contract_a.schools.all()) + list(world.draft_a.schools.all())
    body = [
        measurement(s, period_start=f"2024-{m:02d}-01", period_end=f"2024-{m:02d}-28")
        for s in schools
        for m in (9, 10)
    ]
    response = api("district_a").post("/api/v1/measurements/", body)
    assert response.status_code == 201, response.content
    assert response.json()["created"] == len(body) and len(response.json()["measurements"]) == len(body)
    # One task for every contract the schools are under, each contract once.
    assert enqueued == [sorted([world.contract_a.pk, world.draft_a.pk])]
    assert Measurement.objects.filter(source=Source.API).count() == len(body)


def test_one_bad_measurement_rejects_the_list_with_a_message_per_item_and_field(world, api):
    school_c = world.contract_c.schools.first()
    before = Measurement.objects.count()
    body = [
        measurement(world.school_a),
        measurement(school_c),  # a school outside the user's scope
        measurement(world.school_a, indicator="happiness", value="lots", period_end="2024-09-01"),
        {"school_id": world.school_a.state_id, "colour": "blue"},
    ]
    response = api("program_p").post("/api/v1/measurements/", body)
    assert response.status_code == 400
    errors = response.json()
    assert errors[0] == {}
    assert errors[3] == {
        "indicator": ["This field is required."],
        "period_start": ["This field is required."],
        "period_end": ["This field is required."],
        "value": ["This field is required."],
        "colour": ["Unknown field."],
    }
    assert Measurement.objects.count() == before
    # The shape is fine now; the values are checked by the same rules as the file import.
    response = api("program_p").post("/api/v1/measurements/", body[:3])
    errors = response.json()
    assert errors[0] == {}
    assert errors[1] == {"school_id": [f"No school has the id {school_c.state_id}."]}  # as unknown
    assert errors[2]["indicator"] == ["Unknown indicator 'happiness'."]
    assert errors[2]["value"] == ["'lots' is not a number."]
    assert "before it starts" in errors[2]["period_end"][0]
    assert Measurement.objects.count() == before


def test_a_single_bad_measurement_gets_a_message_per_field(world, api):
    response = api("district_a").post("/api/v1/measurements/", measurement(world.school_a, value=140))
    assert response.status_code == 400
    assert response.json() == {"value": ["140 is above the largest attendance rate, 100 (%)."]}
    assert api("district_a").post("/api/v1/measurements/", [], format="json").status_code == 400
    assert (
        api("district_a").post("/api/v1/measurements/", [1, 2], format="json").json()
        == [{"non_field_errors": ["Each measurement is a JSON object."]}] * 2
    )


def test_a_csv_import_is_all_or_nothing_and_recorded(world, api, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    header = "school_id,indicator,period_start,period_end,value\n"
    good = header + f"{world.school_a.state_id},attendance_rate,2024-11-01,2024-11-30,90\n"
    bad = good + "NOPE,attendance_rate,2024-11-01,2024-11-30,90\n"
    client = api("program_p")
    rejected = client.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("bad.csv", bad.encode())}, format="multipart"
    )
    assert rejected.status_code == 400
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["errors"] == [
        {"line": 3, "column": "school_id", "message": "No school has the id NOPE."}
    ]
    applied = client.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("good.csv", good.encode())}, format="multipart"
    )
    assert applied.status_code == 201, applied.content
    assert applied.json()["rows_created"] == 1 and applied.json()["channel"] == "api"
    listed = client.get("/api/v1/imports/").json()["results"]
    assert [row["file_name"] for row in listed] == ["good.csv", "bad.csv"]
    assert client.post("/api/v1/imports/", {}, format="multipart").json() == {
        "file": ["No file was submitted."]
    }


def test_schools_and_clusters_are_written_by_their_district(world, api):
    body = {
        "state_id": "IL-NEW-1",
        "name": "New Academy",
        "district": world.district_a.pk,
        "level": "high",
        "grade_low": 9,
        "grade_high": 12,
        "enrolment": 800,
    }
    created = api("district_a").post("/api/v1/schools/", body)
    assert created.status_code == 201, created.content
    inverted = api("district_a").post(
        "/api/v1/schools/", {**body, "state_id": "IL-NEW-2", "grade_low": 12, "grade_high": 9}
    )
    assert inverted.status_code == 400
    elsewhere = api("district_c").post("/api/v1/schools/", {**body, "state_id": "IL-NEW-3"})
    assert elsewhere.status_code == 400 and "district" in elsewhere.json()
    cluster = api("district_a").post(
        "/api/v1/clusters/",
        {"name": "Solo", "district": world.district_a.pk, "schools": [created.json()["id"]]},
    )
    assert cluster.status_code == 201, cluster.content
    assert "1 school" in cluster.json()["size_warning"]  # warned, not refused
    mixed = api("admin").post(
        "/api/v1/clusters/",
        {"name": "Mixed", "district": world.district_a.pk, "schools": [world.contract_c.schools.first().pk]},
    )
    assert mixed.status_code == 400 and "schools" in mixed.json()


def test_field_staff_log_visits_at_their_schools_on_the_ground(world, api):
    body = {
        "school": world.school_a.pk,
        "visit_date": "2024-10-08",
        "duration_minutes": 300,
        "focus": ["principal_check_in", "instructional_support"],
        "progress": "Walkthroughs.",
    }
    response = api("field_p").post("/api/v1/field-visits/", body)
    assert response.status_code == 201, response.content
    visit = response.json()
    assert visit["staff"] == world.users["field_p"].pk and visit["organization"] == world.partner_p.pk
    draft_school = world.draft_a.schools.first()  # under a draft contract: nobody is on the ground
    refused = api("program_p").post("/api/v1/field-visits/", {**body, "school": draft_school.pk})
    assert refused.status_code == 400 and "under a contract in force" in refused.json()["school"][0]
    colleague = api("program_p").post("/api/v1/field-visits/", {**body, "staff": world.users["field_p"].pk})
    assert colleague.status_code == 400 and "staff" in colleague.json()
    future = (timezone.localdate() + timedelta(days=30)).isoformat()
    bad = api("field_p").post(
        "/api/v1/field-visits/",
        {**body, "focus": ["napping"], "visit_date": future, "duration_minutes": 2000},
    )
    assert bad.status_code == 400 and {"focus", "duration_minutes"} <= set(bad.json())
    assert api("field_p").delete(f"/api/v1/field-visits/{visit['id']}/").status_code == 204


def test_partners_are_added_by_district_and_state_staff(api):
    response = api("state_1").post(
        "/api/v1/partners/", {"name": "Bright Futures", "kind": "supporting_partner"}
    )
    assert response.status_code == 201, response.content
    dup = api("district_a").post("/api/v1/partners/", {"name": "Bright Futures", "kind": "union"})
    assert dup.status_code == 400 and "name" in dup.json()


def test_measurement_reads_keep_their_provenance(world, api):
    MeasurementFactory(school=world.school_a, period_start=date(2024, 10, 1), period_end=date(2024, 10, 31))
    rows = api("state_1").get("/api/v1/measurements/", {"school": world.school_a.pk}).json()["results"]
    by_source = {r["indicator"]: r["source"] for r in rows}
    # The field presence rate is computed from the world's field visit; the others were typed in.
    assert by_source.pop("field_presence_rate") == "computed"
    assert set(by_source.values()) == {"form"} and {r["verification"] for r in rows} == {"reported"}


def test_district_staff_edit_their_district_and_its_clusters(world, api):
    own = api("district_a").patch(f"/api/v1/districts/{world.district_a.pk}/", {"nces_id": "1709930"})
    assert own.status_code == 200 and own.json()["nces_id"] == "1709930"
    moved = api("district_a").patch(f"/api/v1/districts/{world.district_a.pk}/", {"state": "OH"})
    assert moved.status_code == 400 and "state" in moved.json()
    cluster = world.contract_a.cluster
    keep = list(cluster.schools.order_by("pk").values_list("pk", flat=True))[:2]
    response = api("district_a").patch(f"/api/v1/clusters/{cluster.pk}/", {"schools": keep})
    assert response.status_code == 200, response.content
    assert sorted(response.json()["schools"]) == keep
    assert sorted(cluster.schools.values_list("pk", flat=True)) == keep
    assert "2 schools" in response.json()["size_warning"]


def test_administrators_keep_the_indicator_catalog(world, api):
    body = {
        "code": "teacher_vacancies",
        "name": "Teacher vacancies",
        "kind": "leading",
        "unit": "count",
        "direction": "lower",
        "aggregation": "last",
        "min_value": 0,
        "max_value": 500,
    }
    created = api("admin").post("/api/v1/indicators/", body)
    assert created.status_code == 201, created.content
    inverted = api("admin").post(
        "/api/v1/indicators/", {**body, "code": "x", "min_value": 10, "max_value": 1}
    )
    assert inverted.status_code == 400 and "max_value" in inverted.json()
    assert api("admin").delete(f"/api/v1/indicators/{created.json()['id']}/").status_code == 204
    # An indicator with measurements stays: deleting it is refused, not a server error.
    in_use = indicator("attendance_rate")
    refused = api("admin").delete(f"/api/v1/indicators/{in_use.pk}/")
    assert refused.status_code == 409 and "depend" in refused.json()["detail"]
