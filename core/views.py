import ipaddress
import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe
from django_prometheus.exports import ExportToDjangoView
from mozilla_django_oidc import views as oidc_views

from core import health, settings_page
from core.forms import AccountSettingsForm
from core.models import Role

logger = logging.getLogger(__name__)


@require_http_methods(["GET", "POST"])
def account_settings(request):
    data = request.POST if request.method == "POST" else None
    form = AccountSettingsForm(data, instance=request.user)
    sections = settings_page.sections_for(request.user, data)
    # Every form is validated, so each shows its errors at once.
    if data is not None and all([form.is_valid(), *(s.is_valid() for s in sections)]):
        with transaction.atomic():
            form.save()
            shown_once = [section.save() for section in sections]
        # Said in the language just chosen, as the pages from now on are.
        translation.activate(
            request.user.language or translation.get_language_from_request(request)
        )
        messages.success(request, _("Your settings are saved."))
        for notice in filter(None, shown_once):
            messages.info(request, notice)
        return redirect("account-settings")
    return render(
        request, "registration/account_settings.html", {"form": form, "sections": sections}
    )


def _sign_in_options() -> dict:
    return {
        "local_login": settings.HINDSIGHT_LOCAL_LOGIN,
        "single_sign_on": settings.OIDC_ENABLED,
        "provider_name": settings.OIDC_PROVIDER_NAME,
    }


class SignInView(auth_views.LoginView):
    """The password form and, when configured, "Sign in with <provider>"; with local passwords
    off only the latter, and a posted password is refused."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_sign_in_options()}

    def post(self, request, *args, **kwargs):
        if not settings.HINDSIGHT_LOCAL_LOGIN:
            context = self.get_context_data(
                refusal=_("Sign-in with a password is turned off here. Sign in with %(name)s.")
                % {"name": settings.OIDC_PROVIDER_NAME}
            )
            return self.render_to_response(context, status=403)
        return super().post(request, *args, **kwargs)


class SignOutView(auth_views.LogoutView):
    """Ends the Hindsight session and, after single sign-on, the provider's session too when
    it has an end_session endpoint (the ID token kept at sign-in names the session)."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token")
        response = super().post(request, *args, **kwargs)
        if not (settings.OIDC_ENABLED and settings.OIDC_OP_LOGOUT_ENDPOINT and id_token):
            return response
        query = urlencode(
            {
                "id_token_hint": id_token,
                "client_id": settings.OIDC_RP_CLIENT_ID,
                "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
            }
        )
        return redirect(f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{query}")


def _single_sign_on_failed(request, message, status=400):
    return render(
        request,
        "registration/sign_in_failed.html",
        {**_sign_in_options(), "message": message},
        status=status,
    )


class SingleSignOnStartView(oidc_views.OIDCAuthenticationRequestView):
    def dispatch(self, request, *args, **kwargs):
        if not settings.OIDC_ENABLED:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class SingleSignOnCallbackView(oidc_views.OIDCAuthenticationCallbackView):
    """Where the provider sends people back. Every failure (a forged or replayed state, a
    token that does not check out, a provider that does not answer) is a page saying so."""

    def dispatch(self, request, *args, **kwargs):
        if not settings.OIDC_ENABLED:
            raise Http404
        try:
            return super().dispatch(request, *args, **kwargs)
        except SuspiciousOperation as error:
            logger.warning("Single sign-on refused: %s", error)
            return self.login_failure()
        except requests.RequestException as error:
            logger.warning("Single sign-on provider unreachable: %s", error)
            return _single_sign_on_failed(
                request,
                _("%(name)s did not answer. Try again in a moment.")
                % {"name": settings.OIDC_PROVIDER_NAME},
                status=502,
            )

    def login_failure(self):
        return _single_sign_on_failed(
            self.request,
            _(
                "Sign-in with %(name)s did not succeed: it was interrupted, expired or its "
                "answer could not be checked. Start again; if it keeps failing, ask staff."
            )
            % {"name": settings.OIDC_PROVIDER_NAME},
        )


def sign_in_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a sign-in while locked out (``AXES_LOCKOUT_CALLABLE``): the
    sign-in page again, saying why and for how long, with the username kept."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/login.html",
        {
            **_sign_in_options(),
            "form": AuthenticationForm(request, initial={"username": username}),
            "next": request.POST.get("next", ""),
            "locked_out_message": ngettext(
                "Too many failed sign-ins for this username from your network. Sign-in is "
                "paused for %(minutes)s minute; try again then, or ask staff to unlock it.",
                "Too many failed sign-ins for this username from your network. Sign-in is "
                "paused for %(minutes)s minutes; try again then, or ask staff to unlock it.",
                minutes,
            )
            % {"minutes": minutes},
        },
        status=429,
    )


# Where each role's work is, in this order for people with several roles: a manager follows
# everyone's work up from the dashboard; a reviewer unblocks writers from the review queue;
# everyone else (writers, people with no role yet) lands on their own drafts and action items.
# The navigation's counts show reviews waiting and overdue items on every page, so whichever
# page a person lands on, the rest of their work is one link away. A ``next`` in the sign-in
# link still wins: Django's sign-in (and single sign-on's callback) follow it before this.
HOMES = [
    (Role.MANAGER, "actions:dashboard"),
    (Role.REVIEWER, "postmortems:queue"),
]
WRITERS_HOME = "actions:mine"


def home_url_name(user) -> str:
    for role, url_name in HOMES:
        if user.has_role(role):
            return url_name
    return WRITERS_HOME


def home(request):
    """``/`` and where sign-in lands (``LOGIN_REDIRECT_URL``): the page of the user's work."""
    return redirect(home_url_name(request.user))


@login_not_required
def healthz(request):
    """Liveness, for the container healthcheck: this process answers. It asks nothing of the
    database, so a database outage does not get every web process restarted."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_safe
def readyz(request):
    """Readiness, for load balancers: 200 only when the database is reachable, every migration
    is applied and a task-queue worker was seen lately; otherwise 503 and what failed."""
    checks = health.readiness()
    failed = [name for name, result in checks.items() if result != "ok"]
    return JsonResponse(
        {"status": "not ready" if failed else "ready", "failed": failed, "checks": checks},
        status=503 if failed else 200,
        headers={"Cache-Control": "no-store"},
    )


def _may_read_metrics(request) -> bool:
    token = settings.METRICS_TOKEN
    offered = request.headers.get("Authorization", "")
    if token and constant_time_compare(offered, f"Bearer {token}"):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


@login_not_required
def metrics(request):
    """Prometheus metrics, for an allowed network or the bearer token only. Everyone else gets
    a 404, whatever the method: the page does not admit to existing."""
    if not _may_read_metrics(request):
        raise Http404
    return ExportToDjangoView(request)
