"""API tokens: issued to a user for one client system, revoked by that user. The profile page and
POST /api/v1/auth/token/ both go through these functions.

A token is read and write, or read only (`TokenScope`; turnaround/api/authentication.py refuses a
read-only token's writes). All of a user's tokens are revoked when their password changes or their
account is deactivated, however that happens (the receivers below, connected in apps.py): a token
must not outlive the credentials or the account it was bought with. Tokens are always deleted
through the ORM, so that delete signals fire for each."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from .models import ApiToken, TokenScope

# How long a token may live, as offered on the profile page (days).
LIFETIME_CHOICES = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year")]
MAX_ACTIVE_TOKENS = settings.REST_KNOX["TOKEN_LIMIT_PER_USER"]


def active_tokens(user):
    """The user's tokens that have not expired, newest first."""
    return ApiToken.objects.filter(user=user, expiry__gt=timezone.now())


@transaction.atomic
def issue_token(user, name, lifetime=None, scope=TokenScope.READ_WRITE):
    """(ApiToken, the token string). The string is never stored and cannot be shown again.

    `lifetime` is a timedelta (default: the configured TOKEN_TTL); `scope` a TokenScope. Expired
    tokens of the user are deleted; a user holds at most MAX_ACTIVE_TOKENS."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Say what the token is for, e.g. the system that will use it."})
    if scope not in TokenScope.values:
        raise ValidationError(
            {"scope": f"A token's scope is one of: {', '.join(TokenScope.values)} (read only: no writes)."}
        )
    lifetime = lifetime or settings.REST_KNOX["TOKEN_TTL"]
    if not timedelta(0) < lifetime <= timedelta(days=max(days for days, _ in LIFETIME_CHOICES)):
        raise ValidationError({"lifetime": "A token lives at most a year."})
    # Lock the user's row: two requests at once cannot both slip under the limit.
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    ApiToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    if active_tokens(user).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            {"name": f"You already have {MAX_ACTIVE_TOKENS} tokens; revoke one you no longer use first."}
        )
    return ApiToken.objects.create(user=user, expiry=lifetime, name=name[:100], scope=scope)


def revoke_token(user, token_key):
    """Delete the user's token(s) with this key (the first characters shown on the profile page).
    Returns how many were revoked; another user's token is never touched."""
    with transaction.atomic():
        deleted, _ = ApiToken.objects.filter(user=user, token_key=token_key).delete()
    return deleted


def revoke_all_tokens(user):
    """Delete every token of the user (one ORM delete per token's signals). Returns how many."""
    with transaction.atomic():
        deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


# Why a user's tokens go: set on the instance before its save, acted on after it.
_REVOKE_REASON = "_api_tokens_revoke_reason"


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="turnaround.tokens.note")
def note_credentials_change(sender, instance, raw=False, update_fields=None, **kwargs):
    """Before a user is saved: is their password changing, or their account being deactivated?

    A new password (set_password, set_unusable_password, a hash written directly) counts; the hash
    upgrade Django makes at login (same password, saved with update_fields=["password"] and no new
    password in hand) does not."""
    setattr(instance, _REVOKE_REASON, None)
    if raw or instance.pk is None:
        return
    fields = set(update_fields) if update_fields is not None else None
    if fields is not None and not fields & {"password", "is_active"}:
        return  # e.g. last_login at each login: no extra query
    before = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["is_active"] and not instance.is_active:
        setattr(instance, _REVOKE_REASON, "deactivated")
    elif before["password"] != instance.password:
        rehash = fields == {"password"} and instance._password is None and instance.has_usable_password()
        if not rehash:
            setattr(instance, _REVOKE_REASON, "password changed")


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="turnaround.tokens.revoke")
def revoke_on_credentials_change(sender, instance, created=False, raw=False, **kwargs):
    if getattr(instance, _REVOKE_REASON, None):
        setattr(instance, _REVOKE_REASON, None)
        revoke_all_tokens(instance)
