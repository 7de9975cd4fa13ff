"""Who a user is in the portal: a role in a district, a state or an organization."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from knox.models import AbstractAuthToken
from simple_history.models import HistoricalRecords


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

    history = HistoricalRecords()

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


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOGOUT = "logout", "Signed out"
    TOKEN_ISSUED = "token_issued", "API token issued"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    TOKEN_EXPIRED = "token_expired", "Expired API token removed"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    ROLE_CHANGED = "role_changed", "Role changed"
    ACCESS_CHANGED = "access_changed", "Account access changed"


class AppendOnlyError(Exception):
    """The security log is never edited and never deleted from, except by its retention rule."""


class SecurityEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The security log cannot be edited.")

    def delete(self):
        raise AppendOnlyError("The security log cannot be deleted from; see prune_security_log.")

    def prune(self, before):
        """Remove the events older than `before` (the retention rule, turnaround.security). Returns
        how many went."""
        deleted, _ = models.QuerySet.delete(self.filter(at__lt=before))
        return deleted


class SecurityEvent(models.Model):
    """One entry of the security log: sign-ins (and failed ones), sign-outs, API tokens issued and
    revoked, password changes, role and access changes. Written by signal receivers
    (turnaround.security), read by administrators in the admin; never edited. Users are kept by
    name and id, not by a foreign key, so that an entry outlives the account and nothing ever
    rewrites it."""

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=20, choices=SecurityEventKind.choices, db_index=True)
    username = models.CharField(
        max_length=150,
        blank=True,
        db_index=True,
        help_text="The account concerned (as typed, for a failure).",
    )
    user_pk = models.BigIntegerField("user id", null=True, blank=True)
    actor = models.CharField(
        max_length=150, blank=True, help_text="Who did it, where someone else did (an administrator)."
    )
    address = models.GenericIPAddressField(
        null=True, blank=True, help_text="The client's address as the web server saw it (REMOTE_ADDR)."
    )
    detail = models.CharField(max_length=500, blank=True)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "security log entry"
        verbose_name_plural = "security log"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()}: {self.username or '—'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The security log cannot be edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The security log cannot be deleted from.")
