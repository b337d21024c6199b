"""The test suite: a real PostgreSQL, fast hashing, mail kept in memory."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")

from .base import *  # noqa: E402,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Serve static files straight from the source folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Kept summaries are computed afresh by the request after a write, so a page shows what a test
# just wrote; tests/core/test_kept_summaries_refresh.py covers the worker's refresh.
KEPT_SUMMARIES_REFRESH = "request"
