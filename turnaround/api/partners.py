"""partners/ (organizations) and field-visits/."""

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q
from django.utils import timezone
from rest_framework import exceptions, mixins, serializers

from contracts.models import ON_THE_GROUND_STATUSES, ContractSchool
from partners import organizations, visits
from partners.models import FieldVisit, FollowUp, Organization, OrganizationKind, VisitFocus, VisitMode
from partners.views import visible_designations
from schools.models import School, State
from turnaround.models import Role, UserProfile
from turnaround.roles import viewer_for

from .base import IdFilter, ModelCleanMixin, ScopedPrimaryKeyRelatedField, django_errors
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

    def validate(self, attrs):
        if self.instance is not None:
            changed = [name for name, value in attrs.items() if getattr(self.instance, name) != value]
            refused = organizations.fields_refused(self.context["request"].user, changed)
            if refused:
                raise exceptions.PermissionDenied(
                    f"Your organization's {', '.join(f.replace('_', ' ') for f in refused)} "
                    "can be changed only by the district or state it works with, or an administrator."
                )
        return super().validate(attrs)

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
    District and state staff add them and edit those that work only within their district or
    state; program staff edit their own organization's self-description; administrators any
    (`Organization.objects.editable_by`). One another tenant works with answers 403."""

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
        user = self.request.user
        if self.action == "create":
            return organizations.can_add_organizations(user)
        return organizations.may_edit_some_organization(user)

    def may_write_object(self, viewer, organization):
        return organizations.can_edit_organization(self.request.user, organization)


class FollowUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = ["id", "description", "owner", "due_on", "done_on"]


NOT_STAFF = "Not a staff member of the Lead Partner."


class VisitStaffField(serializers.PrimaryKeyRelatedField):
    """The staff member who visited, by user id: a field or program staff member of the user's
    organization (administrators: of any Lead Partner, or themselves). An unknown id and one of
    another organization, or of no Lead Partner, get the same answer."""

    default_error_messages = {"does_not_exist": NOT_STAFF, "incorrect_type": NOT_STAFF}

    def get_queryset(self):
        user = self.context["request"].user
        viewer = viewer_for(user)
        users = super().get_queryset()
        staff = users.filter(profile__role__in=[Role.PARTNER_PROGRAM, Role.PARTNER_FIELD])
        if viewer.is_admin:
            return users.filter(Q(pk__in=staff.values("pk")) | Q(pk=user.pk))
        if not viewer.is_partner:
            return staff.none()
        return staff.filter(profile__organization_id=viewer.organization_id)


class FieldVisitSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A visit, checked by the same rules as the visit form (partners/visits.py): Lead Partner
    staff log their own visits, at their organization's schools under a contract on the ground,
    not ahead of the day nor before the contract's start; start and end time give the duration."""

    school = ScopedPrimaryKeyRelatedField(queryset=School.objects.all())
    organization = ScopedPrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        help_text="The Lead Partner; set from your profile unless you are an administrator.",
    )
    staff = VisitStaffField(
        queryset=get_user_model().objects.all(),
        required=False,
        help_text="The staff member who visited (a user id): yourself, unless you are an administrator.",
    )
    staff_name = serializers.SerializerMethodField()
    focus = serializers.ListField(
        child=serializers.ChoiceField(choices=VisitFocus.choices), allow_empty=False, max_length=10
    )
    duration_minutes = serializers.IntegerField(
        min_value=1,
        max_value=24 * 60,
        required=False,
        help_text="Minutes on the visit; computed from start_time and end_time when they are given.",
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
            "start_time",
            "end_time",
            "duration_minutes",
            "focus",
            "people_met",
            "progress",
            "barriers",
            "corrects",
            "follow_ups",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["corrects"]

    def get_staff_name(self, visit) -> str:
        return visit.staff.get_full_name() or visit.staff.get_username()

    def validate(self, attrs):
        user = self.context["request"].user
        viewer = viewer_for(user)
        instance = self.instance

        def value(name):
            return attrs[name] if name in attrs else getattr(instance, name, None)

        if viewer.is_admin:
            self._validate_as_admin(attrs, user)
        else:
            if "organization" in attrs and attrs["organization"].pk != viewer.organization_id:
                raise serializers.ValidationError(
                    {"organization": "Visits are logged for your own organization."}
                )
            staff = instance.staff if instance else user
            if "staff" in attrs and attrs["staff"].pk != staff.pk:
                raise serializers.ValidationError(
                    {"staff": "A visit is logged by the staff member who made it."}
                )
            attrs["organization"] = Organization.objects.get(pk=viewer.organization_id)
            attrs["staff"] = staff
            try:
                attrs["duration_minutes"] = visits.check_visit(
                    user,
                    school=value("school"),
                    visit_date=value("visit_date"),
                    mode=value("mode") or VisitMode.ON_SITE,
                    focus=value("focus"),
                    start_time=value("start_time"),
                    end_time=value("end_time"),
                    duration_minutes=value("duration_minutes"),
                )
            except DjangoValidationError as error:
                raise serializers.ValidationError(django_errors(error)) from error
        return super().validate(attrs)

    def _validate_as_admin(self, attrs, user):
        instance = self.instance
        organization = attrs.get("organization") or (instance and instance.organization)
        if organization is None:
            raise serializers.ValidationError({"organization": "Say which Lead Partner made the visit."})
        staff = attrs.get("staff") or (instance and instance.staff) or user
        if (
            staff.pk != user.pk
            and not UserProfile.objects.filter(
                user=staff, organization=organization, role__in=[Role.PARTNER_PROGRAM, Role.PARTNER_FIELD]
            ).exists()
        ):
            raise serializers.ValidationError({"staff": NOT_STAFF})
        attrs["organization"], attrs["staff"] = organization, staff
        school = attrs.get("school") or instance.school
        if not ContractSchool.objects.filter(
            school=school,
            contract__lead_partner=organization,
            contract__lifecycle_status__in=ON_THE_GROUND_STATUSES,
        ).exists():
            raise serializers.ValidationError(
                {"school": f"{school} is not under an active contract of {organization}."}
            )
        start, end = attrs.get("start_time"), attrs.get("end_time")
        if start is not None and end is not None and end > start:
            attrs["duration_minutes"] = visits.minutes_between(start, end)
        if not (attrs.get("duration_minutes") or (instance and instance.duration_minutes)):
            raise serializers.ValidationError(
                {"duration_minutes": "Give the start and end time, or the duration."}
            )
        visit_date = attrs.get("visit_date") or instance.visit_date
        if visit_date > timezone.localdate():
            raise serializers.ValidationError({"visit_date": "A visit cannot be logged ahead of its date."})


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
    """Field visits, read by the staff of the school's Lead Partner and the district. Lead
    Partner field and program staff log their own visits, only at schools under an active
    contract of their organization, and edit or delete them within the organization's edit
    window."""

    queryset = FieldVisit.objects.select_related("staff").prefetch_related("follow_ups")
    serializer_class = FieldVisitSerializer
    filterset_class = FieldVisitFilter
    ordering_fields = ["visit_date", "id"]
    ordering = ["-visit_date", "-id"]

    def may_write(self, viewer):
        return viewer.is_admin or viewer.is_partner

    def may_write_object(self, viewer, visit):
        """As in the browser: only the author, within the organization's edit window (after it,
        corrections are new visits); administrators always."""
        return viewer.is_admin or visits.can_edit(visit, self.request.user)
