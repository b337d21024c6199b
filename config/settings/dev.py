"""Local development: `make run`. Safe defaults so a fresh clone starts with no configuration."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-not-secret")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

from .base import *  # noqa: E402,F403

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Serve static files straight from the source folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Runserver serves each request on a new thread, and a persistent connection belongs to its
# thread: kept ones are never reused and pile up until PostgreSQL refuses clients. Keep none.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
