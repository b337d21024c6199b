from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from notifications.models import Notification
from notifications.services import mark_all_read, mark_read


@require_GET
def notification_list(request):
    """The signed-in person's notifications, newest first, unread ones highlighted."""
    notifications = Notification.objects.for_recipient(request.user).select_related("actor")
    page = Paginator(notifications, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {"page": page})


@require_POST
def notification_open(request, pk):
    """Mark one notification read and go to what it is about."""
    notification = get_object_or_404(Notification.objects.for_recipient(request.user), pk=pk)
    mark_read(notification=notification)
    if url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(notification.url)
    return redirect("notifications:list")


@require_POST
def notification_mark_all_read(request):
    count = mark_all_read(user=request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "Marked %(count)s notification read.",
                "Marked %(count)s notifications read.",
                count,
            )
            % {"count": count},
        )
    return redirect("notifications:list")
