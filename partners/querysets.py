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

    def editable_by(self, user):
        """The organizations whose profile `user` may change (a subset of `visible_to`).

        Organizations are shared by the whole country, so no district or state may change one
        another district or state works with:
        - administrators: any;
        - Lead Partner program staff: their own organization (only the fields of
          `partners.organizations.PROGRAM_STAFF_FIELDS`);
        - district staff: an organization every tie of which (contracts as Lead Partner,
          subcontracts, proposals) is in their district, and any designation in their state;
        - state staff: an organization every tie of which is in their state's districts, and any
          designation by their state.
        An organization with no tie yet (just added for an RFP) is editable by any district or
        state staff; its first contract, proposal or subcontract decides who keeps it."""
        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_program:
            return self.filter(pk=viewer.organization_id)
        if viewer.is_district:
            outside = ~Q(district_id=viewer.district_id)
            state = apps.get_model("schools", "District").objects.filter(pk=viewer.district_id)
            other_designations = ~Q(state__in=state.values("state_id"))
        elif viewer.is_state:
            outside = ~Q(district__state_id=viewer.state_id)
            other_designations = ~Q(state_id=viewer.state_id)
        else:
            return self.none()
        contracts = apps.get_model("contracts", "PerformanceContract").objects.filter(outside)
        rfps = apps.get_model("contracts", "Rfp").objects.filter(outside)
        designations = apps.get_model("partners", "PriorityPartnerDesignation").objects.filter(
            other_designations
        )
        subcontracts = apps.get_model("contracts", "Subcontract").objects.filter(contract__in=contracts)
        proposals = apps.get_model("contracts", "Proposal").objects.filter(rfp__in=rfps)
        return self.exclude(pk__in=contracts.values("lead_partner_id")).exclude(
            Q(pk__in=subcontracts.values("supporting_partner_id"))
            | Q(pk__in=proposals.values("organization_id"))
            | Q(pk__in=designations.values("organization_id"))
        )

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
