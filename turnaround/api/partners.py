"""partners/ (organizations) and field-visits/."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q
from django.utils import timezone
from rest_framework import mixins, serializers

from contracts.models import ON_THE_GROUND_STATUSES, ContractSchool
from partners.models import FieldVisit, FollowUp, Organization, OrganizationKind, VisitFocus
from partners.views import visible_designations
from schools.models import School, State
from turnaround.models import UserProfile
from turnaround.roles import viewer_for

from .base import IdFilter, ModelCleanMixin, ScopedPrimaryKeyRelatedField
from .schools import ReadCreateUpdateViewSet


def current_designations(user):
    today = timezone.localdate()
    return visible_designations(user).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today), designated_on__lte=today
    )


class OrganizationSerializer(ModelCleanMixin, serializers.ModelSerializer):
    home_state = serializers.SlugRelatedField(
        slug_field="code", queryset=State.objects.all(), allow_null=True, required=False
    )
    priority_states = serializers.SerializerMethodField(
        help_text="Codes of the states where it is a priority partner today (as far as you may see)."
    )

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "home_state",
            "founded_year",
            "website",
            "description",
            "unionized_staff",
            "priority_states",
        ]

    def get_priority_states(self, organization) -> list[str]:
        designations = getattr(organization, "current_designations", None)
        if designations is None:  # just written: not prefetched
            designations = current_designations(self.context["request"].user).filter(
                organization=organization
            )
        return sorted({d.state.code for d in designations})


class OrganizationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=OrganizationKind.choices)
    priority_state = django_filters.CharFilter(
        method="filter_priority_state",
        help_text="A state's two-letter code: organizations that are priority partners there today.",
    )

    class Meta:
        model = Organization
        fields = ["kind", "priority_state"]

    def filter_priority_state(self, queryset, name, value):
        designations = current_designations(self.request.user).filter(state__code=value.upper())
        return queryset.filter(pk__in=designations.values("organization_id"))


class OrganizationViewSet(ReadCreateUpdateViewSet):
    """Organizations: Lead Partners (by holding a contract), supporting partners, funders, ...
    District and state staff add and edit them."""

    queryset = Organization.objects.select_related("home_state")
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]

    def get_queryset(self):
        designations = current_designations(self.request.user).select_related("state")
        return (
            super()
            .get_queryset()
            .prefetch_related(Prefetch("designations", queryset=designations, to_attr="current_designations"))
        )

    def may_write(self, viewer):
        return viewer.is_admin or viewer.is_district or viewer.is_state


class FollowUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = ["id", "description", "owner", "due_on", "done_on"]


class FieldVisitSerializer(ModelCleanMixin, serializers.ModelSerializer):
    school = ScopedPrimaryKeyRelatedField(queryset=School.objects.all())
    organization = ScopedPrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        help_text="The Lead Partner; set from your profile unless you are an administrator.",
    )
    staff = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(),
        required=False,
        help_text="The staff member who visited (a user id); yourself unless given.",
    )
    staff_name = serializers.SerializerMethodField()
    focus = serializers.ListField(
        child=serializers.ChoiceField(choices=VisitFocus.choices), allow_empty=False, max_length=10
    )
    follow_ups = FollowUpSerializer(many=True, read_only=True)

    class Meta:
        model = FieldVisit
        fields = [
            "id",
            "school",
            "organization",
            "staff",
            "staff_name",
            "visit_date",
            "mode",
            "duration_minutes",
            "focus",
            "progress",
            "barriers",
            "follow_ups",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"duration_minutes": {"min_value": 1, "max_value": 24 * 60}}

    def get_staff_name(self, visit) -> str:
        return visit.staff.get_full_name() or visit.staff.get_username()

    def validate(self, attrs):
        viewer = viewer_for(self.context["request"].user)
        instance = self.instance
        organization = attrs.get("organization") or (instance and instance.organization)
        if not viewer.is_admin:
            if "organization" in attrs and attrs["organization"].pk != viewer.organization_id:
                raise serializers.ValidationError(
                    {"organization": "Visits are logged for your own organization."}
                )
            organization = Organization.objects.get(pk=viewer.organization_id)
        if organization is None:
            raise serializers.ValidationError({"organization": "Say which Lead Partner made the visit."})
        attrs["organization"] = organization
        staff = attrs.get("staff") or (instance and instance.staff) or self.context["request"].user
        if viewer.is_field and staff.pk != viewer.user_id:
            raise serializers.ValidationError({"staff": "Field staff log their own visits."})
        if (
            staff.pk != viewer.user_id
            and not UserProfile.objects.filter(user=staff, organization=organization).exists()
        ):
            raise serializers.ValidationError({"staff": "Not a staff member of the Lead Partner."})
        attrs["staff"] = staff
        school = attrs.get("school") or instance.school
        if not ContractSchool.objects.filter(
            school=school,
            contract__lead_partner=organization,
            contract__lifecycle_status__in=ON_THE_GROUND_STATUSES,
        ).exists():
            raise serializers.ValidationError(
                {"school": f"{school} is not under an active contract of {organization}."}
            )
        visit_date = attrs.get("visit_date") or instance.visit_date
        if visit_date > timezone.localdate():
            raise serializers.ValidationError(
                {"visit_date": "A visit is logged on or after the day it happens."}
            )
        return super().validate(attrs)


class FieldVisitFilter(django_filters.FilterSet):
    school = IdFilter(field_name="school_id")
    staff = IdFilter(field_name="staff_id", help_text="A staff member's user id.")
    organization = IdFilter(field_name="organization_id")
    date = django_filters.DateFromToRangeFilter(
        field_name="visit_date", help_text="date_after / date_before: visits from / up to these days."
    )

    class Meta:
        model = FieldVisit
        fields = ["school", "staff", "organization", "date"]


class FieldVisitViewSet(mixins.DestroyModelMixin, ReadCreateUpdateViewSet):
    """Field visits. Lead Partner field staff log and edit their own visits, program staff their
    organization's; only at schools under an active contract of their organization."""

    queryset = FieldVisit.objects.select_related("staff").prefetch_related("follow_ups")
    serializer_class = FieldVisitSerializer
    filterset_class = FieldVisitFilter
    ordering_fields = ["visit_date", "id"]
    ordering = ["-visit_date", "-id"]

    def may_write(self, viewer):
        return viewer.is_admin or viewer.is_partner

    def may_write_object(self, viewer, visit):
        if viewer.is_admin:
            return True
        if viewer.is_program:
            return visit.organization_id == viewer.organization_id
        return viewer.is_field and visit.staff_id == viewer.user_id
