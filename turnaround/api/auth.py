"""auth/token/: a username and password buy an API token (the same tokens as the profile page's)."""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

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

    def validate(self, attrs):
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
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # Answered, not raised: a raised error rolls the request's transaction back, and with
            # it the security log's entry of the failed sign-in.
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            token, raw = issue_token(serializer.validated_data["user"], serializer.validated_data["name"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_errors(error)) from error
        return Response(
            TokenSerializer({"token": raw, "name": token.name, "expiry": token.expiry}).data,
            status=status.HTTP_201_CREATED,
        )
