"""API tests use the world of the page tests (two states, three districts, two Lead Partners, a
user of every role in and out of scope) and call the API with a token, as a client would."""

import pytest
from rest_framework.test import APIClient

from tests.views.conftest import world  # noqa: F401  the shared fixture
from turnaround.tokens import issue_token


def client_for(user):
    """An API client authenticated by a fresh token of `user` (None: anonymous)."""
    client = APIClient()
    if user is not None:
        _, raw = issue_token(user, "tests")
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


@pytest.fixture
def api(world):  # noqa: F811
    """api(name) is an API client acting as one of the world's users."""
    clients = {}

    def client(name):
        if name not in clients:
            clients[name] = client_for(world.users[name] if name else None)
        return clients[name]

    return client
