"""A user's API tokens do not outlive their password or their account: a password change (by the
user, by an administrator, by any code that sets it) and a deactivation revoke them all. The hash
upgrade Django makes at login is not a password change."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db.models.signals import post_delete
from rest_framework.test import APIClient

from tests.factories import DistrictFactory, UserFactory, user_with_role
from turnaround.models import ApiToken, Role
from turnaround.tokens import issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana():
    return user_with_role(Role.DISTRICT_STAFF, DistrictFactory(), username="dana")


def works(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client.get("/api/v1/contracts/").status_code == 200


def tokens_of(user, n=2):
    return [issue_token(user, f"system {i}")[1] for i in range(n)]


def test_changing_the_password_on_the_password_change_page_revokes_the_tokens(dana, client):
    other = user_with_role(Role.DISTRICT_STAFF, DistrictFactory(), username="other")
    raws, others = tokens_of(dana), tokens_of(other, 1)
    assert all(works(raw) for raw in raws)
    client.force_login(dana)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": "test-password",
            "new_password1": "a-Brand-new-pass-42",
            "new_password2": "a-Brand-new-pass-42",
        },
    )
    assert response.status_code == 302, response.content
    assert not ApiToken.objects.filter(user=dana).exists()
    assert not any(works(raw) for raw in raws)
    assert works(others[0])  # nobody else's


def test_set_password_and_a_directly_written_hash_revoke_the_tokens(dana):
    raws = tokens_of(dana)
    dana.set_password("another-password-1")
    dana.save()
    assert not any(works(raw) for raw in raws)
    raws = tokens_of(dana)
    dana.password = make_password("yet-another-password-2")
    dana.save()
    assert not any(works(raw) for raw in raws)
    raws = tokens_of(dana)
    dana.set_unusable_password()
    dana.save(update_fields=["password"])
    assert not any(works(raw) for raw in raws)


def test_an_administrator_setting_the_password_in_the_admin_revokes_the_tokens(dana, client):
    raws = tokens_of(dana)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.post(
        f"/admin/auth/user/{dana.pk}/password/",
        {"password1": "set-by-the-admin-77", "password2": "set-by-the-admin-77", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert not any(works(raw) for raw in raws)


def test_deactivating_the_user_revokes_the_tokens(dana):
    raws = tokens_of(dana)
    dana.is_active = False
    dana.save(update_fields=["is_active"])
    assert not ApiToken.objects.filter(user=dana).exists()
    dana.is_active = True  # reactivating does not bring them back
    dana.save()
    assert not any(works(raw) for raw in raws)


def test_deactivating_the_user_in_the_admin_revokes_the_tokens(dana, client):
    raws = tokens_of(dana)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = client.get(f"/admin/auth/user/{dana.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "is_active": "",
            "groups": [],
            "user_permissions": [],
            "date_joined_0": dana.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": dana.date_joined.strftime("%H:%M:%S"),
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-id": dana.profile.pk,
            "profile-0-user": dana.pk,
            "profile-0-role": dana.profile.role,
            "profile-0-district": dana.profile.district_id,
        }
    )
    data.pop("last_login", None)
    data.pop("is_active")
    response = client.post(f"/admin/auth/user/{dana.pk}/change/", data)
    assert response.status_code == 302, page.context and response.context["adminform"].form.errors
    dana.refresh_from_db()
    assert not dana.is_active
    assert not any(works(raw) for raw in raws)


def test_each_revoked_token_goes_through_a_model_delete(dana):
    """Other parts (the security log) see each revocation through the model's delete signal."""
    raws = tokens_of(dana, 3)
    seen = []

    def record(sender, instance, **kwargs):
        seen.append(instance.token_key)

    post_delete.connect(record, sender=ApiToken)
    try:
        dana.set_password("changed-password-9")
        dana.save()
    finally:
        post_delete.disconnect(record, sender=ApiToken)
    assert sorted(seen) == sorted(raw[:15] for raw in raws)


def test_a_login_and_the_hash_upgrade_at_login_keep_the_tokens(dana, settings, client):
    """Django rehashes a password stored with an older hasher when its user logs in: the same
    password, so the tokens stay; so does the last_login update."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    get_user_model().objects.filter(pk=dana.pk).update(password=make_password("old-hash-pw", hasher="md5"))
    raws = tokens_of(dana)
    response = client.post("/accounts/login/", {"username": "dana", "password": "old-hash-pw"})
    assert response.status_code == 302
    dana.refresh_from_db()
    assert dana.password.startswith("pbkdf2_sha256$")  # upgraded
    assert all(works(raw) for raw in raws)
