"""Who may see which measurements and computed statuses."""

from django.apps import apps
from django.db import models


class MeasurementQuerySet(models.QuerySet):
    def visible_to(self, user):
        schools = apps.get_model("schools", "School").objects.visible_to(user)
        return self.filter(school__in=schools)


class IndicatorStatusQuerySet(models.QuerySet):
    def visible_to(self, user):
        contracts = apps.get_model("contracts", "PerformanceContract").objects.visible_to(user)
        return self.filter(contract__in=contracts)


ContractPerformanceQuerySet = IndicatorStatusQuerySet


class MeasurementImportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Imports are seen by whoever uploaded them, by the staff of the same organization,
        district or state, and by admins."""
        from turnaround.roles import viewer_for

        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_district:
            return self.filter(uploaded_by__profile__district_id=viewer.district_id)
        if viewer.is_state:
            return self.filter(uploaded_by__profile__state_id=viewer.state_id)
        if viewer.is_program:
            return self.filter(uploaded_by__profile__organization_id=viewer.organization_id)
        return self.none()
