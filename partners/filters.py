"""Filters of field visits and follow-ups, for the pages (and any API list of the same rows). Their
choices are narrowed to what the requesting user may see."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from schools.models import School

from .models import FieldVisit, FollowUp, VisitMode

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def visible_schools(request):
    return School.objects.visible_to(request.user) if request else School.objects.none()


def visiting_staff(request):
    """People who logged the visits the user may see."""
    if request is None:
        return get_user_model().objects.none()
    visits = FieldVisit.objects.visible_to(request.user)
    return (
        get_user_model().objects.filter(pk__in=visits.values("staff_id")).order_by("first_name", "username")
    )


class StaffField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class FieldVisitFilter(django_filters.FilterSet):
    staff = django_filters.ModelChoiceFilter(label="Person", queryset=visiting_staff, empty_label="Everyone")
    school = django_filters.ModelChoiceFilter(queryset=visible_schools, empty_label="All schools")
    date_from = django_filters.DateFilter(
        field_name="visit_date", lookup_expr="gte", label="From", widget=DATE
    )
    date_to = django_filters.DateFilter(field_name="visit_date", lookup_expr="lte", label="To", widget=DATE)
    mode = django_filters.ChoiceFilter(choices=VisitMode.choices, empty_label="On site or remote")

    class Meta:
        model = FieldVisit
        fields = ["staff", "school", "date_from", "date_to", "mode"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["staff"].field_class = StaffField


class FollowUpState:
    OPEN = "open"
    OVERDUE = "overdue"
    CLOSED = "closed"
    ALL = "all"
    CHOICES = [(OPEN, "Open"), (OVERDUE, "Overdue"), (CLOSED, "Closed"), (ALL, "All")]


def follow_up_owners(request):
    if request is None:
        return []
    owners = (
        FollowUp.objects.visible_to(request.user).order_by("owner").values_list("owner", flat=True).distinct()
    )
    return [(owner, owner) for owner in owners]


class FollowUpFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=FollowUpState.CHOICES, method="filter_state", empty_label=None, label="Show"
    )
    owner = django_filters.ChoiceFilter(choices=[], empty_label="Every owner", label="Owner")
    staff = django_filters.ModelChoiceFilter(
        field_name="visit__staff", label="Logged by", queryset=visiting_staff, empty_label="Anyone"
    )
    school = django_filters.ModelChoiceFilter(
        field_name="visit__school", queryset=visible_schools, empty_label="All schools"
    )

    class Meta:
        model = FollowUp
        fields = ["state", "owner", "staff", "school"]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("state", FollowUpState.OPEN)
        super().__init__(data, *args, **kwargs)
        self.filters["owner"].extra["choices"] = follow_up_owners(self.request)
        self.filters["staff"].field_class = StaffField

    def filter_state(self, queryset, name, value):
        today = timezone.localdate()
        if value == FollowUpState.OPEN:
            return queryset.filter(done_on__isnull=True)
        if value == FollowUpState.OVERDUE:
            return queryset.filter(done_on__isnull=True, due_on__lt=today)
        if value == FollowUpState.CLOSED:
            return queryset.filter(done_on__isnull=False)
        return queryset
