"""The role of the user making a request, read once and used by every queryset scope.

Each model's queryset has a `visible_to(user)` method (in the app's querysets.py); pages, exports
and the API all go through it, so this module and those methods are the one place that decides
who may see what.
"""

from dataclasses import dataclass

from .models import Role


@dataclass(frozen=True)
class Viewer:
    """What the scopes need to know about a user."""

    is_admin: bool = False
    role: str | None = None
    district_id: int | None = None
    state_id: int | None = None
    organization_id: int | None = None
    user_id: int | None = None

    @property
    def is_district(self):
        return self.role == Role.DISTRICT_STAFF

    @property
    def is_state(self):
        return self.role == Role.STATE_STAFF

    @property
    def is_partner(self):
        return self.role in (Role.PARTNER_PROGRAM, Role.PARTNER_FIELD)

    @property
    def is_program(self):
        return self.role == Role.PARTNER_PROGRAM

    @property
    def is_field(self):
        return self.role == Role.PARTNER_FIELD


NOBODY = Viewer()


def viewer_for(user):
    """The Viewer for a user, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOBODY
    cached = getattr(user, "_turnaround_viewer", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        viewer = Viewer(is_admin=True, user_id=user.pk)
    else:
        from .models import UserProfile

        profile = UserProfile.objects.filter(user=user).first()
        if profile is None:
            viewer = Viewer(user_id=user.pk)
        else:
            viewer = Viewer(
                role=profile.role,
                district_id=profile.district_id,
                state_id=profile.state_id,
                organization_id=profile.organization_id,
                user_id=user.pk,
            )
    user._turnaround_viewer = viewer
    return viewer
