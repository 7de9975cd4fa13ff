from django.contrib import admin

from turnaround.admin import ReadOnlyHistoryAdmin
from turnaround.roles import viewer_for

from .models import (
    Cluster,
    ClusterMembership,
    District,
    NonSchoolDay,
    PartnershipZone,
    School,
    SchoolYearCalendar,
    State,
)


@admin.register(State)
class StateAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "nces_id"]
    list_filter = ["state"]
    search_fields = ["name", "nces_id"]
    list_select_related = ["state"]


@admin.register(PartnershipZone)
class PartnershipZoneAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "established_on"]
    list_filter = ["district__state"]
    search_fields = ["name", "district__name"]
    autocomplete_fields = ["district"]
    list_select_related = ["district"]


@admin.register(School)
class SchoolAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "state_id", "district", "level", "grade_span", "enrolment", "feeds_into"]
    list_filter = ["level", "district__state", "district"]
    search_fields = ["name", "state_id"]
    autocomplete_fields = ["district", "feeds_into"]
    list_select_related = ["district", "feeds_into"]


class ClusterMembershipInline(admin.TabularInline):
    model = ClusterMembership
    autocomplete_fields = ["school"]
    extra = 1


@admin.register(ClusterMembership)
class ClusterMembershipAdmin(ReadOnlyHistoryAdmin):
    """Memberships are edited with their cluster; here for their history (who added or removed a
    school, and when)."""

    list_display = ["cluster", "school"]
    list_filter = ["cluster__district__state", "cluster__district"]
    search_fields = ["cluster__name", "school__name"]
    autocomplete_fields = ["cluster", "school"]
    list_select_related = ["cluster", "school"]


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "zone", "school_count"]
    list_filter = ["district__state", "district"]
    search_fields = ["name", "schools__name"]
    autocomplete_fields = ["district", "zone"]
    inlines = [ClusterMembershipInline]
    list_select_related = ["district", "zone"]

    @admin.display(description="schools")
    def school_count(self, obj):
        return obj.memberships.count()


class DistrictCalendarAdmin(admin.ModelAdmin):
    """A district calendar's rows, for admins and for district staff with admin access (their own
    district's only)."""

    def _keeps_calendar(self, request):
        viewer = viewer_for(request.user)
        return viewer.is_admin or (viewer.is_district and request.user.is_staff)

    def has_module_permission(self, request):
        return self._keeps_calendar(request)

    def has_view_permission(self, request, obj=None):
        return self._keeps_calendar(request)

    has_add_permission = has_module_permission
    has_change_permission = has_view_permission
    has_delete_permission = has_view_permission

    def get_queryset(self, request):
        return super().get_queryset(request).editable_by(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "district":
            viewer = viewer_for(request.user)
            districts = District.objects.all()
            kwargs["queryset"] = districts if viewer.is_admin else districts.filter(pk=viewer.district_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(NonSchoolDay)
class NonSchoolDayAdmin(DistrictCalendarAdmin, ReadOnlyHistoryAdmin):
    """The district calendar's non-school days. Saves and deletes recompute the presence of the
    district's schools through the signals."""

    list_display = ["date", "district", "description"]
    list_filter = ["district__state", "district"]
    search_fields = ["description", "district__name"]
    date_hierarchy = "date"
    list_select_related = ["district"]

    def has_view_history_or_change_history_permission(self, request, obj=None):
        # A deleted day is found through its history, outside get_queryset: its district decides.
        viewer = viewer_for(request.user)
        own = obj is None or viewer.is_admin or obj.district_id == viewer.district_id
        return own and super().has_view_history_or_change_history_permission(request, obj)


@admin.register(SchoolYearCalendar)
class SchoolYearCalendarAdmin(DistrictCalendarAdmin):
    """The district calendar's first and last days of school, per school year (a school year
    without a row has the defaults)."""

    list_display = ["school_year", "district", "first_day", "last_day"]
    list_filter = ["district__state", "district", "school_year"]
    search_fields = ["district__name"]
    list_select_related = ["district"]
