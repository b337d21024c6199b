"""The production settings, with static files served from the source folders (no collectstatic):
what the scale-out test runs its web processes and workers with."""

from config.settings.production import *  # noqa: F403

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_USE_FINDERS = True
