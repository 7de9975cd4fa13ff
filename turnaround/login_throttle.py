"""Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failed sign-ins for one username from
one client address, that username is locked from that address for LOGIN_LOCKOUT_MINUTES, on the
login page, the admin's and POST /api/v1/auth/token/ alike. Locking the pair, not the username
alone, keeps an attacker from locking a colleague out, and not the address alone, keeps one
office behind one NAT address from being locked out by one person. An administrator unlocks early
by deleting the attempt in the Django admin (Axes, Access attempts)."""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from rest_framework.settings import api_settings


def client_address(request):
    """The client's address, by the rule of the API's throttles (REST_FRAMEWORK NUM_PROXIES): the
    connection's address with no proxy in front; behind N proxies, the address the first of them
    appended to X-Forwarded-For, N entries from the right. What the client itself wrote into the
    header never counts."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = api_settings.NUM_PROXIES or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
    if not proxies or not addresses:
        return remote
    return addresses[-min(proxies, len(addresses))]


def lockout_message():
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (
        "Too many failed sign-ins with this username from your address: signing in is locked for "
        f"{minutes} minutes. Try again later, or ask a portal administrator to unlock it."
    )


def locked_out(request, original_response=None, credentials=None):
    """The login page again (status 429), with the lock-out message in place of the form's errors."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "locked_out": lockout_message(),
    }
    return render(request, "registration/login.html", context, status=429)
