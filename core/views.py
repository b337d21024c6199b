import ipaddress

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe
from django_prometheus.exports import ExportToDjangoView

from core import health, settings_page
from core.forms import AccountSettingsForm


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
        messages.success(request, _("Your settings are saved."))
        for notice in filter(None, shown_once):
            messages.info(request, notice)
        return redirect("account-settings")
    return render(
        request, "registration/account_settings.html", {"form": form, "sections": sections}
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


def home(request):
    return redirect("incidents:list")


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
