from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from actions.export import csv_lines
from actions.forms import (
    ActionItemFilterForm,
    ActionItemForm,
    ActionItemUpdateForm,
    DashboardFilterForm,
    StatusForm,
    VerifyForm,
)
from actions.models import (
    ActionItem,
    ActionStatus,
    can_add_action_items,
    local_today,
    with_links,
)
from actions.selectors import (
    action_dashboard,
    action_item_list,
    my_action_items,
    page_rows,
    postmortem_action_items,
)
from actions.services import (
    ActionItemError,
    action_item_create,
    action_item_update,
    action_item_verify,
)
from core.dates import org_today
from core.lists import filtered_list_context
from core.snapshots import page_snapshot, recomputes, snapshot
from incidents.models import Incident
from postmortems.models import Postmortem, readable_by_q
from postmortems.selectors import postmortems_to_finish, required_postmortems_panel

# The htmx targets: the postmortem page's whole action item section, one item in it while it
# is edited in place, and one row of "My action items".
POSTMORTEM_TARGET = "postmortem-actions"


def _row_target(item) -> str:
    return f"action-row-{item.pk}"


def _item_target(item) -> str:
    return f"action-{item.pk}"


def _get_postmortem(request, reference: str) -> Postmortem:
    number = Incident.number_from_reference(reference)
    if number is None:
        raise Http404(_("No incident has the reference %(reference)s.") % {"reference": reference})
    postmortem = get_object_or_404(
        Postmortem.objects.with_page_relations(), incident__number=number
    )
    if not postmortem.incident.can_view(request.user):
        raise Http404(_("No incident has the reference %(reference)s.") % {"reference": reference})
    if not postmortem.can_read(request.user):
        raise PermissionDenied(
            _("This postmortem is still a draft: only its writers, reviewers and staff read it.")
        )
    return postmortem


def _get_postmortem_for_adding(request, reference: str) -> Postmortem:
    postmortem = _get_postmortem(request, reference)
    if not can_add_action_items(postmortem, request.user):
        raise PermissionDenied(
            _("Only the postmortem's writers, managers and staff may add action items to it.")
        )
    return postmortem


def _get_item(request, pk: int, *, for_update: bool = False) -> ActionItem:
    """The item, if the user may read it (``ActionItemQuerySet.visible_to``); else 404."""
    items = (
        ActionItem.objects.visible_to(request.user)
        .select_related("owner", "created_by", "postmortem__incident", "postmortem__author")
        .prefetch_related("postmortem__co_authors")
    )
    if for_update:
        items = items.select_for_update(of=("self",))
    return get_object_or_404(items, pk=pk)


def _get_item_for_edit(request, pk: int) -> ActionItem:
    item = _get_item(request, pk, for_update=request.method == "POST")
    if not item.can_edit(request.user):
        raise PermissionDenied(
            _("Only the owner, the postmortem's writers, managers and staff may change this.")
        )
    return item


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _render_postmortem_actions(request, postmortem, *, form=None, notice="", error=""):
    return render(
        request,
        "actions/includes/_postmortem_actions.html",
        {
            "postmortem": postmortem,
            "action_items": postmortem_action_items(postmortem),
            "action_item_form": form,
            "action_notice": notice,
            "action_error": error,
        },
    )


# Lists ----------------------------------------------------------------------------------------


@require_GET
def my_items(request):
    today = local_today()
    context = my_action_items(request.user, today=today, page_number=request.GET.get("page"))
    context["page"].object_list = with_links(context["page"].object_list)
    context["recently_closed"] = with_links(context["recently_closed"])
    return render(
        request,
        "actions/actionitem_mine.html",
        {
            **context,
            "mine_url": reverse("actions:mine"),
            # The writer's home (core.views.home): their postmortems to finish come first.
            "to_finish": postmortems_to_finish(request.user),
            "today": today,
        },
    )


@require_GET
def item_list_view(request):
    today = local_today()

    def kept_count(filters, items) -> int:
        # Counting a filtered list joins every matching item with its incident and services:
        # kept until the data changes, like the dashboard (core/snapshots.py).
        parts = (
            _readers(request.user),
            today,
            sorted((name, repr(value)) for name, value in filters.items() if name != "sort"),
            timezone.get_current_timezone_name(),  # completion dates are local days
        )
        return snapshot("action-list-count", parts, items.count).value

    context = filtered_list_context(
        request,
        ActionItemFilterForm,
        action_item_list,
        count=kept_count,
        user=request.user,
        today=today,
    )
    context["page"].object_list = with_links(page_rows(context["page"]))
    filters = context["filters"]
    return render(
        request,
        "actions/actionitem_list.html",
        {
            **context,
            "has_advanced_filters": any(
                name in filters
                for name in (
                    "kind",
                    "due_from",
                    "due_to",
                    "completed_from",
                    "completed_to",
                    "on_time",
                    "verification",
                    "sort",
                )
            ),
        },
    )


@require_GET
def item_export(request):
    """The list, with the same filters and order, as a CSV download."""
    filter_form = ActionItemFilterForm(request.GET or None)
    filters = filter_form.filters() if request.GET else {}
    if filter_form.errors:
        # A file cannot show what was wrong: the list can, with the same filters as typed.
        return redirect(f"{reverse('actions:list')}?{request.GET.urlencode()}")
    today = local_today()
    items = action_item_list(user=request.user, filters=filters, today=today)
    response = StreamingHttpResponse(
        csv_lines(items, today=today, zone=timezone.get_current_timezone()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="action-items-{today}.csv"'
    return response


@require_GET
def dashboard(request):
    filter_form = DashboardFilterForm(request.GET or None)
    filters = filter_form.filters() if request.GET else {}
    today = local_today()
    return render(
        request,
        "actions/dashboard.html",
        {
            "filter_form": filter_form,
            "is_filtered": bool(filters),
            "today": today,
            "body": _dashboard_body(request, filters=filters, today=today),
            # Not kept with the body: requirements are not among the watched tables.
            "required": required_postmortems_panel(today=org_today(), user=request.user),
        },
    )


def _readers(user) -> str:
    """Who reads which items, for kept summaries: everyone who reads drafts sees the same
    items; anyone else sees their own set (their drafts, the items they own)."""
    return "all" if not readable_by_q(user) else f"user-{user.pk}"


def _dashboard_body(request, *, filters: dict, today):
    """The counts and lists as HTML, kept until the data they show changes (core/snapshots.py):
    the counts read every item, and fifty rows of items are thousands of template nodes. After
    a write the last ones are served while the worker counts again (``recompute_dashboard``)."""
    return page_snapshot("dashboard", request, recompute_dashboard, today=today, filters=filters)


@recomputes
def recompute_dashboard(request, *, today, filters: dict | None = None):
    """The dashboard body's parts (what it depends on besides the data) and how to compute it,
    for ``request``: the page's, with its filters, or the one a worker rebuilds from it."""

    def compute() -> str:
        nonlocal filters
        if filters is None:
            filters = DashboardFilterForm(request.GET).filters() if request.GET else {}
        context = action_dashboard(user=request.user, filters=filters, today=today)
        return render_to_string("actions/includes/_dashboard_body.html", context, request)

    parts = (
        _readers(request.user),
        today,
        request.GET.urlencode(),  # the filters, and the links that repeat them as typed
        get_language(),
        timezone.get_current_timezone_name(),
    )
    return parts, compute


# One item ---------------------------------------------------------------------------------------


@require_GET
def item_detail(request, pk):
    return _render_item_page(request, _get_item(request, pk))


def _render_item_page(request, item, *, evidence_form=None, status=200):
    return render(
        request,
        "actions/actionitem_detail.html",
        {
            "item": item,
            "changes": item.changes.select_related("changed_by"),
            "can_edit": item.can_edit(request.user),
            # The owner may not verify their own fix (actions.services.action_item_verify).
            "can_verify": item.owner_id != request.user.pk,
            "today": local_today(),
            # A refused completion: its typed evidence and the reason, kept on the page.
            "evidence_form": evidence_form,
        },
        status=status,
    )


@require_GET
def postmortem_items(request, reference):
    """The postmortem page's action item section on its own (htmx: after cancelling an edit)."""
    postmortem = _get_postmortem(request, reference)
    if not request.htmx:
        return redirect(f"{postmortem.get_absolute_url()}#{POSTMORTEM_TARGET}")
    return _render_postmortem_actions(request, postmortem)


@require_http_methods(["GET", "POST"])
@transaction.atomic
def item_create(request, reference):
    postmortem = _get_postmortem_for_adding(request, reference)
    form = ActionItemForm(request.POST or None, today=local_today())
    if request.method == "POST" and form.is_valid():
        if repeat := form.claim_submission(request):
            return repeat
        try:
            item = action_item_create(
                postmortem=postmortem, created_by=request.user, **form.cleaned_data
            )
        except ActionItemError as refusal:
            form.add_error(None, str(refusal))
        else:
            form.record_submission(f"{postmortem.get_absolute_url()}#{_item_target(item)}")
            notice = _("Action item “%(title)s” added.") % {"title": item.title}
            if request.htmx:
                return _render_postmortem_actions(request, postmortem, notice=notice)
            messages.success(request, notice)
            return redirect(f"{postmortem.get_absolute_url()}#{_item_target(item)}")
    if request.htmx:
        return _render_postmortem_actions(request, postmortem, form=form)
    return render(request, "actions/actionitem_form.html", {"form": form, "postmortem": postmortem})


@require_http_methods(["GET", "POST"])
@transaction.atomic
def item_update(request, pk):
    item = _get_item_for_edit(request, pk)
    postmortem = item.postmortem
    form = ActionItemUpdateForm(request.POST or None, instance=item, today=local_today())
    in_place = request.htmx and request.htmx.target in (_item_target(item), POSTMORTEM_TARGET)
    if request.method == "POST" and form.is_valid():
        try:
            action_item_update(
                item=item, changed_by=request.user, reason=form.cleaned_data["reason"]
            )
        except ActionItemError as error:
            form.add_error(None, str(error))
        else:
            notice = _("Action item “%(title)s” saved.") % {"title": item.title}
            if in_place:
                return _render_postmortem_actions(request, postmortem, notice=notice)
            messages.success(request, notice)
            return redirect(item)
    if in_place:
        response = render(request, "actions/includes/_item_edit.html", {"item": item, "form": form})
        if request.method == "POST":  # show the errors where the form is, not the whole section
            response = reswap(retarget(response, f"#{_item_target(item)}"), "outerHTML")
        return response
    return render(
        request,
        "actions/actionitem_form.html",
        {"form": form, "item": item, "postmortem": postmortem},
    )


STATUS_NOTICES = {
    ActionStatus.OPEN: gettext_lazy("“%(title)s” is open again."),
    ActionStatus.IN_PROGRESS: gettext_lazy("“%(title)s” is in progress."),
    ActionStatus.DONE: gettext_lazy("“%(title)s” is done."),
    ActionStatus.WONT_DO: gettext_lazy("“%(title)s” will not be done."),
}


@require_POST
@transaction.atomic
def item_set_status(request, pk):
    """One-click Start / Done / Reopen (and Won't do with its reason), from any page."""
    item = _get_item_for_edit(request, pk)
    form = StatusForm(request.POST)
    error = notice = ""
    if form.is_valid():
        try:
            form.apply(item, changed_by=request.user)
        except ActionItemError as refusal:
            error = str(refusal)
        else:
            notice = str(STATUS_NOTICES[form.cleaned_data["status"]]) % {"title": item.title}
    else:
        error = " ".join(message for errors in form.errors.values() for message in errors)
    target = request.htmx.target if request.htmx else None
    if target == POSTMORTEM_TARGET:
        return _render_postmortem_actions(request, item.postmortem, notice=notice, error=error)
    if target == _row_target(item):
        return render(
            request,
            "actions/includes/_my_item_row.html",
            {
                "item": with_links([item])[0],
                "mine_url": reverse("actions:mine"),
                "error": error,
                "notice": notice,
            },
        )
    if error and (request.POST.get("evidence_url") or request.POST.get("evidence_note")):
        # Completing with evidence from the item's page: keep what was typed.
        item.refresh_from_db()
        form.refusal = error
        return _render_item_page(request, item, evidence_form=form, status=400)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(_safe_next(request) or item)


@require_POST
@transaction.atomic
def item_verify(request, pk):
    """ "The fix worked": anyone who may read the item except its owner (the service says so)."""
    item = _get_item(request, pk)
    form = VerifyForm(request.POST)
    if form.is_valid():
        try:
            action_item_verify(
                item=item,
                verified_by=request.user,
                verified_on=form.cleaned_data["verified_on"],
                note=form.cleaned_data["note"],
            )
        except ActionItemError as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request, _("Recorded that “%(title)s” worked.") % {"title": item.title}
            )
    else:
        messages.error(
            request, " ".join(message for errors in form.errors.values() for message in errors)
        )
    return redirect(item)
