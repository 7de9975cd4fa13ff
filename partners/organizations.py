"""Who may change an organization, for the API and the pages alike (the scope itself is
`Organization.objects.editable_by(user)`, in querysets.py)."""

from turnaround.roles import viewer_for

from .models import Organization

# What a Lead Partner's program staff may change of their own organization: its self-description.
# Its name, short name, kind and home state are what districts and states know it by: the district
# or state it works with (or an administrator) changes them.
PROGRAM_STAFF_FIELDS = frozenset({"founded_year", "website", "description", "unionized_staff"})


def can_add_organizations(user):
    """District and state staff add organizations (to record a proposal, to designate one)."""
    viewer = viewer_for(user)
    return viewer.is_admin or viewer.is_district or viewer.is_state


def may_edit_some_organization(user):
    viewer = viewer_for(user)
    return can_add_organizations(user) or viewer.is_program


def can_edit_organization(user, organization):
    return Organization.objects.editable_by(user).filter(pk=organization.pk).exists()


def fields_refused(user, changed):
    """Of the fields `changed`, those `user` may not change on an organization they may edit."""
    if viewer_for(user).is_program:
        return sorted(set(changed) - PROGRAM_STAFF_FIELDS)
    return []
