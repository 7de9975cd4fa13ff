"""The production settings (DEBUG off), loaded as a deployment loads them: in a fresh interpreter,
from the environment alone. The test suite itself runs on turnaround.settings_test (plain HTTP)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
A_KEY = "a-production-secret-key-" + "x7Rk2pQ9vL4mN8sT1wZ6yB3cF5hJ0dG" * 2

# Variables of the developer's shell or CI that would change what is tested here. Set empty rather
# than removed, so that a .env file beside manage.py cannot fill them in either.
NEUTRAL = {
    "DJANGO_SETTINGS_MODULE": "turnaround.settings",
    "DEBUG": "false",
    "SECRET_KEY": "",
    "ALLOWED_HOSTS": "portal.example.org,testserver",
    "DATABASE_URL": "sqlite:///:memory:",
    "CELERY_BROKER_URL": "",
    "REDIS_CACHE_URL": "",
}
PROXY_VARIABLES = ("SECURE_PROXY_SSL_HEADER", "NUM_PROXIES", "SECURE_HSTS_SECONDS")
# Set by the browser tests' conftest for the whole test process (Playwright's event loop); a
# deployment never sets it, and `check --deploy` rightly refuses it.
TEST_ONLY_VARIABLES = ("DJANGO_ALLOW_ASYNC_UNSAFE",)


def run(args, **env):
    base = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES + TEST_ONLY_VARIABLES}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **NEUTRAL, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def loaded_settings(**env):
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "names = ['DEBUG', 'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER', 'SECURE_HSTS_SECONDS', "
        "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'SESSION_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_HTTPONLY', 'SECURE_REFERRER_POLICY', "
        "'SECURE_CROSS_ORIGIN_OPENER_POLICY', 'X_FRAME_OPTIONS']; "
        "out = {n: getattr(s, n) for n in names}; out['NUM_PROXIES'] = s.REST_FRAMEWORK['NUM_PROXIES']; "
        "print(json.dumps(out))"
    )
    result = run(["-c", script], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("command", [["manage.py", "check"], ["-c", "import django; django.setup()"]])
def test_production_refuses_to_start_without_a_secret_key(command):
    result = run(command)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr
    assert "set the SECRET_KEY environment variable" in result.stderr


def test_production_refuses_the_published_development_key():
    result = run(["manage.py", "check"], SECRET_KEY="insecure-development-key-set-SECRET_KEY-in-production")
    assert result.returncode != 0
    assert "SECRET_KEY is the published development key" in result.stderr


def test_check_deploy_passes_without_a_warning():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], SECRET_KEY=A_KEY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_values():
    assert loaded_settings(SECRET_KEY=A_KEY) == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "NUM_PROXIES": 0,
    }


def test_the_proxy_header_and_the_number_of_proxies_are_configurable():
    loaded = loaded_settings(SECRET_KEY=A_KEY, SECURE_PROXY_SSL_HEADER="X-Forwarded-Scheme", NUM_PROXIES="2")
    assert loaded["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SCHEME", "https"]
    assert loaded["NUM_PROXIES"] == 2
    assert loaded_settings(SECRET_KEY=A_KEY, SECURE_PROXY_SSL_HEADER="")["SECURE_PROXY_SSL_HEADER"] is None


def test_development_runs_without_a_key_and_on_plain_http():
    loaded = loaded_settings(DEBUG="true")
    assert loaded["DEBUG"] is True
    assert loaded["SECURE_SSL_REDIRECT"] is False
    assert loaded["SESSION_COOKIE_SECURE"] is False
    assert loaded["SECURE_HSTS_SECONDS"] == 0


def test_production_responses_redirect_http_and_send_the_security_headers():
    """Requests as the TLS proxy forwards them: plain HTTP is redirected to HTTPS; over HTTPS the
    login page comes with HSTS and cookies marked Secure and HttpOnly."""
    script = """
import json, django
django.setup()
from django.test import Client
client = Client()
plain = client.get("/accounts/login/")
proxied = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
cookie = proxied.cookies["csrftoken"]
print(json.dumps({
    "plain": [plain.status_code, plain.headers.get("Location")],
    "proxied": proxied.status_code,
    "hsts": proxied.headers.get("Strict-Transport-Security"),
    "referrer": proxied.headers.get("Referrer-Policy"),
    "coop": proxied.headers.get("Cross-Origin-Opener-Policy"),
    "frames": proxied.headers.get("X-Frame-Options"),
    "nosniff": proxied.headers.get("X-Content-Type-Options"),
    "cookie": [bool(cookie["secure"]), bool(cookie["httponly"])],
}))
"""
    result = run(["-c", script], SECRET_KEY=A_KEY)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {
        "plain": [301, "https://testserver/accounts/login/"],
        "proxied": 200,
        "hsts": "max-age=31536000; includeSubDomains; preload",
        "referrer": "same-origin",
        "coop": "same-origin",
        "frames": "DENY",
        "nosniff": "nosniff",
        "cookie": [True, True],
    }
