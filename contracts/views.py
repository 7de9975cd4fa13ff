"""Pages for performance contracts: the home page (the user's contracts), the list and the detail."""

from itertools import groupby

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from indicators.models import Measurement, Verification
from turnaround.views import ScopedDetailView, ScopedListView

from . import contract_page
from .models import (
    ALLOWED_TRANSITIONS,
    AutonomyDimension,
    ContractAutonomy,
    ContractDecision,
    ContractResponsibility,
    ContractReview,
    ContractStatusChange,
    FunctionArea,
    Owner,
    PerformanceContract,
    Phase,
    Subcontract,
    Target,
)


def can_edit_contract(user, contract):
    """Whether `user` may change this contract (its terms, targets, lifecycle): the one rule is
    the queryset's `editable_by`."""
    return PerformanceContract.objects.editable_by(user).filter(pk=contract.pk).exists()


def phase_label(phase, contract_year):
    """How a phase reads on a page: "Pre-launch", "Year 1", "Year 3+ (year 4)", "Ended"."""
    label = Phase(phase).label
    if phase == Phase.YEAR_3_PLUS and contract_year:
        return f"{label} (year {contract_year})"
    return label


def with_phase(contracts, as_of):
    """The contracts, each with `phase`, `contract_year` and `phase_label` as of a date."""
    contracts = list(contracts)
    for contract in contracts:
        contract.phase, contract.contract_year = contract.phase_on(as_of)
        contract.phase_label = phase_label(contract.phase, contract.contract_year)
    return contracts


class ContractTableMixin:
    """The contracts table of the home page and the contracts list."""

    model = PerformanceContract

    def base_queryset(self):
        return PerformanceContract.objects.with_related()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = timezone.localdate()
        context["object_list"] = context[self.context_object_name] = with_phase(
            context["object_list"], context["today"]
        )
        return context


class ContractListView(ContractTableMixin, ScopedListView):
    template_name = "contracts/contract_list.html"
    context_object_name = "contracts"
    paginate_by = 50


def indicator_statuses(contract, year=None):
    """The contract's performance and the statuses of one contract year (default: its latest
    computed year): accountable first, cluster-wide before schools. The page and the API's status
    endpoint both read them here."""
    from indicators.models import ContractPerformance, IndicatorStatus

    performance = ContractPerformance.objects.filter(contract=contract).first()
    statuses = IndicatorStatus.objects.filter(contract=contract).select_related("indicator", "school")
    if year is None:
        year = performance.contract_year if performance and performance.contract_year else None
    if year is None:
        year = statuses.order_by("-contract_year").values_list("contract_year", flat=True).first()
    rows = sorted(
        statuses.filter(contract_year=year) if year else [],
        key=lambda r: (not r.accountable, r.indicator.order, r.school_id is not None, str(r.school or "")),
    )
    return {
        "performance": performance,
        "status_year": year,
        "statuses": rows,
        "computed_at": max(
            (r.computed_at for r in rows), default=performance.computed_at if performance else None
        ),
    }


class ContractStatusesView(ScopedDetailView):
    """The indicator status section alone, which the contract page refreshes in place (htmx)."""

    model = PerformanceContract
    template_name = "contracts/contract_statuses.html"
    context_object_name = "contract"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(indicator_statuses(self.object))
        return context


# Values on the contract page: the latest ones, the rest on the values page.
LATEST_VALUES = 12


class ContractDetailView(ScopedDetailView):
    template_name = "contracts/contract_detail.html"
    context_object_name = "contract"

    def base_queryset(self):
        return PerformanceContract.objects.with_related().select_related("cluster__zone", "proposal")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = self.object
        today = timezone.localdate()
        with_phase([contract], today)
        context["today"] = today
        context["autonomy_groups"] = self.autonomy_groups(contract)
        context.update(self.responsibility_matrix(contract))
        targets = list(Target.objects.filter(contract=contract).select_related("indicator", "school"))
        context["targets"] = targets
        context["checklist"] = list(contract.checklist.all())
        context["subcontracts"] = Subcontract.objects.filter(contract=contract).select_related(
            "supporting_partner"
        )
        status_changes = list(
            ContractStatusChange.objects.filter(contract=contract).select_related("changed_by")
        )
        context["status_changes"] = status_changes
        context["reviews"] = ContractReview.objects.filter(contract=contract).select_related("reviewer")
        decisions = list(
            ContractDecision.objects.filter(contract=contract).select_related(
                "decided_by", "review", "status_change"
            )
        )
        for decision in decisions:
            decision.evidence_rows = contract_page.evidence_rows(decision.evidence)
        context["decisions"] = decisions
        context["size_warning"] = contract.cluster.size_warning
        context.update(indicator_statuses(contract))
        schools = list(contract.schools.all())
        statuses = contract_page.statuses_of(contract)
        drafted_on = status_changes[0].effective_on if status_changes else None
        context["timeline"] = contract_page.phase_timeline(contract, today, drafted_on)
        context.update(contract_page.performance_grid(contract, targets, statuses))
        context["charts"] = contract_page.chart_data(contract, targets, statuses, schools, today)
        context["history"] = contract_page.change_history(contract)
        context["checklist_done"] = sum(1 for item in context["checklist"] if item.done_on)
        context["can_edit"] = can_edit_contract(self.request.user, contract)
        context["next_statuses"] = sorted(ALLOWED_TRANSITIONS[contract.lifecycle_status])
        context.update(self.latest_values(contract, schools))
        return context

    def latest_values(self, contract, schools):
        """The latest values reported for the contract's schools, with their provenance and
        verification state, and how many are disputed or not yet verified."""
        values = Measurement.objects.visible_to(self.request.user).filter(school__in=schools)
        counts = values.aggregate(
            disputed=Count("pk", filter=Q(verification=Verification.DISPUTED)),
            unverified=Count("pk", filter=Q(verification=Verification.REPORTED)),
        )
        latest = values.select_related("school", "indicator", "supplied_by").order_by(
            "-period_end", "school__name", "indicator__order", "pk"
        )[:LATEST_VALUES]
        return {"latest_values": latest, "value_counts": counts}

    @staticmethod
    def autonomy_groups(contract):
        """[(dimension label, [autonomy, ...]), ...] in the order people, time, money, program."""
        autonomies = ContractAutonomy.objects.filter(contract=contract).select_related("item")
        by_dimension = {value: [] for value in AutonomyDimension.values}
        for autonomy in autonomies:
            by_dimension.setdefault(autonomy.item.dimension, []).append(autonomy)
        labels = dict(AutonomyDimension.choices)
        return [(labels.get(dim, dim), items) for dim, items in by_dimension.items() if items]

    @staticmethod
    def responsibility_matrix(contract):
        """The split as rows grouped by function area, the owner columns and the undecided items."""
        rows = list(
            ContractResponsibility.objects.filter(contract=contract)
            .select_related("item")
            .order_by("item__order")
        )
        area_order = {value: index for index, value in enumerate(FunctionArea.values)}
        area_labels = dict(FunctionArea.choices)
        rows.sort(key=lambda r: (area_order.get(r.item.area, len(area_order)), r.item.order))
        areas = [
            (area_labels.get(area, area), list(items))
            for area, items in groupby(rows, key=lambda r: r.item.area)
        ]
        return {
            "responsibility_areas": areas,
            "owner_columns": Owner.choices,
            "undecided_responsibilities": [r for r in rows if r.owner == Owner.UNDECIDED],
        }


def visible_contracts_prefetch(user, to_attr="visible_contracts", lookup="contracts"):
    """Prefetch of a relation to contracts, narrowed to the contracts `user` may see."""
    return Prefetch(
        lookup,
        queryset=PerformanceContract.objects.visible_to(user).select_related("lead_partner"),
        to_attr=to_attr,
    )
