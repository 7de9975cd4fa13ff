"""Token authentication with scopes: a read-only token reads and never writes.

Checked here, when the token is recognised, so that every API view (whatever its permissions)
refuses a read-only token's writes before anything else runs."""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from rest_framework import exceptions, permissions

READ_ONLY_TOKEN_MESSAGE = (
    "This API token is read-only: it may read but not change anything. To write, use a read and "
    "write token (created on your profile page or with POST /api/v1/auth/token/)."
)


class ScopedTokenAuthentication(TokenAuthentication):
    """knox's tokens (`Authorization: Token <token>`), refusing a read-only token's writes with 403."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and request.method not in permissions.SAFE_METHODS and result[1].read_only:
            raise exceptions.PermissionDenied(READ_ONLY_TOKEN_MESSAGE)
        return result


class ScopedTokenScheme(KnoxTokenScheme):
    """The OpenAPI schema's description of these tokens: knox's (`Authorization: Token <token>`)."""

    target_class = ScopedTokenAuthentication
