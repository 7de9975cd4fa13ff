from django.contrib import admin

from turnaround.admin import ReadOnlyAdmin, ReadOnlyHistoryAdmin

from .models import (
    AutonomyItem,
    ContractAutonomy,
    ContractDecision,
    ContractResponsibility,
    ContractReview,
    ContractSchool,
    ContractStatusChange,
    PerformanceContract,
    PreLaunchChecklistItem,
    Proposal,
    ResponsibilityItem,
    Rfp,
    Subcontract,
    Target,
)


class ProposalInline(admin.TabularInline):
    model = Proposal
    extra = 0
    autocomplete_fields = ["organization"]
    fields = ["organization", "submitted_on", "score", "status"]


@admin.register(Rfp)
class RfpAdmin(ReadOnlyHistoryAdmin):
    list_display = ["title", "district", "authority", "issued_on", "proposals_due_on", "status"]
    list_filter = ["status", "authority", "district__state"]
    search_fields = ["title", "district__name"]
    date_hierarchy = "issued_on"
    autocomplete_fields = ["district", "schools"]
    inlines = [ProposalInline]
    list_select_related = ["district"]


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyHistoryAdmin):
    list_display = ["organization", "rfp", "submitted_on", "score", "status"]
    list_filter = ["status"]
    search_fields = ["organization__name", "rfp__title"]
    autocomplete_fields = ["organization", "rfp"]
    list_select_related = ["organization", "rfp"]


class ContractSchoolInline(admin.TabularInline):
    model = ContractSchool
    extra = 0
    autocomplete_fields = ["school"]
    readonly_fields = ["in_force"]


class ContractAutonomyInline(admin.TabularInline):
    model = ContractAutonomy
    extra = 0
    fields = ["item", "grant", "notes"]


class ContractResponsibilityInline(admin.TabularInline):
    model = ContractResponsibility
    extra = 0
    fields = ["item", "owner", "notes"]


class ChecklistInline(admin.TabularInline):
    model = PreLaunchChecklistItem
    extra = 0


class SubcontractInline(admin.TabularInline):
    model = Subcontract
    extra = 0
    autocomplete_fields = ["supporting_partner"]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    autocomplete_fields = ["school"]
    fields = ["indicator", "contract_year", "school", "baseline", "target"]


class StatusChangeInline(admin.TabularInline):
    """The lifecycle's record; written only by contracts.services.transition_contract."""

    model = ContractStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "changed_by", "changed_at", "effective_on", "reason"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PerformanceContract)
class PerformanceContractAdmin(ReadOnlyHistoryAdmin):
    list_display = [
        "reference",
        "name",
        "district",
        "lead_partner",
        "lifecycle_status",
        "start_date",
        "end_date",
    ]
    list_filter = ["lifecycle_status", "authority", "district__state", "district"]
    search_fields = ["reference", "name", "lead_partner__name", "schools__name"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["district", "lead_partner", "cluster", "proposal"]
    readonly_fields = ["lifecycle_status", "ended_on", "created_at", "updated_at"]
    inlines = [
        ContractSchoolInline,
        ContractAutonomyInline,
        ContractResponsibilityInline,
        ChecklistInline,
        SubcontractInline,
        TargetInline,
        StatusChangeInline,
    ]
    list_select_related = ["district", "lead_partner"]


@admin.register(ContractStatusChange)
class ContractStatusChangeAdmin(ReadOnlyAdmin):  # written by transition_contract alone
    list_display = ["contract", "from_status", "to_status", "effective_on", "changed_by", "changed_at"]
    list_filter = ["to_status"]
    search_fields = ["contract__name", "reason"]
    date_hierarchy = "changed_at"
    list_select_related = ["contract", "changed_by"]


@admin.register(AutonomyItem)
class AutonomyItemAdmin(admin.ModelAdmin):
    list_display = ["code", "dimension", "text", "order"]
    list_filter = ["dimension"]
    search_fields = ["code", "text"]


@admin.register(ResponsibilityItem)
class ResponsibilityItemAdmin(admin.ModelAdmin):
    list_display = ["code", "area", "text", "default_owner", "order"]
    list_filter = ["area", "default_owner"]
    search_fields = ["code", "text"]


@admin.register(ContractAutonomy)
class ContractAutonomyAdmin(ReadOnlyHistoryAdmin):
    list_display = ["contract", "item", "grant"]
    list_filter = ["grant", "item__dimension"]
    search_fields = ["contract__name", "item__text"]
    raw_id_fields = ["contract"]
    list_select_related = ["contract", "item"]


@admin.register(ContractResponsibility)
class ContractResponsibilityAdmin(ReadOnlyHistoryAdmin):
    list_display = ["contract", "item", "owner"]
    list_filter = ["owner", "item__area"]
    search_fields = ["contract__name", "item__text"]
    raw_id_fields = ["contract"]
    list_select_related = ["contract", "item"]


@admin.register(PreLaunchChecklistItem)
class PreLaunchChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["contract", "task", "due_on", "done_on"]
    list_filter = ["task"]
    search_fields = ["contract__name"]
    raw_id_fields = ["contract"]
    list_select_related = ["contract"]


@admin.register(Subcontract)
class SubcontractAdmin(ReadOnlyHistoryAdmin):
    list_display = ["supporting_partner", "contract", "services", "start_date", "end_date", "amount"]
    search_fields = ["supporting_partner__name", "contract__name", "services"]
    autocomplete_fields = ["supporting_partner"]
    raw_id_fields = ["contract"]
    list_select_related = ["supporting_partner", "contract"]


@admin.register(Target)
class TargetAdmin(ReadOnlyHistoryAdmin):
    list_display = ["contract", "indicator", "contract_year", "school", "baseline", "target"]
    list_filter = ["contract_year", "indicator__kind", "indicator"]
    search_fields = ["contract__name", "school__name", "indicator__code"]
    autocomplete_fields = ["school", "indicator"]
    raw_id_fields = ["contract"]
    list_select_related = ["contract", "indicator", "school"]


@admin.register(ContractReview)
class ContractReviewAdmin(ReadOnlyHistoryAdmin):
    list_display = ["contract", "contract_year", "review_date", "recommendation", "reviewer"]
    list_filter = ["recommendation", "contract_year"]
    search_fields = ["contract__name", "findings"]
    date_hierarchy = "review_date"
    raw_id_fields = ["contract", "reviewer"]
    list_select_related = ["contract", "reviewer"]


@admin.register(ContractDecision)
class ContractDecisionAdmin(admin.ModelAdmin):
    list_display = ["contract", "kind", "decided_on", "decided_by"]
    list_filter = ["kind"]
    search_fields = ["contract__name", "rationale"]
    date_hierarchy = "decided_on"
    raw_id_fields = ["contract", "review", "decided_by", "status_change"]
    list_select_related = ["contract", "decided_by"]
