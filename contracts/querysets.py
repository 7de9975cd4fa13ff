"""Who may see which RFPs, proposals, contracts and what contracts carry."""

from django.apps import apps
from django.db import models

from turnaround.roles import viewer_for


class ContractQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .models import ON_THE_GROUND_STATUSES

        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_state:
            return self.filter(district__state_id=viewer.state_id)
        if viewer.is_district:
            return self.filter(district_id=viewer.district_id)
        if viewer.is_program:
            return self.filter(lead_partner_id=viewer.organization_id)
        if viewer.is_field:
            return self.filter(
                lead_partner_id=viewer.organization_id, lifecycle_status__in=ON_THE_GROUND_STATUSES
            )
        return self.none()

    def editable_by(self, user):
        """Contracts whose terms, targets and lifecycle a user may change: for district staff their
        district's contracts with the district as authority, for state staff the contracts of their
        state's districts with the state as authority. Partner staff never edit contracts."""
        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_district:
            return self.filter(district_id=viewer.district_id, authority="district")
        if viewer.is_state:
            return self.filter(district__state_id=viewer.state_id, authority="state")
        return self.none()

    def with_related(self):
        return self.select_related("district__state", "lead_partner", "cluster").prefetch_related("schools")


class ContractChildQuerySet(models.QuerySet):
    """Targets, autonomies, responsibilities, reviews, ...: visible with their contract."""

    def visible_to(self, user):
        contracts = apps.get_model("contracts", "PerformanceContract").objects.visible_to(user)
        return self.filter(contract__in=contracts)


class RfpQuerySet(models.QuerySet):
    def visible_to(self, user):
        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_state:
            return self.filter(district__state_id=viewer.state_id)
        if viewer.is_district:
            return self.filter(district_id=viewer.district_id)
        if viewer.is_program:
            # RFPs are public solicitations once issued.
            return self.exclude(status="draft")
        return self.none()

    def editable_by(self, user):
        """RFPs a user may run (edit, record and select proposals): as for contracts, the
        authority's staff."""
        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_district:
            return self.filter(district_id=viewer.district_id, authority="district")
        if viewer.is_state:
            return self.filter(district__state_id=viewer.state_id, authority="state")
        return self.none()


class ProposalQuerySet(models.QuerySet):
    def visible_to(self, user):
        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_state:
            return self.filter(rfp__district__state_id=viewer.state_id)
        if viewer.is_district:
            return self.filter(rfp__district_id=viewer.district_id)
        if viewer.is_program:
            return self.filter(organization_id=viewer.organization_id)
        return self.none()
