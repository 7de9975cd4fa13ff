from django.contrib import admin

from turnaround.admin import ReadOnlyHistoryAdmin

from .models import (
    FieldVisit,
    FollowUp,
    Organization,
    PriorityPartnerDesignation,
    SelfAudit,
    SelfAuditAnswer,
    SelfAuditItem,
    ServiceArea,
)


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "short_name", "kind", "home_state", "founded_year", "visit_edit_window_days"]
    list_filter = ["kind", "home_state"]
    search_fields = ["name", "short_name"]
    list_select_related = ["home_state"]


@admin.register(SelfAuditItem)
class SelfAuditItemAdmin(admin.ModelAdmin):
    list_display = ["code", "area", "text", "order"]
    list_filter = ["area"]
    search_fields = ["code", "text"]


class SelfAuditAnswerInline(admin.TabularInline):
    model = SelfAuditAnswer
    extra = 0


@admin.register(SelfAudit)
class SelfAuditAdmin(admin.ModelAdmin):
    list_display = ["organization", "completed_on", "completed_by"]
    search_fields = ["organization__name"]
    date_hierarchy = "completed_on"
    autocomplete_fields = ["organization"]
    raw_id_fields = ["completed_by"]
    inlines = [SelfAuditAnswerInline]
    list_select_related = ["organization", "completed_by"]


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(PriorityPartnerDesignation)
class PriorityPartnerDesignationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["organization", "state", "designated_on", "expires_on"]
    list_filter = ["state", "service_areas"]
    search_fields = ["organization__name"]
    date_hierarchy = "designated_on"
    autocomplete_fields = ["organization", "state"]
    filter_horizontal = ["service_areas"]
    raw_id_fields = ["designated_by"]
    list_select_related = ["organization", "state"]


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    extra = 0


@admin.register(FieldVisit)
class FieldVisitAdmin(ReadOnlyHistoryAdmin):
    list_display = ["visit_date", "school", "organization", "staff", "mode", "duration_minutes"]
    list_filter = ["mode", "organization"]
    search_fields = ["school__name", "staff__username", "people_met", "progress", "barriers"]
    date_hierarchy = "visit_date"
    autocomplete_fields = ["school", "organization"]
    raw_id_fields = ["staff", "corrects"]
    inlines = [FollowUpInline]
    list_select_related = ["school", "organization", "staff"]


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyHistoryAdmin):
    list_display = ["description", "owner", "due_on", "done_on", "visit"]
    list_filter = ["done_on"]
    search_fields = ["description", "owner", "closing_note"]
    date_hierarchy = "due_on"
    raw_id_fields = ["visit", "closed_by"]
    list_select_related = ["visit__school"]
