"""indicators/ (the catalog), measurements/ (read, and upsert one object or a list) and imports/
(past imports; POST a CSV file)."""

import django_filters
from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from indicators.imports import (
    MAX_ABS_VALUE,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    LimitedUploadHandler,
    RowsRefused,
    import_measurements,
    validate,
)
from indicators.imports import write_measurements as write_checked_measurements
from indicators.models import (
    ImportStatus,
    Indicator,
    IndicatorKind,
    Measurement,
    MeasurementImport,
    Source,
    StudentGroup,
)

from .base import IdFilter, RoleWritePermission, ScopedViewSet
from .schools import ReadCreateUpdateViewSet

# One request upserts at most this many measurements (a month of a large district's values is
# a few thousand); larger loads go through imports/.
MAX_MEASUREMENTS_PER_REQUEST = 5000
# ... and its JSON body at most this many bytes (5,000 measurements take under 1 MB), refused on
# the declared length before the body is read: DRF's JSON parser reads a body whole.
MAX_MEASUREMENTS_BODY_BYTES = 5 * 1024 * 1024


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "unit",
            "direction",
            "aggregation",
            "min_value",
            "max_value",
            "description",
            "order",
        ]
        # An indicator's range bounds every value written of it: within the portal's limit.
        extra_kwargs = {
            "min_value": {"min_value": -MAX_ABS_VALUE, "max_value": MAX_ABS_VALUE},
            "max_value": {"min_value": -MAX_ABS_VALUE, "max_value": MAX_ABS_VALUE},
        }

    def validate(self, attrs):
        low = attrs.get("min_value", getattr(self.instance, "min_value", None))
        high = attrs.get("max_value", getattr(self.instance, "max_value", None))
        if low is not None and high is not None and low >= high:
            raise serializers.ValidationError({"max_value": "The largest value must be above the smallest."})
        return attrs


class IndicatorFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=IndicatorKind.choices)

    class Meta:
        model = Indicator
        fields = ["code", "kind"]


class IndicatorViewSet(mixins.DestroyModelMixin, ReadCreateUpdateViewSet):
    """The indicator catalog: every user reads it; administrators change it."""

    queryset = Indicator.objects.all()
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilter
    ordering_fields = ["order", "code", "id"]
    ordering = ["order", "code"]

    def get_queryset(self):
        return self.queryset.all()  # a catalog: the same for everyone


class MeasurementSerializer(serializers.ModelSerializer):
    """A measurement as read, with its provenance."""

    school_id = serializers.CharField(source="school.state_id", help_text="The school's state/NCES id.")
    indicator = serializers.CharField(source="indicator.code", help_text="The indicator's code.")
    supplied_by = serializers.CharField(source="supplied_by.username", allow_null=True, default=None)

    class Meta:
        model = Measurement
        fields = [
            "id",
            "school",
            "school_id",
            "indicator",
            "period_start",
            "period_end",
            "student_group",
            "value",
            "source",
            "supplied_by",
            "verification",
            "dispute_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MeasurementInputSerializer(serializers.Serializer):
    """One measurement to write: the columns of the CSV import. Upserted on school, indicator,
    period and student group: sending the same period again replaces the value."""

    school_id = serializers.CharField(help_text="The school's state/NCES id.")
    indicator = serializers.CharField(help_text="The indicator's code.")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = serializers.FloatField()
    student_group = serializers.ChoiceField(choices=StudentGroup.choices, required=False, default="all")


class MeasurementWriteResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    measurements = MeasurementSerializer(many=True)


class MeasurementFilter(django_filters.FilterSet):
    school = IdFilter(field_name="school_id", help_text="A school's id.")
    indicator = django_filters.CharFilter(field_name="indicator__code", help_text="An indicator code.")
    period = django_filters.DateFromToRangeFilter(
        method="filter_period",
        help_text="period_after / period_before: measurements whose period overlaps these days.",
    )
    student_group = django_filters.ChoiceFilter(choices=StudentGroup.choices)

    class Meta:
        model = Measurement
        fields = ["school", "indicator", "period", "student_group"]

    def filter_period(self, queryset, name, value):
        if value.start:
            queryset = queryset.filter(period_end__gte=value.start)
        if value.stop:
            queryset = queryset.filter(period_start__lte=value.stop)
        return queryset


def item_errors(body):
    """Errors of the shape of the request (not objects, unknown fields), per item; None if fine."""
    items = body if isinstance(body, list) else [body]
    allowed = set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
    errors, bad = [], False
    for item in items:
        if not isinstance(item, dict):
            errors.append({"non_field_errors": ["Each measurement is a JSON object."]})
            bad = True
            continue
        unknown = sorted(set(item) - allowed)
        missing = [c for c in REQUIRED_COLUMNS if c not in item]
        problems = {c: ["This field is required."] for c in missing}
        problems.update({c: ["Unknown field."] for c in unknown})
        bad = bad or bool(problems)
        errors.append(problems)
    return errors if bad else None


class MeasurementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Measurements of the schools you may see. Lead Partner program staff and district staff
    push them: one object or a list, checked whole and written all or nothing."""

    queryset = Measurement.objects.select_related("school", "indicator", "supplied_by")
    serializer_class = MeasurementSerializer
    parser_classes = [JSONParser]
    filterset_class = MeasurementFilter
    ordering_fields = ["period_start", "period_end", "updated_at", "id"]
    ordering = ["school_id", "indicator_id", "period_start", "id"]

    def may_write(self, viewer):
        return viewer.is_admin or viewer.is_district or viewer.is_program

    @extend_schema(
        request=PolymorphicProxySerializer(
            component_name="MeasurementInputOneOrMany",
            serializers=[MeasurementInputSerializer, MeasurementInputSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            200: OpenApiResponse(
                MeasurementWriteResultSerializer, description="Nothing new: all updated or unchanged."
            ),
            201: OpenApiResponse(
                MeasurementWriteResultSerializer, description="At least one measurement created."
            ),
        },
    )
    def create(self, request):
        """Upsert measurements on (school, indicator, period, student group) in one transaction.
        Every object is checked first: any error rejects them all, with the messages per field
        (for a list, a list of such objects in the same order). The statuses of the contracts
        covering the schools are recomputed shortly after."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_MEASUREMENTS_BODY_BYTES:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        f"The request is larger than {MAX_MEASUREMENTS_BODY_BYTES // (1024 * 1024)} MB; "
                        "send fewer measurements a request, or a file to imports/."
                    ]
                }
            )
        body = request.data
        if isinstance(body, list) and not body:
            raise exceptions.ValidationError({"non_field_errors": ["Send at least one measurement."]})
        if isinstance(body, list) and len(body) > MAX_MEASUREMENTS_PER_REQUEST:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        f"At most {MAX_MEASUREMENTS_PER_REQUEST} measurements a request; use imports/."
                    ]
                }
            )
        shape_errors = item_errors(body)
        if shape_errors:
            raise exceptions.ValidationError(shape_errors if isinstance(body, list) else shape_errors[0])
        items = body if isinstance(body, list) else [body]
        rows, errors = validate(list(enumerate(items)), request.user)
        if not errors:
            try:
                created, updated, unchanged = write_checked_measurements(
                    rows, request.user, source=Source.API
                )
            except RowsRefused as refused:  # a value verified since the check: nothing was written
                errors = refused.errors
        if errors:
            per_item = [{} for _ in items]
            for error in errors:
                field = error["column"] or "non_field_errors"
                per_item[error["line"]].setdefault(field, []).append(error["message"])
            raise exceptions.ValidationError(per_item if isinstance(body, list) else per_item[0])
        written = Measurement.objects.select_related("school", "indicator", "supplied_by").filter(
            _keys_filter(rows)
        )
        data = {
            "created": created,
            "updated": updated,
            "unchanged": unchanged,
            "measurements": MeasurementSerializer(written, many=True).data,
        }
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _keys_filter(rows):
    condition = Q(pk__in=[])
    for row in rows:
        condition |= Q(
            school_id=row.school.pk,
            indicator_id=row.indicator.pk,
            period_start=row.period_start,
            period_end=row.period_end,
            student_group=row.student_group,
        )
    return condition


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True, help_text="The line of the file (1: the header).")
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class MeasurementImportSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", allow_null=True, default=None)
    errors = RowErrorSerializer(many=True, read_only=True)

    class Meta:
        model = MeasurementImport
        fields = [
            "id",
            "file_name",
            "uploaded_by",
            "uploaded_at",
            "channel",
            "status",
            "rows_total",
            "rows_created",
            "rows_updated",
            "rows_unchanged",
            "errors",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A UTF-8 CSV file (or .xlsx workbook) with the columns "
        "school_id,indicator,period_start,period_end,value (optionally student_group).",
        # An empty file is refused by the import, which records why.
        allow_empty_file=True,
    )


class ImportFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ImportStatus.choices)

    class Meta:
        model = MeasurementImport
        fields = ["status"]


class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Past measurement imports with their counts and row errors; POST a file to import one."""

    queryset = MeasurementImport.objects.select_related("uploaded_by")
    serializer_class = MeasurementImportSerializer
    filterset_class = ImportFilter
    parser_classes = [MultiPartParser]
    permission_classes = [RoleWritePermission]
    ordering_fields = ["uploaded_at", "id"]
    ordering = ["-uploaded_at", "-id"]

    def may_write(self, viewer):
        return viewer.is_admin or viewer.is_district or viewer.is_program

    def initialize_request(self, request, *args, **kwargs):
        # Before anything reads the body: an upload is stored only up to the import's byte limit.
        if request.method == "POST":
            request.upload_handlers.insert(0, LimitedUploadHandler(request))
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            201: OpenApiResponse(MeasurementImportSerializer, description="Every row imported."),
            400: OpenApiResponse(
                description="Rejected, nothing imported: the import as recorded (an import object with "
                '`status` "rejected" and `errors` listing every bad row), or {"file": [message]} '
                "when no file came."
            ),
        },
    )
    def create(self, request):
        """Import a file of measurements: every row is checked first; any bad row rejects the
        whole file and nothing is written. The import is recorded either way."""
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        record = import_measurements(file, file.name, request.user, channel="api")
        applied = record.status == ImportStatus.APPLIED
        return Response(
            MeasurementImportSerializer(record).data,
            status=status.HTTP_201_CREATED if applied else status.HTTP_400_BAD_REQUEST,
        )
