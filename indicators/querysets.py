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
