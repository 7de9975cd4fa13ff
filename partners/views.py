"""Pages for organizations (partners), their priority designations, and field visits."""

from django.db.models import Prefetch

from contracts.views import contracts_for_related_page, visible_contracts_prefetch
from turnaround.views import ScopedDetailView, ScopedListView

from .models import FieldVisit, Organization, PriorityPartnerDesignation


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
        context["contracts"] = contracts_for_related_page(user, lead_partner=organization)
        context["designations"] = visible_designations(user).filter(organization=organization)
        return context


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
