from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import AccountSettingsForm


@require_http_methods(["GET", "POST"])
def account_settings(request):
    form = AccountSettingsForm(
        request.POST if request.method == "POST" else None, instance=request.user
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your settings are saved."))
        return redirect("account-settings")
    return render(request, "registration/account_settings.html", {"form": form})


def home(request):
    return redirect("incidents:list")


@login_not_required
def healthz(request):
    """For load balancers and the compose healthcheck: the app is up and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
