"""Pages for organizations (partners), their priority designations, and field visits."""

from itertools import groupby

from django.db.models import Count, Prefetch, Q

from contracts.views import visible_contracts_prefetch
from dashboard.queries import contracts_with_status, track_record, track_record_summary
from turnaround.views import ScopedDetailView, ScopedListView

from .models import AuditArea, FieldVisit, Organization, PriorityPartnerDesignation, SelfAudit


def visible_designations(user):
    return (
        PriorityPartnerDesignation.objects.visible_to(user)
        .select_related("state")
        .prefetch_related("service_areas")
    )


class OrganizationListView(ScopedListView):
    template_name = "partners/organization_list.html"
    context_object_name = "organizations"
    paginate_by = 50

    def base_queryset(self):
        user = self.request.user
        return Organization.objects.select_related("home_state").prefetch_related(
            visible_contracts_prefetch(user),
            Prefetch("designations", queryset=visible_designations(user), to_attr="visible_designations"),
        )


class OrganizationDetailView(ScopedDetailView):
    template_name = "partners/organization_detail.html"
    context_object_name = "organization"

    def base_queryset(self):
        return Organization.objects.select_related("home_state")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organization, user = self.object, self.request.user
        contracts = contracts_with_status(user, lead_partner=organization)
        context["contracts"] = contracts
        context["districts"] = sorted({c.district.name for c in contracts})
        context["outcomes"] = [
            (label, sum(1 for c in contracts if c.lifecycle_status == value), value)
            for value, label in [
                ("active", "Active"),
                ("probation", "On probation"),
                ("renewed", "Renewed"),
                ("completed", "Completed"),
                ("terminated", "Terminated"),
            ]
        ]
        context["track_record"] = record = track_record(user, organization)
        context["track_summary"] = track_record_summary(record)
        context["designations"] = visible_designations(user).filter(organization=organization)
        context.update(self_audit(user, organization))
        return context


def self_audit(user, organization):
    """The organization's latest self-audit the user may see, its answers grouped by area, and the
    number of earlier ones."""
    audits = SelfAudit.objects.visible_to(user).filter(organization=organization)
    latest = (
        audits.select_related("completed_by")
        .prefetch_related("answers__item")
        .annotate(yes=Count("answers", filter=Q(answers__answer="yes")), total=Count("answers"))
        .order_by("-completed_on")
        .first()
    )
    if latest is None:
        return {"self_audit": None, "audit_areas": [], "earlier_audits": 0}
    labels = dict(AuditArea.choices)
    order = {value: index for index, value in enumerate(AuditArea.values)}
    answers = sorted(latest.answers.all(), key=lambda a: (order.get(a.item.area, 99), a.item.order))
    areas = [
        (labels.get(area, area), list(group)) for area, group in groupby(answers, key=lambda a: a.item.area)
    ]
    return {"self_audit": latest, "audit_areas": areas, "earlier_audits": audits.count() - 1}


class FieldVisitListView(ScopedListView):
    template_name = "partners/visit_list.html"
    context_object_name = "visits"
    paginate_by = 25

    def base_queryset(self):
        return (
            FieldVisit.objects.select_related("school", "organization", "staff")
            .prefetch_related("follow_ups")
            .order_by("-visit_date", "-created_at", "-id")
        )
