"""What every API viewset shares: the scopes of the pages (out of scope is 404), the role that may
write (403 for anyone else), pagination, and errors as JSON with a message per field."""

import copy

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models.deletion import ProtectedError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from turnaround.roles import viewer_for
from turnaround.views import scoped_queryset


def django_errors(error):
    """A Django ValidationError as DRF's {field: [messages]} ('non_field_errors' for the object)."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    """DRF's handler, plus the model's own validation errors (services raise them) as 400 and a
    delete refused because other rows depend on the object as 409."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors(exc))
    elif isinstance(exc, ProtectedError):
        return Response(
            {"detail": "Other records depend on this one; it cannot be deleted."},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)


class RoleWritePermission(permissions.BasePermission):
    """Reads for any authenticated user (the scope decides what they see); writes only for the
    roles the viewset names (`may_write`), and only on objects it allows (`may_write_object`)."""

    message = "Your role may read this resource but not change it."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return view.may_write(viewer_for(request.user))

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return view.may_write_object(viewer_for(request.user), obj)


class ScopedViewSet(viewsets.GenericViewSet):
    """A viewset over `queryset` narrowed by the model's `visible_to(user)`, as the pages are.

    Subclasses say what to fetch (`queryset` with select_related/prefetch_related), who may write
    (`may_write`, `may_write_object`) and nothing about scoping."""

    permission_classes = [RoleWritePermission]
    # Any id in the path reaches the view, which answers a JSON 404 for one that is not an object
    # the user may see (DRF's default pattern would leave "1.5" to Django's HTML 404).
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return scoped_queryset(self.queryset.all(), self.request.user)

    def may_write(self, viewer):
        return viewer.is_admin

    def may_write_object(self, viewer, obj):
        return self.may_write(viewer)


class ModelCleanMixin:
    """Validates as the model does: the model's clean() and its constraints run on the instance
    the data would make, and their messages come back per field."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        concrete = {f.name for f in model._meta.concrete_fields}
        values = {k: v for k, v in attrs.items() if k in concrete}
        if self.instance is not None:
            instance = copy.copy(self.instance)
            for field, value in values.items():
                setattr(instance, field, value)
        else:
            instance = model(**values)
        try:
            # Field-level uniqueness is DRF's (UniqueValidator); the model checks the rest.
            instance.full_clean(exclude=self.clean_exclude(), validate_unique=False)
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_errors(error)) from error
        return attrs

    def clean_exclude(self):
        """Fields the model must not check here (set by the service after validation)."""
        return []


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id to an object the requesting user may see: any other id is refused as if
    it did not exist, so the error tells nothing about objects outside the scope."""

    def get_queryset(self):
        return scoped_queryset(super().get_queryset(), self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A filter by an object's id (an integer)."""

    field_class = forms.IntegerField
