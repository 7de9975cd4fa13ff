"""Who may see which organizations, self-audits, designations and field visits."""

from django.apps import apps
from django.db import models
from django.db.models import Count, Q

from schools.querysets import partner_school_ids
from turnaround.roles import viewer_for


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user):
        viewer = viewer_for(user)
        if viewer.is_admin or viewer.is_district or viewer.is_state:
            return self.all()
        if viewer.is_partner:
            subcontractors = apps.get_model("contracts", "Subcontract").objects.filter(
                contract__lead_partner_id=viewer.organization_id
            )
            return self.filter(
                Q(pk=viewer.organization_id) | Q(pk__in=subcontractors.values("supporting_partner_id"))
            )
        return self.none()

    def lead_partners(self):
        """Organizations holding at least one performance contract."""
        return self.filter(contracts__isnull=False).distinct()


class SelfAuditQuerySet(models.QuerySet):
    def visible_to(self, user):
        viewer = viewer_for(user)
        if viewer.is_admin or viewer.is_district or viewer.is_state:
            return self.all()
        if viewer.is_program:
            return self.filter(organization_id=viewer.organization_id)
        return self.none()


class DesignationQuerySet(models.QuerySet):
    def visible_to(self, user):
        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_state:
            return self.filter(state_id=viewer.state_id)
        if viewer.is_district:
            return self.filter(state__districts__pk=viewer.district_id)
        if viewer.is_partner:
            return self.filter(organization_id=viewer.organization_id)
        return self.none()


class FieldVisitQuerySet(models.QuerySet):
    def visible_to(self, user):
        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_state:
            return self.filter(school__district__state_id=viewer.state_id)
        if viewer.is_district:
            return self.filter(school__district_id=viewer.district_id)
        if viewer.is_program:
            return self.filter(organization_id=viewer.organization_id)
        if viewer.is_field:
            return self.filter(organization_id=viewer.organization_id, school__in=partner_school_ids(viewer))
        return self.none()

    def barrier_counts(self):
        """Visits that reported a barrier, per school, in total and per focus area (a visit counts
        once in each of its focus areas): one grouped query, most barriers first."""
        from .models import VisitFocus

        per_focus = {code: Count("pk", filter=Q(focus__icontains=f'"{code}"')) for code in VisitFocus.values}
        return (
            self.exclude(barriers="")
            .values("school_id", "school__name")
            .annotate(total=Count("pk"), **per_focus)
            .order_by("-total", "school__name")
        )


class FollowUpQuerySet(models.QuerySet):
    def visible_to(self, user):
        visits = apps.get_model("partners", "FieldVisit").objects.visible_to(user)
        return self.filter(visit__in=visits)

    def open(self):
        return self.filter(done_on__isnull=True)

    def overdue(self, today):
        return self.filter(done_on__isnull=True, due_on__lt=today)
