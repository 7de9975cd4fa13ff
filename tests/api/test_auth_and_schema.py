"""Tokens (POST auth/token/, expiry, revocation), session auth, per-user throttling, and the
OpenAPI schema and its docs."""

from datetime import timedelta

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.utils import timezone
from openapi_spec_validator import validate
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from turnaround.models import ApiToken
from turnaround.tokens import MAX_ACTIVE_TOKENS, issue_token, revoke_token


def test_a_username_and_password_buy_a_named_token(world):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "district_a", "password": "test-password", "name": "Data warehouse"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Data warehouse" and len(body["token"]) == 64
    stored = ApiToken.objects.get(user=world.users["district_a"])
    assert stored.digest != body["token"] and body["token"].startswith(stored.token_key)  # only a digest kept
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/v1/contracts/").json()["count"] == 2


def test_wrong_credentials_buy_nothing(world):
    response = APIClient().post("/api/v1/auth/token/", {"username": "district_a", "password": "guess"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with this username and password."]}
    assert APIClient().post("/api/v1/auth/token/", {}).json().keys() == {"username", "password"}
    assert not ApiToken.objects.exists()


def test_revoked_and_expired_tokens_answer_401(world):
    user = world.users["program_p"]
    token, raw = issue_token(user, "Partner tool")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get("/api/v1/contracts/").status_code == 200
    assert revoke_token(world.users["district_a"], token.token_key) == 0  # not someone else's
    assert revoke_token(user, token.token_key) == 1
    assert client.get("/api/v1/contracts/").status_code == 401
    token, raw = issue_token(user, "Short-lived")
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get("/api/v1/contracts/").status_code == 401


def test_a_user_holds_a_limited_number_of_tokens(world):
    from django.core.exceptions import ValidationError

    user = world.users["state_1"]
    for n in range(MAX_ACTIVE_TOKENS):
        issue_token(user, f"system {n}")
    with pytest.raises(ValidationError, match="revoke one"):
        issue_token(user, "one too many")
    with pytest.raises(ValidationError):
        issue_token(world.users["state_2"], "   ")


def test_the_browser_session_works_too(world):
    client = APIClient()
    client.force_login(world.users["state_1"])
    assert client.get("/api/v1/contracts/").json()["count"] == 2


def test_requests_are_throttled_per_user(world, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute"})
    first, second = APIClient(), APIClient()
    first.force_login(world.users["district_a"])
    second.force_login(world.users["district_c"])
    assert [first.get("/api/v1/schools/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert "Retry-After" in first.get("/api/v1/schools/")
    assert second.get("/api/v1/schools/").status_code == 200  # another user has their own budget


def schema():
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_3_and_public(db):
    document = schema()
    validate(document)
    assert document["openapi"].startswith("3.")


# The resources of DESIGN.md's table, each with its operations.
CONTRACT = {
    "/api/v1/districts/": {"get", "post"},
    "/api/v1/schools/": {"get", "post"},
    "/api/v1/clusters/": {"get", "post"},
    "/api/v1/partners/": {"get", "post"},
    "/api/v1/contracts/": {"get", "post"},
    "/api/v1/contracts/{id}/status/": {"get"},
    "/api/v1/indicators/": {"get", "post"},
    "/api/v1/targets/": {"get", "post"},
    "/api/v1/measurements/": {"get", "post"},
    "/api/v1/imports/": {"get", "post"},
    "/api/v1/field-visits/": {"get", "post"},
    "/api/v1/auth/token/": {"post"},
}


def test_the_schema_describes_every_operation_of_the_contract_with_its_errors(db):
    paths = schema()["paths"]
    for path, methods in CONTRACT.items():
        assert methods <= set(paths[path]), path
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"400", "429"} <= codes, (method, path)
            if not path.endswith("/auth/token/"):
                assert {"401", "403", "404"} <= codes, (method, path)
            assert operation.get("description"), (method, path)


def test_the_schema_names_the_filters_and_status_values_exactly(db):
    document = schema()
    contract_list = document["paths"]["/api/v1/contracts/"]["get"]
    params = {p["name"] for p in contract_list["parameters"]}
    assert {
        "district",
        "partner",
        "school",
        "lifecycle_status",
        "performance_status",
        "phase",
        "page_size",
    } <= params
    components = document["components"]["schemas"]
    status_fields = components["ContractStatus"]["properties"]
    assert set(status_fields) == {
        "phase",
        "contract_year",
        "lifecycle_status",
        "performance_status",
        "as_of",
        "computed_at",
        "basis",  # second edition: added, none of v1's removed or renamed
        "indicators",
    }
    indicator_fields = components["IndicatorStatus"]["properties"]
    assert set(indicator_fields) == {
        "indicator",
        "kind",
        "accountable",
        "school",
        "year",
        "baseline",
        "target",
        "value",
        "progress",
        "status",
        "projection",
        # second edition: added, none of v1's removed or renamed
        "by_improvement",
        "evidence_year",
        "evidence_status",
        "schools_reporting",
        "schools_expected",
    }
    assert components["PhaseEnum"]["enum"] == ["pre_launch", "year_1", "year_2", "year_3_plus", "ended"]
    assert components["IndicatorStatusEnum"]["enum"] == [
        "met",
        "on_track",
        "at_risk",
        "off_track",
        "incomplete",
        "no_data",
    ]


def test_the_docs_are_served_without_a_cdn(db, client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    # The asset comes from the installed drf-spectacular-sidecar package, among the static files.
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
