"""Read-only API tokens: chosen when the token is issued (profile page or POST auth/token/); they
read what their user may read, and every write made with one answers 403 with a clear message."""

import pytest
from rest_framework.test import APIClient

from tests.views.conftest import world  # noqa: F401  the shared fixture
from turnaround.api.authentication import READ_ONLY_TOKEN_MESSAGE
from turnaround.models import ApiToken, TokenScope
from turnaround.tokens import issue_token


def client_with(user, scope):
    _, raw = issue_token(user, f"a {scope} token", scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def test_a_read_only_token_reads_but_every_write_answers_403(world):  # noqa: F811
    reader = client_with(world.users["district_a"], TokenScope.READ_ONLY)
    writer = client_with(world.users["district_a"], TokenScope.READ_WRITE)
    contract_url = f"/api/v1/contracts/{world.contract_a.pk}/"

    assert reader.get("/api/v1/contracts/").json()["count"] == 2
    assert reader.get(contract_url).status_code == 200
    assert reader.options(contract_url).status_code == 200

    refused = reader.patch(contract_url, {"notes": "Written with a read-only token."})
    assert refused.status_code == 403
    assert refused.json() == {"detail": READ_ONLY_TOKEN_MESSAGE}
    world.contract_a.refresh_from_db()
    assert world.contract_a.notes != "Written with a read-only token."
    for method, url in [
        ("post", "/api/v1/contracts/"),
        ("put", contract_url),
        ("delete", contract_url),
        ("post", "/api/v1/measurements/"),
        ("post", "/api/v1/targets/"),
        ("post", "/api/v1/field-visits/"),
        ("delete", "/api/v1/contracts/999999/"),  # the same answer whether the object exists or not
    ]:
        response = getattr(reader, method)(url, {})
        assert response.status_code == 403, (method, url, response.content)
        assert response.json() == {"detail": READ_ONLY_TOKEN_MESSAGE}

    # the same user's read and write token writes
    assert writer.patch(contract_url, {"notes": "Written with a read and write token."}).status_code == 200


def test_the_token_endpoint_issues_a_read_only_token(world):  # noqa: F811
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "district_a", "password": "test-password", "name": "Dashboard", "scope": "read_only"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["scope"] == "read_only"
    assert ApiToken.objects.get(name="Dashboard").scope == TokenScope.READ_ONLY
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/contracts/").status_code == 200
    assert client.patch(f"/api/v1/contracts/{world.contract_a.pk}/", {"notes": "x"}).status_code == 403


def test_the_token_endpoint_defaults_to_read_and_write_and_refuses_an_unknown_scope(world):  # noqa: F811
    body = {"username": "district_a", "password": "test-password"}
    assert APIClient().post("/api/v1/auth/token/", body).json()["scope"] == "read_write"
    refused = APIClient().post("/api/v1/auth/token/", {**body, "scope": "admin"})
    assert refused.status_code == 400 and set(refused.json()) == {"scope"}
    assert ApiToken.objects.count() == 1


def test_the_profile_page_issues_a_read_only_token_by_default(world, client):  # noqa: F811
    client.force_login(world.users["state_1"])
    page = client.get("/accounts/profile/")
    assert page.context["form"]["scope"].value() == TokenScope.READ_ONLY  # least privilege first
    response = client.post(
        "/accounts/profile/tokens/", {"name": "State dashboard", "lifetime_days": 30, "scope": "read_only"}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=world.users["state_1"])
    assert (token.name, token.scope) == ("State dashboard", TokenScope.READ_ONLY)
    assert "Read only" in response.content.decode()
    client.post("/accounts/profile/tokens/", {"name": "Loader", "lifetime_days": 30, "scope": "read_write"})
    assert ApiToken.objects.get(name="Loader").scope == TokenScope.READ_WRITE
    refused = client.post("/accounts/profile/tokens/", {"name": "Bad", "lifetime_days": 30, "scope": "all"})
    assert "Select a valid choice" in refused.content.decode()
    assert not ApiToken.objects.filter(name="Bad").exists()


def test_issue_token_refuses_an_unknown_scope(world):  # noqa: F811
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="scope"):
        issue_token(world.users["district_a"], "x", scope="everything")
    assert not ApiToken.objects.exists()
