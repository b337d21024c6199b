import re
import uuid
import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone, translation

from core.json_logs import current_request_id

DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    """Every page works with no inline script or style, so the policy can stay strict."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_CSP)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self._policy())
        return response

    def _policy(self) -> str:
        # Signing out posts a form that the browser follows to the provider's end_session
        # endpoint; form-action also governs that redirect.
        end_session = settings.OIDC_OP_LOGOUT_ENDPOINT if settings.OIDC_ENABLED else ""
        if not end_session:
            return self.policy
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(end_session))
        return self.policy.replace("form-action 'self'", f"form-action 'self' {origin}")


class UserTimezoneMiddleware:
    """Show times in the signed-in user's own zone; forms read typed times in it too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone = getattr(user, "time_zone", "") if user and user.is_authenticated else ""
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            # The zone belongs to this request: a thread that serves the next one (or a test
            # that runs next in this thread) starts from the default again.
            timezone.deactivate()


# An id a proxy in front already gave the request is kept if it looks like one.
_INCOMING_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")


class RequestIdMiddleware:
    """Give every request an id, log lines written while serving it carry it (see
    core.json_logs), and the response's X-Request-ID header tells it to the caller and to
    gunicorn's access log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _INCOMING_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # Django logs some responses after middleware ran
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response.headers["X-Request-ID"] = request_id
        return response


class UserLanguageMiddleware:
    """Pages in the language the signed-in user chose in their settings; with none chosen,
    LocaleMiddleware's choice from the browser (Accept-Language, or the language cookie that
    ``set_language`` sets) stands. Runs after AuthenticationMiddleware, which LocaleMiddleware
    cannot: LocaleMiddleware still adds Content-Language for the language active at the end."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user and user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
