"""The security log (turnaround.models.SecurityEvent): what is recorded and when.

Every entry comes from a signal, so that every path is covered: the login page and the admin's
(django.contrib.auth's user_logged_in, user_login_failed, user_logged_out; the API's token
endpoint authenticates through the same backends), API tokens issued and revoked by any path (the
profile page, the API, the admin, a password change or a deactivation that revokes them, a user
deleted: post_save and post_delete of the token model), password changes, role changes (the
profile) and access changes (active, staff, superuser).

The client's address is the request's REMOTE_ADDR as the web server gives it, never a header the
client sends (X-Forwarded-For): behind a proxy it is the deployment's job to set REMOTE_ADDR from
the proxy's header (docs/operations.md, "Security"). Retention: `SECURITY_LOG_RETENTION_DAYS`
(default 730), applied nightly by the task below or by `manage.py prune_security_log`."""

import ipaddress
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .models import ApiToken, SecurityEvent, SecurityEventKind, UserProfile

# The user fields whose change is an access change (deactivation, staff, superuser).
ACCESS_FIELDS = ("is_active", "is_staff", "is_superuser")
PROFILE_FIELDS = ("role", "district_id", "state_id", "organization_id")
DEFAULT_RETENTION_DAYS = 730


def retention_days():
    return int(getattr(settings, "SECURITY_LOG_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def client_address(request):
    """The address the web server gave (REMOTE_ADDR), or None: never X-Forwarded-For."""
    if request is None:
        return None
    value = (getattr(request, "META", None) or {}).get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def current_request():
    """The request being served in this thread, if any (django-simple-history's middleware keeps it)."""
    return getattr(HistoricalRecords.context, "request", None)


def _actor(request, subject_pk):
    """Who acted, when it is not the user concerned (an administrator, another user)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.pk == subject_pk:
        return ""
    return user.get_username()


def record(kind, *, user=None, username="", request=None, detail=""):
    """Append one entry to the security log."""
    request = request if request is not None else current_request()
    if user is not None:
        username = user.get_username()
    return SecurityEvent.objects.create(
        at=timezone.now(),
        kind=kind,
        username=(username or "")[:150],
        user_pk=getattr(user, "pk", None),
        actor=_actor(request, getattr(user, "pk", None))[:150],
        address=client_address(request),
        detail=(detail or "")[:500],
    )


def prune(now=None):
    """Apply the retention rule: remove the entries older than the retention period."""
    now = now or timezone.now()
    return SecurityEvent.objects.prune(now - timedelta(days=retention_days()))


# Sign-in and sign-out ------------------------------------------------------------------------------
def on_login(sender, request, user, **kwargs):
    record(SecurityEventKind.LOGIN, user=user, request=request)


def on_login_failed(sender, credentials, request=None, **kwargs):
    # `credentials` comes with the password already masked by django.contrib.auth.
    username = credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or ""
    record(SecurityEventKind.LOGIN_FAILED, username=str(username), request=request)


def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record(SecurityEventKind.LOGOUT, user=user, request=request)


# API tokens ------------------------------------------------------------------------------------
def _token_detail(token):
    label = f"{token.name} ({token.token_key}…)"
    return f"{label}, expires {timezone.localtime(token.expiry):%Y-%m-%d %H:%M %Z}" if token.expiry else label


def on_token_saved(sender, instance, created, **kwargs):
    if created:
        record(SecurityEventKind.TOKEN_ISSUED, user=instance.user, detail=_token_detail(instance))


def on_token_deleted(sender, instance, **kwargs):
    expired = instance.expiry is not None and instance.expiry <= timezone.now()
    kind = SecurityEventKind.TOKEN_EXPIRED if expired else SecurityEventKind.TOKEN_REVOKED
    # The user may be being deleted too (a cascade): name them by the id the token holds.
    user = get_user_model()._base_manager.filter(pk=instance.user_id).first()
    if user is None:
        record(kind, username=f"user #{instance.user_id}", detail=_token_detail(instance))
    else:
        record(kind, user=user, detail=_token_detail(instance))


# Passwords and access ------------------------------------------------------------------------------
def _before_user_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._security_before = None
    if raw or instance.pk is None:
        return
    watched = {"password", *ACCESS_FIELDS}
    if update_fields is not None and not watched & set(update_fields):
        return  # e.g. last_login at each sign-in
    instance._security_before = (
        sender._base_manager.filter(pk=instance.pk).values("password", *ACCESS_FIELDS).first()
    )


def _after_user_saved(sender, instance, created, raw=False, **kwargs):
    before = getattr(instance, "_security_before", None)
    instance._security_before = None
    if raw or created or before is None:
        return
    # set_password() leaves the new password in `_password` until the save is done; a hash
    # upgraded at sign-in (same password, stronger hasher) does not, and is not a change.
    if before["password"] != instance.password and (
        getattr(instance, "_password", None) is not None or not instance.has_usable_password()
    ):
        detail = "" if instance.has_usable_password() else "password disabled"
        record(SecurityEventKind.PASSWORD_CHANGED, user=instance, detail=detail)
    yes_no = {True: "yes", False: "no"}
    changes = [
        f"{field.removeprefix('is_')}: {yes_no[bool(before[field])]} → "
        f"{yes_no[bool(getattr(instance, field))]}"
        for field in ACCESS_FIELDS
        if before[field] != getattr(instance, field)
    ]
    if changes:
        record(SecurityEventKind.ACCESS_CHANGED, user=instance, detail="; ".join(changes))


# Roles -----------------------------------------------------------------------------------------
def _describe_profile(values):
    if not values:
        return "no role"
    from partners.models import Organization
    from schools.models import District, State

    role = dict(UserProfile._meta.get_field("role").choices).get(values["role"], values["role"])
    body = None
    for field, model in (("district_id", District), ("state_id", State), ("organization_id", Organization)):
        if values.get(field):
            body = model._base_manager.filter(pk=values[field]).first() or f"#{values[field]}"
    return f"{role} of {body}" if body else role


def _before_profile_saved(sender, instance, raw=False, **kwargs):
    instance._security_before = None
    if raw or instance.pk is None:
        return
    instance._security_before = sender._base_manager.filter(pk=instance.pk).values(*PROFILE_FIELDS).first()


def _after_profile_saved(sender, instance, created, raw=False, **kwargs):
    before = getattr(instance, "_security_before", None)
    instance._security_before = None
    if raw:
        return
    after = {field: getattr(instance, field) for field in PROFILE_FIELDS}
    if before == after:
        return
    record(
        SecurityEventKind.ROLE_CHANGED,
        user=instance.user,
        detail=f"{_describe_profile(before)} → {_describe_profile(after)}",
    )


def _after_profile_deleted(sender, instance, **kwargs):
    before = {field: getattr(instance, field) for field in PROFILE_FIELDS}
    user = get_user_model()._base_manager.filter(pk=instance.user_id).first()
    detail = f"{_describe_profile(before)} → no role"
    if user is None:
        record(SecurityEventKind.ROLE_CHANGED, username=f"user #{instance.user_id}", detail=detail)
    else:
        record(SecurityEventKind.ROLE_CHANGED, user=user, detail=detail)


def connect():
    """Called once, from the app's ready()."""
    user_model = get_user_model()
    user_logged_in.connect(on_login, dispatch_uid="security_log_login")
    user_login_failed.connect(on_login_failed, dispatch_uid="security_log_login_failed")
    user_logged_out.connect(on_logout, dispatch_uid="security_log_logout")
    post_save.connect(on_token_saved, sender=ApiToken, dispatch_uid="security_log_token_saved")
    post_delete.connect(on_token_deleted, sender=ApiToken, dispatch_uid="security_log_token_deleted")
    pre_save.connect(_before_user_saved, sender=user_model, dispatch_uid="security_log_user_before")
    post_save.connect(_after_user_saved, sender=user_model, dispatch_uid="security_log_user_after")
    pre_save.connect(_before_profile_saved, sender=UserProfile, dispatch_uid="security_log_profile_before")
    post_save.connect(_after_profile_saved, sender=UserProfile, dispatch_uid="security_log_profile_after")
    post_delete.connect(
        _after_profile_deleted, sender=UserProfile, dispatch_uid="security_log_profile_deleted"
    )
