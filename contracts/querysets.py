"""Who may see which RFPs, proposals, contracts and what contracts carry."""

from django.apps import apps
from django.db import models

from turnaround.roles import viewer_for


def authority_staff_only(queryset, user):
    """The rows (contracts, RFPs: a district and an authority each) whose authority the user
    staffs: for district staff their district's with the district as authority, for state staff
    their state's districts' with the state as authority; administrators all; others none."""
    viewer = viewer_for(user)
    if viewer.is_admin:
        return queryset.all()
    if viewer.is_district:
        return queryset.filter(district_id=viewer.district_id, authority="district")
    if viewer.is_state:
        return queryset.filter(district__state_id=viewer.state_id, authority="state")
    return queryset.none()


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
        """Contracts whose terms, targets and lifecycle a user may change: the authority's staff
        (authority_staff_only). Partner staff never edit contracts."""
        return authority_staff_only(self, user)

    def in_phase(self, phase, as_of):
        """Contracts in a phase (pre_launch, year_1, year_2, year_3_plus, ended) on a date, in SQL,
        by the same rule as contracts.phases.contract_phase."""
        from django.db.models import Q

        started = Q(start_date__lte=as_of)
        ended = started & (Q(end_date__lt=as_of) | Q(ended_on__lt=as_of))
        running = started & ~ended
        # A contract is in its year k+1 or later when its k-th anniversary is on or before as_of.
        one, two = latest_start_with_anniversary_by(as_of, 1), latest_start_with_anniversary_by(as_of, 2)
        condition = {
            "pre_launch": ~started,
            "year_1": running & Q(start_date__gt=one),
            "year_2": running & Q(start_date__lte=one, start_date__gt=two),
            "year_3_plus": running & Q(start_date__lte=two),
            "ended": ended,
        }[phase]
        return self.filter(condition)

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
        return authority_staff_only(self, user)


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


def latest_start_with_anniversary_by(as_of, years):
    """The last start date whose `years`-th anniversary falls on or before `as_of` (an anniversary
    of 29 February falls on 28 February in other years, as in contracts.phases)."""
    import calendar

    year = as_of.year - years
    end_of_february = as_of.month == 2 and as_of.day in (28, 29)
    if end_of_february and calendar.isleap(year) and (as_of.day == 29 or not calendar.isleap(as_of.year)):
        return as_of.replace(year=year, day=29)
    if as_of.month == 2 and as_of.day == 29:
        return as_of.replace(year=year, day=28)
    return as_of.replace(year=year)
