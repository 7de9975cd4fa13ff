from django.contrib import admin

from turnaround.admin import ReadOnlyAdmin

from .models import (
    ContractPerformance,
    Indicator,
    IndicatorStatus,
    Measurement,
    MeasurementEvent,
    MeasurementImport,
    YearAggregate,
)


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "unit", "direction", "aggregation", "min_value", "max_value"]
    list_filter = ["kind", "unit", "direction", "aggregation"]
    search_fields = ["code", "name"]


class MeasurementEventInline(admin.TabularInline):
    model = MeasurementEvent
    extra = 0
    can_delete = False
    fields = ["kind", "user", "at", "text", "old_value", "new_value"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    inlines = [MeasurementEventInline]
    list_display = [
        "school",
        "indicator",
        "period_start",
        "period_end",
        "student_group",
        "value",
        "source",
        "verification",
    ]
    list_filter = ["indicator", "source", "verification", "student_group"]
    search_fields = ["school__name", "school__state_id", "indicator__code"]
    date_hierarchy = "period_end"
    autocomplete_fields = ["school", "indicator"]
    raw_id_fields = ["supplied_by", "verified_by", "import_batch"]
    list_select_related = ["school", "indicator"]


@admin.register(MeasurementImport)
class MeasurementImportAdmin(admin.ModelAdmin):
    list_display = [
        "file_name",
        "uploaded_at",
        "uploaded_by",
        "channel",
        "status",
        "rows_total",
        "rows_created",
        "rows_updated",
        "rows_unchanged",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["file_name", "uploaded_by__username"]
    date_hierarchy = "uploaded_at"
    list_select_related = ["uploaded_by"]

    def has_add_permission(self, request):
        return False  # imports are made by uploading a file

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IndicatorStatus)
class IndicatorStatusAdmin(ReadOnlyAdmin):  # written by the indicator engine alone
    list_display = [
        "contract",
        "indicator",
        "school",
        "contract_year",
        "accountable",
        "value",
        "target",
        "progress",
        "status",
        "projection",
        "computed_at",
    ]
    list_filter = ["status", "accountable", "contract_year", "indicator"]
    search_fields = ["contract__name", "contract__reference", "school__name"]
    list_select_related = ["contract", "indicator", "school"]


@admin.register(ContractPerformance)
class ContractPerformanceAdmin(ReadOnlyAdmin):
    list_display = ["contract", "performance_status", "contract_year", "as_of", "computed_at"]
    list_filter = ["performance_status"]
    search_fields = ["contract__name", "contract__reference"]
    list_select_related = ["contract"]


@admin.register(MeasurementEvent)
class MeasurementEventAdmin(ReadOnlyAdmin):  # the verification trail, written by the portal
    list_display = ["measurement", "kind", "user", "at", "old_value", "new_value"]
    list_filter = ["kind"]
    search_fields = ["measurement__school__name", "text"]
    list_select_related = ["measurement__school", "measurement__indicator", "user"]


@admin.register(YearAggregate)
class YearAggregateAdmin(ReadOnlyAdmin):  # kept by the indicator engine alone
    list_display = ["contract", "contract_year", "indicator", "school", "year_start", "cutoff", "n", "s"]
    list_filter = ["indicator"]
    list_select_related = ["contract", "indicator", "school"]
