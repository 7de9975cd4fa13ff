"""districts/, schools/, clusters/: read within the scope; district staff write their district's."""

import django_filters
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch
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


# A state id taken by a school the user may not see: said without naming it or its district.
STATE_ID_TAKEN = "This state/NCES id is already in use; check it, or ask an administrator."


class SchoolSerializer(ModelCleanMixin, serializers.ModelSerializer):
    district = ScopedPrimaryKeyRelatedField(queryset=District.objects.all())
    feeds_into = ScopedPrimaryKeyRelatedField(
        queryset=School.objects.all(),
        allow_null=True,
        required=False,
        help_text="The school it feeds into; null too when that school is outside your scope.",
    )
    grade_span = serializers.CharField(read_only=True)
    clusters = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Its clusters that you may see."
    )

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
        # The state id is unique across the portal; the check below looks only at the user's
        # schools and the database refuses the rest (DRF's own check would say that a school of
        # another district has the id).
        extra_kwargs = {"state_id": {"validators": []}}

    def validate_district(self, district):
        viewer = self.context["viewer"]
        if not viewer.is_admin and district.pk != viewer.district_id:
            raise serializers.ValidationError("You can only add or move schools within your own district.")
        return district

    def validate_state_id(self, state_id):
        mine = School.objects.visible_to(self.context["request"].user).filter(state_id=state_id)
        if self.instance is not None:
            mine = mine.exclude(pk=self.instance.pk)
        same = mine.first()
        if same is not None:
            raise serializers.ValidationError(f"{same.name} already has this state/NCES id.")
        return state_id

    def update(self, school, validated_data):
        if "feeds_into" in validated_data:
            school.feeds_into_visible = None  # fetched for the old value: ask again
        return super().update(school, validated_data)

    def save(self, **kwargs):
        try:
            with transaction.atomic():
                return super().save(**kwargs)
        except IntegrityError as error:
            if "state_id" not in str(error):
                raise
            raise serializers.ValidationError({"state_id": [STATE_ID_TAKEN]}) from error

    def to_representation(self, school):
        """Only what the school page shows: the school it feeds into and its clusters, if the user
        may see them (a school of a partner's contract can feed into, or also be in a cluster
        of, a school they may not see)."""
        data = super().to_representation(school)
        user = self.context["request"].user
        if school.feeds_into_id is not None:
            visible = getattr(school, "feeds_into_visible", None)
            if visible is None:
                visible = School.objects.visible_to(user).filter(pk=school.feeds_into_id).exists()
            if not visible:
                data["feeds_into"] = None
        if "clusters" not in getattr(school, "_prefetched_objects_cache", {}):
            # Not fetched through the viewset's scoped prefetch (just written): ask the scope.
            data["clusters"] = list(
                Cluster.objects.visible_to(user)
                .filter(schools=school)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        return data


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

    queryset = School.objects.all()
    serializer_class = SchoolSerializer
    filterset_class = SchoolFilter
    ordering_fields = ["name", "state_id", "enrolment", "id"]
    ordering = ["name"]

    def get_queryset(self):
        """The schools in scope, with only the clusters and receiving school the user may see."""
        user = self.request.user
        visible = School.objects.visible_to(user)
        return (
            super()
            .get_queryset()
            .prefetch_related(Prefetch("clusters", queryset=Cluster.objects.visible_to(user)))
            .annotate(feeds_into_visible=Exists(visible.filter(pk=OuterRef("feeds_into_id"))))
        )


class ClusterViewSet(DistrictWriteMixin, ReadCreateUpdateViewSet):
    """Intentional clusters: the schools one Lead Partner turns around together."""

    queryset = Cluster.objects.prefetch_related("schools")
    serializer_class = ClusterSerializer
    filterset_class = ClusterFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]
