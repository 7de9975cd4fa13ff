"""Who may see which states, districts, zones, schools and clusters."""

from django.apps import apps
from django.db import models

from turnaround.roles import viewer_for


def partner_school_ids(viewer):
    """Ids of the schools a partner user works in: program staff, every contract of their
    organization; field staff, only contracts in force on the ground (active, probation, renewed)."""
    from contracts.models import ON_THE_GROUND_STATUSES

    links = apps.get_model("contracts", "ContractSchool").objects.filter(
        contract__lead_partner_id=viewer.organization_id
    )
    if viewer.is_field:
        links = links.filter(contract__lifecycle_status__in=ON_THE_GROUND_STATUSES)
    return links.values("school_id")


class StateQuerySet(models.QuerySet):
    def visible_to(self, user):
        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_state:
            return self.filter(pk=viewer.state_id)
        if viewer.is_district:
            return self.filter(districts__pk=viewer.district_id)
        if viewer.is_partner:
            return self.filter(districts__schools__in=partner_school_ids(viewer)).distinct()
        return self.none()


class DistrictQuerySet(models.QuerySet):
    def visible_to(self, user):
        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_state:
            return self.filter(state_id=viewer.state_id)
        if viewer.is_district:
            return self.filter(pk=viewer.district_id)
        if viewer.is_partner:
            return self.filter(
                pk__in=schools_model().objects.filter(pk__in=partner_school_ids(viewer)).values("district_id")
            )
        return self.none()


class PartnershipZoneQuerySet(models.QuerySet):
    def visible_to(self, user):
        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_state:
            return self.filter(district__state_id=viewer.state_id)
        if viewer.is_district:
            return self.filter(district_id=viewer.district_id)
        if viewer.is_partner:
            return self.filter(clusters__schools__in=partner_school_ids(viewer)).distinct()
        return self.none()


class SchoolQuerySet(models.QuerySet):
    def visible_to(self, user):
        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_state:
            return self.filter(district__state_id=viewer.state_id)
        if viewer.is_district:
            return self.filter(district_id=viewer.district_id)
        if viewer.is_partner:
            return self.filter(pk__in=partner_school_ids(viewer))
        return self.none()


class ClusterQuerySet(models.QuerySet):
    def visible_to(self, user):
        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_state:
            return self.filter(district__state_id=viewer.state_id)
        if viewer.is_district:
            return self.filter(district_id=viewer.district_id)
        if viewer.is_partner:
            contracts = apps.get_model("contracts", "PerformanceContract").objects.visible_to(user)
            return self.filter(pk__in=contracts.values("cluster_id"))
        return self.none()


class DistrictCalendarQuerySet(models.QuerySet):
    """A district's calendar is seen by whoever sees the district, and kept by its own staff."""

    def visible_to(self, user):
        districts = apps.get_model("schools", "District").objects.visible_to(user)
        return self.filter(district__in=districts)

    def editable_by(self, user):
        viewer = viewer_for(user)
        if viewer.is_admin:
            return self.all()
        if viewer.is_district:
            return self.filter(district_id=viewer.district_id)
        return self.none()


class NonSchoolDayQuerySet(DistrictCalendarQuerySet):
    """A district's non-school days: the district calendar's scope."""


class SchoolYearCalendarQuerySet(DistrictCalendarQuerySet):
    """A district's first and last days of school: the district calendar's scope."""


def schools_model():
    return apps.get_model("schools", "School")
