"""Settings shared by every environment. Everything that differs comes from the environment."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_choice,
    env_dates,
    env_int,
    env_list,
    env_networks,
    env_pairs,
    env_rate,
    env_str,
    env_time_zone,
    env_weekdays,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "procrastinate.contrib.django",
    "django_prometheus",
    "rest_framework",
    "drf_spectacular",
    "core",
    "outbox",
    "notifications",
    "incidents",
    "postmortems",
    "actions",
    "learning",
    "teams",
    "imports",
    "alerting",
    "api",
    "webhooks",
    "demo",
]

MIDDLEWARE = [
    # Operations: request metrics (first and last, to time the whole stack) and request ids.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "core.middleware.UserTimezoneMiddleware",
    "core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The menu bar's counts (unread notifications, reviews waiting, my overdue items): one query.
                "actions.context_processors.navigation_counts",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/hindsight"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# The typo tolerance of title search (core.search.TITLE_SIMILARITY), set per connection so the
# trigram index can serve it.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    "-c pg_trgm.word_similarity_threshold=0.4"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (django-axes): five failed sign-ins for one username from one address lock
# that pair out for 15 minutes; a successful sign-in clears the count. The sign-in page says so.
# Single sign-on is not throttled by axes (core.sso.is_single_sign_on, the provider throttles
# its own sign-ins); the password backend refuses everything when local passwords are off.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "core.sso.SingleSignOnBackend",
    "core.sso.PasswordBackend",
]
AXES_WHITELIST_CALLABLE = "core.sso.is_single_sign_on"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.views.sign_in_locked_out"
AXES_VERBOSE = False  # no banner on every start-up and command

LOGIN_URL = "login"
# Each role's own page (core.views.home); a `next` in the sign-in link wins.
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Single sign-on (OpenID Connect through mozilla-django-oidc; off by default) -----------
# The provider's endpoints come from its discovery document (https://<issuer>/.well-known/
# openid-configuration); `manage.py oidc_endpoints <issuer>` prints them as these variables.
OIDC_ENABLED = env_bool("OIDC_ENABLED", default=False)
# Shown on the sign-in button: "Sign in with <name>".
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", default="single sign-on")
_oidc = {"default": ""} if not OIDC_ENABLED else {}  # required only when enabled
OIDC_OP_ISSUER = env_str("OIDC_OP_ISSUER", **_oidc)
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT", **_oidc)
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT", **_oidc)
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT", **_oidc)
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT", **_oidc)
# The provider's end_session_endpoint: signing out of Hindsight signs out there too.
OIDC_OP_LOGOUT_ENDPOINT = env_str("OIDC_OP_LOGOUT_ENDPOINT", default="")
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID", **_oidc)
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET", **_oidc)
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", default="openid email profile")
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the sign-out at the provider
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
OIDC_CREATE_USER = True
# Roles from the provider's groups: "sre-leads=Manager,eng=Author,eng=Reviewer". When set, a
# user's roles are replaced at each sign-in by those their groups map to; when empty, roles
# are managed in Hindsight's admin.
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_GROUP_ROLES = env_pairs("OIDC_GROUP_ROLES")
# Teams from the same groups: "payments-eng=payments,sre=platform" (group=team slug). At each
# sign-in a user joins the mapped teams their groups name and leaves the mapped teams they no
# longer do; teams the table does not name are managed in Hindsight's admin.
OIDC_GROUP_TEAMS = env_pairs("OIDC_GROUP_TEAMS")
# Local passwords (the sign-in form, the admin's sign-in). Off needs single sign-on on.
HINDSIGHT_LOCAL_LOGIN = env_bool("HINDSIGHT_LOCAL_LOGIN", default=True)
if not HINDSIGHT_LOCAL_LOGIN and not OIDC_ENABLED:
    raise ImproperlyConfigured("HINDSIGHT_LOCAL_LOGIN=false needs OIDC_ENABLED=true.")

# The site's language: what a visitor whose browser asks for none of LANGUAGES sees, and what
# emails to people who chose no language are written in. Each person can choose their own in
# their settings; otherwise their browser's Accept-Language decides (LocaleMiddleware).
# Each named in itself, so that people find their own in the list whatever the page's language.
LANGUAGES = [("en", "English"), ("fr", "Français")]
LANGUAGE_CODE = env_choice("HINDSIGHT_LANGUAGE", tuple(dict(LANGUAGES)), default="en")
# The translations (locale/fr/LC_MESSAGES/django.po); `make messages` updates them, and make
# compiles them (the .mo files are built, not committed).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Dates and numbers follow the page's language (Django's formats for it: "24 novembre 2026",
# "2,5"); the ISO timestamps that pages show (2026-11-24 14:05) read the same in both.
USE_TZ = True
# The default zone for users who have not chosen one; each user can pick their own.
TIME_ZONE = env_str("HINDSIGHT_TIME_ZONE", default="UTC")
# The Slack workspace whose exports are imported (https://acme.slack.com), for links back to
# each message; the import form offers it and people can change it there.
SLACK_WORKSPACE_URL = env_str("HINDSIGHT_SLACK_WORKSPACE_URL", default="")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
# Seconds a mail server may take to answer; the worker holds a row lock while it talks to it.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="Hindsight <hindsight@localhost>")
# Absolute links in emails and feeds are built from this.
# The name readers know this site by: the public status page and its feed carry it.
SITE_NAME = env_str("HINDSIGHT_SITE_NAME", default="Hindsight")
SITE_URL = env_str("HINDSIGHT_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

PAGE_SIZE = 25

# Action items: the suggested due date for each priority, in weeks from the day it is created.
ACTION_ITEM_DEFAULT_DUE_WEEKS = {
    "P1": env_int("HINDSIGHT_P1_DUE_WEEKS", 4),
    "P2": env_int("HINDSIGHT_P2_DUE_WEEKS", 8),
    "P3": env_int("HINDSIGHT_P3_DUE_WEEKS", 12),
}
# Reminder emails list an owner's overdue items and those due within this many days.
ACTION_REMINDER_DAYS_AHEAD = env_int("HINDSIGHT_REMINDER_DAYS_AHEAD", 7)
# An item this many days overdue (or more) escalates to its owner's team manager(s), or to every
# Manager when the owner has no team manager (actions.services.plan_action_reminders).
ACTION_ESCALATE_AFTER_DAYS = env_int("HINDSIGHT_ESCALATE_AFTER_DAYS", 7)
if ACTION_ESCALATE_AFTER_DAYS < 1:
    raise ImproperlyConfigured("HINDSIGHT_ESCALATE_AFTER_DAYS must be 1 or more.")

# The outbox (outbox/services.py): a failed delivery is retried after a pause that doubles from
# the base up to the cap, until it has been attempted this many times (with the defaults,
# about 20 hours); then it waits for staff to press "Retry now" in the admin.
OUTBOX_MAX_ATTEMPTS = env_int("HINDSIGHT_OUTBOX_MAX_ATTEMPTS", 12)
OUTBOX_RETRY_BASE_SECONDS = env_int("HINDSIGHT_OUTBOX_RETRY_BASE_SECONDS", 60)
OUTBOX_RETRY_MAX_SECONDS = env_int("HINDSIGHT_OUTBOX_RETRY_MAX_SECONDS", 6 * 60 * 60)
# A worker silent for this long is presumed dead; the sweeper re-defers the emails it held.
OUTBOX_STALLED_WORKER_SECONDS = env_int("HINDSIGHT_OUTBOX_STALLED_WORKER_SECONDS", 120)
# Seconds a webhook endpoint may take to answer before the attempt counts as failed (its
# retries follow the outbox's pauses and attempts above).
WEBHOOK_TIMEOUT = env_int("HINDSIGHT_WEBHOOK_TIMEOUT", 10)
# How often the sweeper re-queues deliveries whose job was lost (cron syntax, in UTC).
OUTBOX_SWEEP_CRON = env_str("HINDSIGHT_OUTBOX_SWEEP_CRON", default="* * * * *")
# When the worker queues the daily reminder digests (cron syntax, in UTC).
ACTION_REMINDER_CRON = env_str("HINDSIGHT_REMINDER_CRON", default="0 7 * * *")

# Postmortem review: approvals needed before a postmortem counts as approved. The rule is
# "at least this many reviewers other than the writers approve", not "every requested reviewer".
POSTMORTEM_REQUIRED_APPROVALS = env_int("HINDSIGHT_REQUIRED_APPROVALS", 1)

# Required postmortems (postmortems/requirements.py): due dates count the organisation's
# working days (ISO weekday numbers, 1 = Monday) in its zone, skipping the holidays listed
# (YYYY-MM-DD); the policy per severity is edited in the admin.
ORG_TIME_ZONE = env_time_zone("HINDSIGHT_ORG_TIME_ZONE", default=TIME_ZONE)
ORG_WORKING_DAYS = env_weekdays("HINDSIGHT_WORKING_DAYS", default=[1, 2, 3, 4, 5])
ORG_HOLIDAYS = env_dates("HINDSIGHT_HOLIDAYS")
# When the worker reminds owners of postmortems due or overdue (cron syntax, in UTC).
POSTMORTEM_REMINDER_CRON = env_str("HINDSIGHT_POSTMORTEM_REMINDER_CRON", default="0 7 * * *")

# Alert webhooks (alerting/): the largest body read, and the most alerts in one delivery (a
# sender's max_alerts should be at most this); larger deliveries are refused with a message.
ALERTING_MAX_BODY_BYTES = env_int("HINDSIGHT_ALERTING_MAX_BODY_BYTES", 1024 * 1024)
ALERTING_MAX_ALERTS = env_int("HINDSIGHT_ALERTING_MAX_ALERTS", 100)
# The delivery log (with payloads) keeps this many days; the worker prunes it daily (0: never).
ALERTING_LOG_DAYS = env_int("HINDSIGHT_ALERTING_LOG_DAYS", 90)


# --- The REST API (api/) ----------------------------------------------------------------
# Personal access tokens ("Authorization: Bearer hsat_..."), made on the Settings page, or the
# browser's session (with its CSRF token) for the docs page at /api/docs/.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.AccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TokenScopeAllows"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerTokenOrUserThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "PAGE_SIZE": PAGE_SIZE,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hindsight API",
    "DESCRIPTION": "Incidents, timelines, postmortems and their action items.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind" and a "status": name each set of choices after its model.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.models.Status",
        "TimelineKindEnum": "incidents.models.TimelineKind",
        "PostmortemStatusEnum": "postmortems.models.PostmortemStatus",
        "ActionItemStatusEnum": "actions.models.ActionStatus",
        "ActionItemKindEnum": "actions.models.ActionKind",
    },
}
# Requests one token (or one signed-in person) may make, as "<count>/<second|minute|hour|day>".
# Counted in the cache, so per process unless a shared cache is configured.
API_RATE_LIMIT = env_rate("HINDSIGHT_API_RATE_LIMIT", default="600/minute")
# The longest life a personal access token may be given, in days.
API_TOKEN_MAX_DAYS = env_int("HINDSIGHT_API_TOKEN_MAX_DAYS", 365)


# --- Task queue (core/queue.py) -------------------------------------------------------------
# "postgres": procrastinate in the database above, no other service. "redis": RQ on REDIS_URL,
# for deployments that outgrow PostgreSQL as a queue (run `manage.py queue_cron` once too).
HINDSIGHT_TASK_QUEUE = env_choice("HINDSIGHT_TASK_QUEUE", ("postgres", "redis"), "postgres")
REDIS_URL = env_str("REDIS_URL", default="redis://127.0.0.1:6379/0")
if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"REDIS_URL must start with redis://, rediss:// or unix://, not {REDIS_URL!r}."
    )

# Kept summaries (core/snapshots.py: the dashboard, the insights) after a write: "worker" serves
# the last ones, saying newer changes are being counted, while a job computes them again;
# "request" computes them in the first request after the write (the tests' setting).
KEPT_SUMMARIES_REFRESH = "worker"


# --- Operations: readiness, metrics, logs --------------------------------------------------
# /readyz/ answers 503 when no task-queue worker sent a heartbeat for this many seconds
# (0: readiness does not look at workers).
HINDSIGHT_WORKER_STALE_AFTER = env_int("HINDSIGHT_WORKER_STALE_AFTER", 300)
# /metrics/ answers only requests from these networks or with "Authorization: Bearer <token>";
# everyone else gets a 404.
METRICS_ALLOWED_NETWORKS = env_networks(
    "HINDSIGHT_METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"]
)
METRICS_TOKEN = env_str("HINDSIGHT_METRICS_TOKEN", default="")

LOG_FORMAT = env_str("DJANGO_LOG_FORMAT", default="text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.json_logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", default="INFO")},
    # django-axes logs every sign-in at INFO; its lockouts (WARNING) are what matter.
    "loggers": {
        "axes": {"level": "WARNING"},
        # procrastinate logs each job deferred and each task registered at INFO; what the
        # worker does with jobs stays at INFO.
        "procrastinate": {"level": "WARNING"},
        "procrastinate.worker": {"level": "INFO"},
        # WeasyPrint logs every step of every PDF (and of its own start-up) at INFO.
        "weasyprint": {"level": "WARNING"},
    },
}
