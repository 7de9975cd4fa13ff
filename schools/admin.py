from django.contrib import admin

from .models import Cluster, ClusterMembership, District, PartnershipZone, School, State


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
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "state_id", "district", "level", "grade_span", "enrolment", "feeds_into"]
    list_filter = ["level", "district__state", "district"]
    search_fields = ["name", "state_id"]
    autocomplete_fields = ["district", "feeds_into"]
    list_select_related = ["district", "feeds_into"]


class ClusterMembershipInline(admin.TabularInline):
    model = ClusterMembership
    autocomplete_fields = ["school"]
    extra = 1


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
