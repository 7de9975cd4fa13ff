"""API tokens: issued to a user for one client system, revoked by that user. The profile page and
POST /api/v1/auth/token/ both go through these functions."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import ApiToken

# How long a token may live, as offered on the profile page (days).
LIFETIME_CHOICES = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year")]
MAX_ACTIVE_TOKENS = settings.REST_KNOX["TOKEN_LIMIT_PER_USER"]


def active_tokens(user):
    """The user's tokens that have not expired, newest first."""
    return ApiToken.objects.filter(user=user, expiry__gt=timezone.now())


@transaction.atomic
def issue_token(user, name, lifetime=None):
    """(ApiToken, the token string). The string is never stored and cannot be shown again.

    `lifetime` is a timedelta (default: the configured TOKEN_TTL). Expired tokens of the user are
    deleted; a user holds at most MAX_ACTIVE_TOKENS."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Say what the token is for, e.g. the system that will use it."})
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
    return ApiToken.objects.create(user=user, expiry=lifetime, name=name[:100])


def revoke_token(user, token_key):
    """Delete the user's token(s) with this key (the first characters shown on the profile page).
    Returns how many were revoked; another user's token is never touched."""
    with transaction.atomic():
        deleted, _ = ApiToken.objects.filter(user=user, token_key=token_key).delete()
    return deleted
