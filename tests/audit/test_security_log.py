"""The security log: sign-ins (and failures, with the name tried and the address the server saw),
sign-outs, API tokens issued and revoked by every path, password, role and access changes; append-
only, read by administrators in the admin, pruned by its retention rule alone."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import DistrictFactory, OrganizationFactory, StateFactory, UserFactory, user_with_role
from turnaround import security
from turnaround.models import ApiToken, AppendOnlyError, Role, SecurityEvent
from turnaround.tokens import issue_token, revoke_token

PASSWORD = "test-password"
FORWARDED = {"HTTP_X_FORWARDED_FOR": "198.51.100.99"}


def events(kind, after=0):
    return list(SecurityEvent.objects.filter(kind=kind, id__gt=after).order_by("id"))


def last_id():
    """The log's latest entry: a test reads only what came after it (making a user with a role is
    an entry too)."""
    return SecurityEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.fixture
def user(db):
    return user_with_role(Role.DISTRICT_STAFF, DistrictFactory(), username="dana")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


# Sign-in and sign-out ----------------------------------------------------------------------------


def test_a_sign_in_is_logged_with_the_address_the_server_saw_not_the_forwarded_one(client, user):
    response = client.post(
        reverse("login"), {"username": "dana", "password": PASSWORD}, REMOTE_ADDR="192.0.2.10", **FORWARDED
    )
    assert response.status_code == 302
    [event] = events("login")
    assert (event.username, event.user_pk, event.address, event.actor) == ("dana", user.pk, "192.0.2.10", "")


def test_a_failed_sign_in_is_logged_with_the_name_tried_and_no_password(client, user):
    response = client.post(
        reverse("login"), {"username": "dana", "password": "guess-1"}, REMOTE_ADDR="192.0.2.11", **FORWARDED
    )
    assert response.status_code == 200
    client.post(reverse("login"), {"username": "nosuchuser", "password": "guess-2"}, REMOTE_ADDR="192.0.2.11")
    failures = events("login_failed")
    assert [(e.username, e.address) for e in failures] == [
        ("dana", "192.0.2.11"),
        ("nosuchuser", "192.0.2.11"),
    ]
    assert failures[0].user_pk is None
    assert not SecurityEvent.objects.filter(detail__contains="guess").exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_api_token_request_stays_in_the_log_though_the_request_is_refused():
    # As in production, no transaction around the test: the request's own is what is tried.
    user_with_role(Role.DISTRICT_STAFF, DistrictFactory(), username="dana")
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "dana", "password": "wrong"},
        format="json",
        REMOTE_ADDR="192.0.2.12",
    )
    assert response.status_code == 400
    [event] = events("login_failed")
    assert (event.username, event.address) == ("dana", "192.0.2.12")


def test_a_sign_out_is_logged(client, user):
    client.force_login(user)
    client.post(reverse("logout"), REMOTE_ADDR="192.0.2.13")
    [event] = events("logout")
    assert (event.username, event.address) == ("dana", "192.0.2.13")


def test_an_address_that_is_not_an_address_is_left_empty(client, user):
    client.post(
        reverse("login"), {"username": "dana", "password": "x"}, REMOTE_ADDR="unix:/run/gunicorn.sock"
    )
    assert events("login_failed")[0].address is None


# API tokens ------------------------------------------------------------------------------------------


def test_a_token_issued_through_the_api_is_logged_with_the_callers_address(user):
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "dana", "password": PASSWORD, "name": "District data system"},
        format="json",
        REMOTE_ADDR="192.0.2.20",
        **FORWARDED,
    )
    assert response.status_code == 201
    [event] = events("token_issued")
    token = ApiToken.objects.get(user=user)
    assert (event.username, event.address) == ("dana", "192.0.2.20")
    assert event.detail.startswith(f"District data system ({token.token_key}…)")


def test_a_token_issued_and_revoked_on_the_profile_page_is_logged(client, user):
    client.force_login(user)
    client.post(
        reverse("token_create"),
        {"name": "Dashboard", "lifetime_days": 30, "scope": "read_only"},
        REMOTE_ADDR="192.0.2.21",
    )
    token = ApiToken.objects.get(user=user)
    client.post(reverse("token_revoke", args=[token.token_key]), REMOTE_ADDR="192.0.2.21")
    assert not ApiToken.objects.filter(user=user).exists()
    [issued], [revoked] = events("token_issued"), events("token_revoked")
    assert issued.detail.startswith("Dashboard (") and revoked.detail.startswith("Dashboard (")
    assert (revoked.username, revoked.address, revoked.actor) == ("dana", "192.0.2.21", "")


def test_a_token_revoked_by_an_administrator_names_the_administrator(client, user, admin_user):
    token, _ = issue_token(user, "Partner tool")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:turnaround_apitoken_delete", args=[token.pk]),
        {"post": "yes"},
        REMOTE_ADDR="192.0.2.22",
    )
    assert response.status_code == 302
    [revoked] = events("token_revoked")
    assert (revoked.username, revoked.actor, revoked.address) == ("dana", "root", "192.0.2.22")


def test_tokens_removed_with_their_user_or_on_expiry_are_logged(user, portal_clock):
    token, _ = issue_token(user, "Short-lived", lifetime=timedelta(days=7))
    portal_clock.shift(timedelta(days=8))
    issue_token(user, "Next one")  # removes the user's expired tokens first
    [expired] = events("token_expired")
    assert expired.detail.startswith(f"Short-lived ({token.token_key}…)")
    issue_token(user, "Last one")
    pk = user.pk
    user.delete()
    revoked = events("token_revoked")
    assert len(revoked) == 2 and {e.user_pk for e in revoked} == {pk}


def test_revoking_through_the_token_service_is_logged(user):
    token, _ = issue_token(user, "Spreadsheet")
    assert revoke_token(user, token.token_key) == 1
    assert [e.username for e in events("token_revoked")] == ["dana"]


# Passwords, roles, access -----------------------------------------------------------------------


def test_a_password_change_is_logged(client, user):
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-Much-longer-pass-42",
            "new_password2": "a-Much-longer-pass-42",
        },
        REMOTE_ADDR="192.0.2.30",
    )
    assert response.status_code == 302
    [event] = events("password_changed")
    assert (event.username, event.address) == ("dana", "192.0.2.30")


def test_a_password_reset_by_an_administrator_names_them_and_a_disabled_one_says_so(
    user, admin_user, acting_as
):
    with acting_as(admin_user):
        user.set_password("another-Long-pass-77")
        user.save()
        user.set_unusable_password()
        user.save()
    first, second = events("password_changed")
    assert (first.actor, first.detail) == ("root", "")
    assert second.detail == "password disabled"


def test_a_hash_upgraded_at_sign_in_is_not_a_password_change(client, user, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    client.post(reverse("login"), {"username": "dana", "password": PASSWORD})
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_")  # upgraded
    assert events("password_changed") == []
    assert len(events("login")) == 1


def test_a_role_change_is_logged_from_and_to_with_who_made_it(user, admin_user, acting_as):
    state = StateFactory(name="Ohio", code="OH")
    profile = user.profile
    district = profile.district
    mark = last_id()
    with acting_as(admin_user, address="192.0.2.40"):
        profile.role, profile.district, profile.state = Role.STATE_STAFF, None, state
        profile.save()
    [event] = events("role_changed", after=mark)
    assert (
        event.detail
        == f"District turnaround office staff of {district} → State education agency staff of Ohio"
    )
    assert (event.username, event.actor, event.address) == ("dana", "root", "192.0.2.40")


def test_a_new_role_and_a_removed_role_are_logged(db):
    partner = OrganizationFactory(name="Pioneer")
    user = user_with_role(Role.PARTNER_FIELD, partner, username="fran")
    user.profile.delete()
    first, second = events("role_changed")
    assert first.detail == "no role → Lead Partner field staff of Pioneer"
    assert second.detail == "Lead Partner field staff of Pioneer → no role"


def test_saving_a_profile_without_a_role_change_logs_nothing(user):
    mark = last_id()
    user.profile.title = "Data lead"
    user.profile.save()
    assert events("role_changed", after=mark) == []


def test_deactivating_and_promoting_an_account_is_logged(user, admin_user, acting_as):
    with acting_as(admin_user):
        user.is_active = False
        user.save()
        user.is_active, user.is_staff = True, True
        user.save()
    first, second = events("access_changed")
    assert (first.detail, first.actor) == ("active: yes → no", "root")
    assert second.detail == "active: no → yes; staff: no → yes"


def test_a_sign_in_that_only_updates_last_login_logs_no_access_change(client, user):
    client.post(reverse("login"), {"username": "dana", "password": PASSWORD})
    assert events("access_changed") == [] and events("password_changed") == []


# Append-only, read by administrators, retention -------------------------------------------------------


def test_the_log_cannot_be_edited_or_deleted_from(user):
    event = security.record("login", user=user)
    event.detail = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.filter(pk=event.pk).update(detail="tampered")
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.all().delete()
    assert SecurityEvent.objects.get(pk=event.pk).detail == ""


def test_administrators_read_the_log_in_the_admin_and_cannot_change_it(client, user, admin_user):
    event = security.record("login", user=user)
    client.force_login(admin_user)
    listing = client.get(reverse("admin:turnaround_securityevent_changelist"))
    assert listing.status_code == 200 and b"dana" in listing.content
    assert client.get(reverse("admin:turnaround_securityevent_change", args=[event.pk])).status_code == 200
    assert (
        client.post(
            reverse("admin:turnaround_securityevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:turnaround_securityevent_add")).status_code == 403
    assert SecurityEvent.objects.filter(pk=event.pk).exists()


def test_staff_who_are_not_superusers_do_not_read_the_log(client, db):
    staff = UserFactory(username="clerk", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename="view_securityevent"))
    client.force_login(staff)
    assert client.get(reverse("admin:turnaround_securityevent_changelist")).status_code == 403


def test_the_retention_rule_removes_old_entries_only(user, settings):
    settings.SECURITY_LOG_RETENTION_DAYS = 30
    security.record("login", user=user)
    SecurityEvent.objects.create(at=timezone.now() - timedelta(days=31), kind="logout", username="dana")
    assert security.prune() == 1
    assert not SecurityEvent.objects.filter(kind="logout").exists()
    assert SecurityEvent.objects.filter(kind="login").exists()


def test_a_user_deleted_keeps_their_entries(user):
    security.record("login", user=user)
    get_user_model().objects.filter(pk=user.pk).delete()
    assert SecurityEvent.objects.get(kind="login").username == "dana"
