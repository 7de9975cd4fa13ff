"""districts/, schools/, clusters/: read within the scope; district staff write their district's."""

import django_filters
from django.db import transaction
from rest_framework import mixins, serializers
from simple_history.utils import bulk_create_with_history

from schools.models import Cluster, ClusterMembership, District, PartnershipZone, School, SchoolLevel, State

from .base import IdFilter, ModelCleanMixin, ScopedPrimaryKeyRelatedField, ScopedViewSet


class DistrictSerializer(ModelCleanMixin, serializers.ModelSerializer):
    state = serializers.SlugRelatedField(slug_field="code", queryset=State.objects.all())

    class Meta:
        model = District
        fields = ["id", "name", "state", "nces_id"]
        validators = []  # the model's constraints run in ModelCleanMixin

    def validate_state(self, state):
        if self.instance is not None and state != self.instance.state:
            raise serializers.ValidationError("A district cannot move to another state.")
        return state


class SchoolSerializer(ModelCleanMixin, serializers.ModelSerializer):
    district = ScopedPrimaryKeyRelatedField(queryset=District.objects.all())
    feeds_into = ScopedPrimaryKeyRelatedField(queryset=School.objects.all(), allow_null=True, required=False)
    grade_span = serializers.CharField(read_only=True)
    clusters = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = School
        fields = [
            "id",
            "state_id",
            "name",
            "district",
            "level",
            "grade_low",
            "grade_high",
            "grade_span",
            "enrolment",
            "feeds_into",
            "address",
            "clusters",
        ]

    def validate_district(self, district):
        viewer = self.context["viewer"]
        if not viewer.is_admin and district.pk != viewer.district_id:
            raise serializers.ValidationError("You can only add or move schools within your own district.")
        return district


class ClusterSerializer(ModelCleanMixin, serializers.ModelSerializer):
    district = ScopedPrimaryKeyRelatedField(queryset=District.objects.all())
    zone = ScopedPrimaryKeyRelatedField(
        queryset=PartnershipZone.objects.all(), allow_null=True, required=False
    )
    schools = ScopedPrimaryKeyRelatedField(queryset=School.objects.all(), many=True)
    size_warning = serializers.SerializerMethodField(
        help_text="Set when the cluster is outside the ideal 3-5 schools (a warning, not a refusal)."
    )

    class Meta:
        model = Cluster
        fields = ["id", "name", "district", "zone", "schools", "size_warning"]
        validators = []  # the model's constraints run in ModelCleanMixin

    def get_size_warning(self, cluster) -> str:
        size = len(cluster.schools.all())  # prefetched
        if size and 3 <= size <= 5:
            return ""
        return f"This cluster has {size} school{'s' if size != 1 else ''}; the ideal is 3-5."

    def validate_district(self, district):
        viewer = self.context["viewer"]
        if not viewer.is_admin and district.pk != viewer.district_id:
            raise serializers.ValidationError("You can only add or move clusters within your own district.")
        return district

    def validate(self, attrs):
        attrs = super().validate(attrs)
        district = attrs.get("district") or (self.instance and self.instance.district)
        schools = attrs.get("schools")
        if schools is not None:
            if not schools:
                raise serializers.ValidationError({"schools": "A cluster has at least one school."})
            outside = [s.name for s in schools if s.district_id != district.pk]
            if outside:
                raise serializers.ValidationError(
                    {
                        "schools": "All schools of a cluster must be in its district: not "
                        + ", ".join(outside)
                        + "."
                    }
                )
        return attrs

    @transaction.atomic
    def create(self, validated_data):
        schools = validated_data.pop("schools")
        cluster = Cluster.objects.create(**validated_data)
        bulk_create_with_history(
            [ClusterMembership(cluster=cluster, school=s) for s in schools], ClusterMembership
        )
        return cluster

    @transaction.atomic
    def update(self, cluster, validated_data):
        schools = validated_data.pop("schools", None)
        cluster = super().update(cluster, validated_data)
        if schools is not None:
            cluster.memberships.exclude(school__in=schools).delete()
            have = set(cluster.memberships.values_list("school_id", flat=True))
            bulk_create_with_history(
                [ClusterMembership(cluster=cluster, school=s) for s in schools if s.pk not in have],
                ClusterMembership,
            )
        return cluster


class DistrictFilter(django_filters.FilterSet):
    state = django_filters.CharFilter(field_name="state__code", help_text="The state's two-letter code.")

    class Meta:
        model = District
        fields = ["state"]


class SchoolFilter(django_filters.FilterSet):
    district = IdFilter(field_name="district_id")
    level = django_filters.ChoiceFilter(choices=SchoolLevel.choices)
    cluster = IdFilter(field_name="clusters", help_text="A cluster's id.")

    class Meta:
        model = School
        fields = ["district", "level", "cluster"]


class ClusterFilter(django_filters.FilterSet):
    district = IdFilter(field_name="district_id")
    school = IdFilter(field_name="schools", help_text="Clusters holding this school (id).")

    class Meta:
        model = Cluster
        fields = ["district", "school"]


class DistrictWriteMixin:
    """District staff write what belongs to their district; admins anything."""

    def may_write(self, viewer):
        return viewer.is_admin or viewer.is_district

    def may_write_object(self, viewer, obj):
        return viewer.is_admin or (viewer.is_district and obj.district_id == viewer.district_id)

    def get_serializer_context(self):
        from turnaround.roles import viewer_for

        return {**super().get_serializer_context(), "viewer": viewer_for(self.request.user)}


class ReadCreateUpdateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """List, read, create and update; nothing here is deleted through the API (other records
    depend on it: the admin handles the rare case)."""


class DistrictViewSet(ReadCreateUpdateViewSet):
    """Districts. District staff may edit their own district; only administrators add districts."""

    queryset = District.objects.select_related("state")
    serializer_class = DistrictSerializer
    filterset_class = DistrictFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]

    def may_write(self, viewer):
        return viewer.is_admin or (viewer.is_district and self.action != "create")

    def may_write_object(self, viewer, obj):
        return viewer.is_admin or obj.pk == viewer.district_id


class SchoolViewSet(DistrictWriteMixin, ReadCreateUpdateViewSet):
    """Schools, identified by their state/NCES id (`state_id`). District staff add and edit their
    district's schools."""

    queryset = School.objects.prefetch_related("clusters")
    serializer_class = SchoolSerializer
    filterset_class = SchoolFilter
    ordering_fields = ["name", "state_id", "enrolment", "id"]
    ordering = ["name"]


class ClusterViewSet(DistrictWriteMixin, ReadCreateUpdateViewSet):
    """Intentional clusters: the schools one Lead Partner turns around together."""

    queryset = Cluster.objects.prefetch_related("schools")
    serializer_class = ClusterSerializer
    filterset_class = ClusterFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]
