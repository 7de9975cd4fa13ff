"""contracts/, contracts/{id}/status/ and targets/."""

import django_filters
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts import services
from contracts.models import (
    MAX_TERM_YEARS,
    LifecycleStatus,
    PerformanceContract,
    Phase,
    Target,
)
from contracts.views import indicator_statuses
from indicators.models import Indicator, IndicatorKind, PerformanceStatus, Status
from partners.models import Organization
from schools.models import Cluster, District, School
from turnaround.views import scoped_queryset

from .base import IdFilter, ModelCleanMixin, ScopedPrimaryKeyRelatedField
from .schools import ReadCreateUpdateViewSet


def performance_of(contract):
    """The contract's computed ContractPerformance row (select_related), or None before the first
    recompute."""
    try:
        return contract.performance
    except PerformanceContract.performance.RelatedObjectDoesNotExist:
        return None


class ContractSchoolSerializer(serializers.ModelSerializer):
    class Meta:
        model = School
        fields = ["id", "state_id", "name"]


class ContractSerializer(ModelCleanMixin, serializers.ModelSerializer):
    district = ScopedPrimaryKeyRelatedField(queryset=District.objects.all())
    district_name = serializers.CharField(source="district.name", read_only=True)
    lead_partner = ScopedPrimaryKeyRelatedField(queryset=Organization.objects.all())
    lead_partner_name = serializers.CharField(source="lead_partner.name", read_only=True)
    cluster = ScopedPrimaryKeyRelatedField(queryset=Cluster.objects.all())
    schools = ContractSchoolSerializer(many=True, read_only=True)
    phase = serializers.SerializerMethodField()
    contract_year = serializers.SerializerMethodField()
    performance_status = serializers.SerializerMethodField()

    class Meta:
        model = PerformanceContract
        fields = [
            "id",
            "reference",
            "name",
            "district",
            "district_name",
            "authority",
            "lead_partner",
            "lead_partner_name",
            "cluster",
            "schools",
            "start_date",
            "end_date",
            "ended_on",
            "lifecycle_status",
            "phase",
            "contract_year",
            "performance_status",
            "mou_signed_on",
            "signed_on",
            "per_pupil_allocation",
            "central_office_share_pct",
            "improvement_grant_amount",
            "accountable_from_year",
            "on_track_threshold",
            "at_risk_threshold",
            "improvement_margin",
            "notes",
            "created_at",
            "updated_at",
        ]
        # The authority comes from the RFP the contract was awarded on (the district's, or its
        # state's): no form sets it, and neither does the API (a contract drafted here is the
        # district's).
        read_only_fields = ["ended_on", "lifecycle_status", "authority", "created_at", "updated_at"]

    def _phase(self, contract):
        cache = self.context.setdefault("phases", {})
        if contract.pk not in cache:
            cache[contract.pk] = contract.phase_on(timezone.localdate())
        return cache[contract.pk]

    def get_phase(self, contract) -> Phase:
        return self._phase(contract)[0]

    def get_contract_year(self, contract) -> int | None:
        return self._phase(contract)[1]

    def get_performance_status(self, contract) -> PerformanceStatus | None:
        performance = performance_of(contract)
        return performance.performance_status if performance else None

    def validate_district(self, district):
        viewer = self.context["viewer"]
        if not viewer.is_admin and district.pk != viewer.district_id:
            raise serializers.ValidationError("You can only write your own district's contracts.")
        return district

    def validate(self, attrs):
        if self.instance is not None:
            fixed = {
                field: "is fixed when the contract is drafted"
                for field in ("district", "cluster", "lead_partner")
                if field in attrs and attrs[field] != getattr(self.instance, field)
            }
            if fixed:
                raise serializers.ValidationError(
                    {f: f"The {f.replace('_', ' ')} {m}." for f, m in fixed.items()}
                )
        return super().validate(attrs)

    def create(self, validated_data):
        return services.create_contract(created_by=self.context["request"].user, **validated_data)


class ContractFilter(django_filters.FilterSet):
    district = IdFilter(field_name="district_id")
    partner = IdFilter(field_name="lead_partner_id", help_text="The Lead Partner's id.")
    school = IdFilter(field_name="school_links__school_id", help_text="A school's id.")
    lifecycle_status = django_filters.ChoiceFilter(choices=LifecycleStatus.choices)
    performance_status = django_filters.ChoiceFilter(
        choices=PerformanceStatus.choices, field_name="performance__performance_status"
    )
    phase = django_filters.ChoiceFilter(
        choices=Phase.choices, method="filter_phase", help_text="Phase today."
    )

    class Meta:
        model = PerformanceContract
        fields = ["district", "partner", "school", "lifecycle_status", "performance_status", "phase"]

    def filter_phase(self, queryset, name, value):
        return queryset.in_phase(value, timezone.localdate())


class IndicatorStatusSerializer(serializers.Serializer):
    indicator = serializers.CharField(source="indicator.code", help_text="The indicator's code.")
    kind = serializers.ChoiceField(source="indicator.kind", choices=IndicatorKind.choices)
    accountable = serializers.BooleanField()
    school = serializers.IntegerField(source="school_id", allow_null=True, help_text="null: cluster-wide.")
    year = serializers.IntegerField(source="contract_year", help_text="The contract year.")
    baseline = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    value = serializers.FloatField(allow_null=True, help_text="The value to date.")
    progress = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(
        choices=Status.choices,
        help_text="incomplete: a cluster-wide value with schools missing for the year (see "
        "schools_reporting), a data problem to chase, not a result.",
    )
    by_improvement = serializers.BooleanField(
        help_text="on_track although progress is short of the threshold: the value closed at least the "
        "contract's improvement margin of the gap last year's value left to the target."
    )
    projection = serializers.FloatField(allow_null=True, help_text="The projected year-end value.")
    evidence_year = serializers.IntegerField(
        allow_null=True,
        help_text="The latest evidence for this target and scope: this year where its data are complete, "
        "else the latest earlier contract year whose are; null: none yet.",
    )
    evidence_status = serializers.ChoiceField(
        choices=Status.choices, allow_blank=True, help_text="The status of evidence_year; empty: none."
    )
    schools_reporting = serializers.IntegerField(
        allow_null=True,
        help_text="Cluster-wide rows: the schools with a value for the year (null for a school).",
    )
    schools_expected = serializers.IntegerField(
        allow_null=True, help_text="Cluster-wide rows: the contract's schools (null for a school)."
    )


class ContractStatusSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=Phase.choices)
    contract_year = serializers.IntegerField(allow_null=True)
    lifecycle_status = serializers.ChoiceField(choices=LifecycleStatus.choices)
    performance_status = serializers.ChoiceField(
        choices=PerformanceStatus.choices, allow_null=True, help_text="null until first computed."
    )
    as_of = serializers.DateField(allow_null=True, help_text="The day the statuses were computed for.")
    computed_at = serializers.DateTimeField(allow_null=True)
    basis = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The contract years the performance status rests on (the latest evidence of each "
        "accountable target of the current year), ascending; empty before the start or without evidence.",
    )
    indicators = IndicatorStatusSerializer(many=True)


class ContractViewSet(ReadCreateUpdateViewSet):
    """Performance contracts, with their phase, contract year and performance status. District
    staff draft their district's contracts and edit their terms; the lifecycle status moves only
    through the portal's lifecycle transitions."""

    queryset = (
        PerformanceContract.objects.select_related("district", "lead_partner", "performance")
        .defer("lead_partner__description")
        .prefetch_related(Prefetch("schools", queryset=School.objects.only("id", "state_id", "name")))
    )
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    ordering_fields = ["name", "reference", "start_date", "end_date", "id"]
    ordering = ["district__name", "name"]

    def get_queryset(self):
        if self.action == "status":
            return scoped_queryset(PerformanceContract.objects.all(), self.request.user)
        queryset = super().get_queryset()
        # Filtering by school joins the contract's school links; one row per contract.
        return queryset.distinct() if "school" in self.request.query_params else queryset

    def get_serializer_context(self):
        from turnaround.roles import viewer_for

        return {**super().get_serializer_context(), "viewer": viewer_for(self.request.user)}

    def may_write(self, viewer):
        return viewer.is_admin or viewer.is_district

    def may_write_object(self, viewer, contract):
        return PerformanceContract.objects.editable_by(self.request.user).filter(pk=contract.pk).exists()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "year",
                OpenApiTypes.INT,
                description="A contract year (1-5); default the current (or latest computed) year.",
            )
        ],
        responses={200: ContractStatusSerializer},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def status(self, request, pk=None):
        """The contract's status as of its latest recompute: phase, contract year, lifecycle and
        performance status, and every indicator's baseline, target, value, progress, status and
        projection for one contract year."""
        contract = self.get_object()  # the status needs none of the list's prefetched rows
        year = request.query_params.get("year")
        if year is not None:
            if not year.isdigit() or not 1 <= int(year) <= MAX_TERM_YEARS:
                raise serializers.ValidationError({"year": f"A contract year from 1 to {MAX_TERM_YEARS}."})
            year = int(year)
        statuses = indicator_statuses(contract, year=year)
        performance = statuses["performance"]
        phase, contract_year = contract.phase_on(timezone.localdate())
        data = {
            "phase": phase,
            "contract_year": contract_year,
            "lifecycle_status": contract.lifecycle_status,
            "performance_status": performance.performance_status if performance else None,
            "as_of": performance.as_of if performance else None,
            "computed_at": statuses["computed_at"],
            "basis": performance.basis_years if performance else [],
            "indicators": statuses["statuses"],
        }
        return Response(ContractStatusSerializer(data).data)


class IndicatorCodeField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": "Unknown indicator {value!r}: see /api/v1/indicators/ for the codes.",
        "invalid": "An indicator code is a string.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Indicator.objects.all(), **kwargs)

    def to_internal_value(self, data):
        try:
            return self.get_queryset().get(code=data)
        except Indicator.DoesNotExist:
            self.fail("does_not_exist", value=str(data))
        except (TypeError, ValueError):
            self.fail("invalid")


class TargetSerializer(ModelCleanMixin, serializers.ModelSerializer):
    contract = ScopedPrimaryKeyRelatedField(queryset=PerformanceContract.objects.all())
    indicator = IndicatorCodeField(help_text="The indicator's code.")
    school = ScopedPrimaryKeyRelatedField(
        queryset=School.objects.all(), allow_null=True, required=False, help_text="null: cluster-wide."
    )

    accountable = serializers.SerializerMethodField(
        help_text="Whether the target counts towards the contract's performance status: its "
        "accountability where the district chose one, else the default (leading indicators before "
        "the contract's accountable-from year, lagging ones from it)."
    )

    class Meta:
        model = Target
        fields = [
            "id",
            "contract",
            "indicator",
            "contract_year",
            "school",
            "baseline",
            "target",
            "accountability",
            "accountable",
        ]
        validators = []  # the model's constraints run in ModelCleanMixin
        extra_kwargs = {"contract_year": {"min_value": 1, "max_value": MAX_TERM_YEARS}}

    def get_accountable(self, target) -> bool:
        return target.accountable

    def validate_contract(self, contract):
        if self.instance is not None and contract != self.instance.contract:
            raise serializers.ValidationError("A target stays with its contract.")
        user = self.context["request"].user
        if not PerformanceContract.objects.editable_by(user).filter(pk=contract.pk).exists():
            raise serializers.ValidationError("You cannot set targets for this contract.")
        return contract

    def validate(self, attrs):
        merged = {
            f: attrs.get(f, getattr(self.instance, f, None))
            for f in ("contract", "indicator", "contract_year", "school")
        }
        contract = merged["contract"]
        if (
            contract
            and merged["contract_year"]
            and contract.term_years
            and merged["contract_year"] > contract.term_years
        ):
            raise serializers.ValidationError(
                {"contract_year": f"The contract runs {contract.term_years} years."}
            )
        clash = Target.objects.filter(**merged)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            where = merged["school"] or "the whole cluster"
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        f"This contract already has a year {merged['contract_year']} target "
                        f"of {merged['indicator'].code} for {where}."
                    ]
                }
            )
        return super().validate(attrs)


class TargetFilter(django_filters.FilterSet):
    contract = IdFilter(field_name="contract_id")
    indicator = django_filters.CharFilter(field_name="indicator__code", help_text="An indicator code.")
    year = IdFilter(field_name="contract_year")
    school = IdFilter(field_name="school_id")

    class Meta:
        model = Target
        fields = ["contract", "indicator", "year", "school"]


class TargetViewSet(mixins.DestroyModelMixin, ReadCreateUpdateViewSet):
    """Baselines and targets per contract, indicator and contract year, for one school or (school
    null) the whole cluster. District staff set their district's."""

    queryset = Target.objects.select_related("indicator", "contract")
    serializer_class = TargetSerializer
    filterset_class = TargetFilter
    ordering_fields = ["contract_year", "id"]
    ordering = ["contract", "indicator__code", "contract_year", "id"]

    def may_write(self, viewer):
        return viewer.is_admin or viewer.is_district

    def may_write_object(self, viewer, target):
        return (
            PerformanceContract.objects.editable_by(self.request.user).filter(pk=target.contract_id).exists()
        )

    @transaction.atomic
    def perform_destroy(self, instance):
        instance.delete()
