"""auth/token/: a username and password buy an API token (the same tokens as the profile page's)."""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from turnaround.login_throttle import lockout_message
from turnaround.models import TokenScope
from turnaround.tokens import issue_token

from .base import django_errors


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(
        max_length=100,
        required=False,
        default="API login",
        help_text="What the token is for; it is listed under this name on your profile page.",
    )
    scope = serializers.ChoiceField(
        choices=TokenScope.choices,
        required=False,
        default=TokenScope.READ_WRITE,
        help_text="`read_only`: the API answers 403 to any write made with the token.",
    )

    def validate(self, attrs):
        # The request goes to authenticate(): login throttling (django-axes) counts failures, and
        # refuses a locked username, per client address (turnaround/login_throttle.py).
        user = authenticate(self.context["request"], username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with this username and password."]}
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`. Shown only once.")
    name = serializers.CharField()
    scope = serializers.ChoiceField(choices=TokenScope.choices)
    expiry = serializers.DateTimeField()


class TokenRequestThrottle(AnonRateThrottle):
    """Password guesses are limited per client address."""

    scope = "token"


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenRequestThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            201: TokenSerializer,
            400: OpenApiResponse(description="Wrong credentials or token limit."),
            429: OpenApiResponse(
                description="Too many requests from this address, or too many failed sign-ins with "
                "this username from it (locked for a while; an administrator can unlock it)."
            ),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        # A refusal is answered, not raised: a raised error rolls back the request's transaction,
        # and with it the failure that login throttling (django-axes) has just recorded and the
        # security log's entry of the failed sign-in.
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):
                return Response({"detail": lockout_message()}, status=status.HTTP_429_TOO_MANY_REQUESTS)
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            token, raw = issue_token(
                serializer.validated_data["user"],
                serializer.validated_data["name"],
                scope=serializer.validated_data["scope"],
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_errors(error)) from error
        issued = {"token": raw, "name": token.name, "scope": token.scope, "expiry": token.expiry}
        return Response(TokenSerializer(issued).data, status=status.HTTP_201_CREATED)
