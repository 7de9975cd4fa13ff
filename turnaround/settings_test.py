"""The test suite's settings: the production settings (DEBUG is off under pytest, as in
production) less what needs a real deployment around them.

- A secret key of their own, so that the suite runs with nothing set; it is put in the environment
  only while the settings load, so that a subprocess a test starts sees the environment as it was.
- Plain HTTP: the test client and the live server speak HTTP, with no TLS proxy in front, so no
  redirect to HTTPS and cookies that are not marked Secure. tests/deploy/test_production_settings.py
  checks the production settings themselves, in a subprocess.
- Login throttling (django-axes) off: `Client.login()` and `authenticate()` without a request would
  trip it. The lock-out tests turn it on
  (tests/accounts/test_login_throttling.py).
"""

import os

_had_secret_key = "SECRET_KEY" in os.environ
os.environ.setdefault("SECRET_KEY", "test-suite-only-secret-key-never-used-outside-the-tests-0123456789")
try:
    from turnaround.settings import *  # noqa: F403
finally:
    if not _had_secret_key:
        del os.environ["SECRET_KEY"]

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Turned on by the tests of login throttling (tests/accounts/test_login_throttling.py).
AXES_ENABLED = False
