"""Who a user is in the portal: a role in a district, a state or an organization."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from knox.models import AbstractAuthToken


class Role(models.TextChoices):
    DISTRICT_STAFF = "district_staff", "District turnaround office staff"
    STATE_STAFF = "state_staff", "State education agency staff"
    PARTNER_PROGRAM = "partner_program", "Lead Partner program staff"
    PARTNER_FIELD = "partner_field", "Lead Partner field staff"


class UserProfile(models.Model):
    """A user's role and the body they belong to. Exactly one of district, state, organization is set,
    the one the role calls for. Users without a profile see nothing (superusers see everything)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=20, choices=Role.choices)
    district = models.ForeignKey(
        "schools.District", on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    state = models.ForeignKey(
        "schools.State", on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    organization = models.ForeignKey(
        "partners.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    title = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(
                name="profile_body_matches_role",
                condition=(
                    Q(
                        role=Role.DISTRICT_STAFF,
                        district__isnull=False,
                        state__isnull=True,
                        organization__isnull=True,
                    )
                    | Q(
                        role=Role.STATE_STAFF,
                        district__isnull=True,
                        state__isnull=False,
                        organization__isnull=True,
                    )
                    | Q(
                        role__in=[Role.PARTNER_PROGRAM, Role.PARTNER_FIELD],
                        district__isnull=True,
                        state__isnull=True,
                        organization__isnull=False,
                    )
                ),
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    @property
    def body(self):
        return self.district or self.state or self.organization


class TokenScope(models.TextChoices):
    """What a token may do. A read-only token reads what its user may read and writes nothing."""

    READ_WRITE = "read_write", "Read and write"
    READ_ONLY = "read_only", "Read only"


class ApiToken(AbstractAuthToken):
    """A user's API token for one client system (a district data system, a state dashboard, a
    partner's tool). Only a digest is stored: the token itself is shown once, when it is created.
    Users create and revoke their own on the profile page. A user's tokens are deleted when their
    password changes or their account is deactivated (turnaround/tokens.py)."""

    name = models.CharField(max_length=100, help_text="What the token is for, e.g. the client system.")
    scope = models.CharField(
        max_length=10,
        choices=TokenScope.choices,
        default=TokenScope.READ_WRITE,
        help_text="Read only: the API answers 403 to any write made with this token.",
    )

    @property
    def read_only(self):
        return self.scope == TokenScope.READ_ONLY

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.token_key}…)"
