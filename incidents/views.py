from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.lists import filtered_list_context, kept_count
from incidents import services
from incidents.changes import ChangeRefused, change_refusal
from incidents.forms import IncidentFilterForm, IncidentForm, IncidentLinkForm, TimelineEntryForm
from incidents.models import Incident, IncidentLink, TimelineEntry
from incidents.selectors import (
    deleted_timeline_entries,
    incident_changes,
    incident_links,
    incident_list,
    incident_timeline,
    timeline_entry_history,
)
from incidents.similarity import similar_for_page

# What a refused write turns into: the form (or a message) says why; nothing typed is lost.
REFUSALS = (ChangeRefused, services.IncidentError, ValidationError)


def _get_incident(request, reference: str) -> Incident:
    """The incident, or 404 when there is none or it is restricted and the reader may not see
    it: the same answer both ways, so a restricted incident's existence does not leak."""
    number = Incident.number_from_reference(reference)
    if number is None:
        raise Http404(_("No incident has the reference %(reference)s.") % {"reference": reference})
    incident = get_object_or_404(
        Incident.objects.select_related(
            "commander",
            "created_by",
            "postmortem",
            "postmortem_requirement__owner",
            "postmortem_requirement__exempted_by",
        ),
        number=number,
    )
    if not incident.can_view(request.user):
        raise Http404(_("No incident has the reference %(reference)s.") % {"reference": reference})
    return incident


def _get_incident_for_edit(request, reference: str) -> Incident:
    incident = _get_incident(request, reference)
    if not incident.can_edit(request.user):
        raise PermissionDenied(_("You may not edit this incident."))
    return incident


def _get_entry(request, reference: str, pk: int, *, entries=None) -> TimelineEntry:
    entries = entries if entries is not None else TimelineEntry.objects
    entry = get_object_or_404(
        entries.select_related("incident"),
        pk=pk,
        incident__number=Incident.number_from_reference(reference) or -1,
    )
    if not entry.incident.can_view(request.user):
        raise Http404(_("No incident has the reference %(reference)s.") % {"reference": reference})
    return entry


def _get_entry_for_edit(request, reference: str, pk: int, *, entries=None) -> TimelineEntry:
    entry = _get_entry(request, reference, pk, entries=entries)
    if not entry.can_edit(request.user):
        raise PermissionDenied(_("You may not change this timeline entry."))
    return entry


def _add_refusal(form, refusal: Exception) -> None:
    """Show a refused save on the form, keeping what was typed. A stale save moves the form's
    version on, so saving again (after checking) goes through, as VersionedModelForm does."""
    if isinstance(refusal, services.StaleEdit):
        form.data = form.data.copy()
        form.data[form.add_prefix("version")] = refusal.current_version
        form.add_error(None, form.conflict_message)
    elif isinstance(refusal, ValidationError):
        form.add_error(None, refusal)
    else:
        form.add_error(None, str(refusal))


def _refusal_text(refusal: Exception) -> str:
    if isinstance(refusal, ValidationError):
        return " ".join(refusal.messages)
    return str(refusal)


def _incident_facts(form: IncidentForm) -> dict:
    facts = {name: form.cleaned_data[name] for name in IncidentForm.Meta.fields}
    facts["tags"] = form.cleaned_data["tags"]
    facts["restriction_reason"] = form.cleaned_data["restriction_reason"]
    return facts


def _entry_fields(form: TimelineEntryForm) -> dict:
    return {name: form.cleaned_data[name] for name in TimelineEntryForm.Meta.fields}


def incident_list_view(request):
    # Counting every incident grows with the data: the count is kept until the data changes,
    # per reader (restricted incidents make lists differ). The required-postmortem filter
    # reads a table no kept summary watches, and today's date: it is counted each time.
    count = (
        None
        if request.GET.get("postmortem")
        else kept_count("incident-list-count", request.user.pk)
    )
    context = filtered_list_context(
        request, IncidentFilterForm, incident_list, count=count, user=request.user
    )
    return render(request, "incidents/incident_list.html", context)


@require_http_methods(["GET", "POST"])
@transaction.atomic
def incident_create(request):
    form = IncidentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if repeat := form.claim_submission(request):
            return repeat
        try:
            incident = services.incident_create(created_by=request.user, **_incident_facts(form))
        except REFUSALS as refusal:
            _add_refusal(form, refusal)
        else:
            form.record_submission(incident)
            messages.success(request, _("Incident %(ref)s created.") % {"ref": incident.reference})
            return redirect(incident)
    return render(request, "incidents/incident_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def incident_update(request, reference):
    incident = _get_incident_for_edit(request, reference)
    form = IncidentForm(request.POST if request.method == "POST" else None, instance=incident)
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_update(
                incident=incident,
                editor=request.user,
                loaded_version=form.cleaned_data["version"],
                **_incident_facts(form),
            )
        except REFUSALS as refusal:
            _add_refusal(form, refusal)
        else:
            messages.success(request, _("Incident %(ref)s saved.") % {"ref": incident.reference})
            return redirect(incident)
    return render(
        request,
        "incidents/incident_form.html",
        {
            "form": form,
            "incident": incident,
            "may_lift_restriction": incident.can_lift_restriction(request.user),
        },
    )


def incident_detail(request, reference):
    incident = _get_incident(request, reference)
    return render(
        request,
        "incidents/incident_detail.html",
        _detail_context(request, incident, TimelineEntryForm()),
    )


def _detail_context(request, incident, entry_form, link_form=None) -> dict:
    links = incident_links(incident, user=request.user)
    for link in links:
        link.wording = link.wording_from(incident)
        link.other_incident = link.other(incident)
    return {
        "links": links,
        "link_form": link_form or IncidentLinkForm(incident=incident, user=request.user),
        "incident": incident,
        "postmortem": getattr(incident, "postmortem", None),
        "requirement": getattr(incident, "postmortem_requirement", None),
        "services": incident.services.all(),
        "similar": similar_for_page(incident, request.user),
        "changes": incident_changes(incident),
        **_timeline_context(request, incident, entry_form),
    }


@require_POST
@transaction.atomic
def incident_link_create(request, reference):
    incident = _get_incident_for_edit(request, reference)
    form = IncidentLinkForm(request.POST, incident=incident, user=request.user)
    if form.is_valid():
        try:
            services.incident_link_create(
                from_incident=incident,
                to_incident=form.cleaned_data["reference"],
                kind=form.cleaned_data["kind"],
                actor=request.user,
            )
        except REFUSALS as refusal:
            _add_refusal(form, refusal)
        else:
            messages.success(request, _("Link added."))
            return redirect(incident.get_absolute_url() + "#links")
    return render(
        request,
        "incidents/incident_detail.html",
        _detail_context(request, incident, TimelineEntryForm(), link_form=form),
        status=400,
    )


@require_POST
def incident_link_delete(request, reference, pk):
    incident = _get_incident_for_edit(request, reference)
    link = get_object_or_404(IncidentLink.objects.of_incident(incident), pk=pk)
    services.incident_link_delete(link=link, actor=request.user)
    messages.success(request, _("Link removed."))
    return redirect(incident.get_absolute_url() + "#links")


def _timeline_context(request, incident, entry_form) -> dict:
    entries, show_dates = incident_timeline(incident)
    refusal = change_refusal(incident=incident, actor=request.user)
    may_set_times = not refusal and incident.can_edit(request.user)
    for entry in entries:
        entry.editable = not refusal and entry.can_edit(request.user)
        entry.time_offer = entry.incident_time_offer(incident) if may_set_times else None
    deleted = deleted_timeline_entries(incident)
    for entry in deleted:
        entry.editable = not refusal and entry.can_edit(request.user)
    return {
        "entries": entries,
        "deleted_entries": deleted,
        "show_dates": show_dates,
        "entry_form": entry_form,
        "timeline_refusal": refusal,
        "can_edit": incident.can_edit(request.user),
    }


@require_POST
@transaction.atomic
def timeline_entry_create(request, reference):
    incident = _get_incident(request, reference)
    form = TimelineEntryForm(request.POST)
    if form.is_valid():
        if repeat := form.claim_submission(request):
            return repeat
        try:
            entry = services.timeline_entry_create(
                incident=incident, author=request.user, **_entry_fields(form)
            )
        except REFUSALS as refusal:
            _add_refusal(form, refusal)
        else:
            form.record_submission(entry)
            form = TimelineEntryForm()
            if not request.htmx:
                messages.success(request, _("Timeline entry added."))
                return redirect(entry)
    if request.htmx:
        context = {"incident": incident, **_timeline_context(request, incident, form)}
        return render(request, "incidents/includes/_timeline_section.html", context)
    return render(
        request, "incidents/incident_detail.html", _detail_context(request, incident, form)
    )


@require_POST
@transaction.atomic
def timeline_entry_set_incident_time(request, reference, pk):
    """One click from a detection, mitigation or resolution entry to the incident's time."""
    _get_incident_for_edit(request, reference)
    entry = _get_entry(request, reference, pk)
    try:
        _incident, changed = services.incident_time_from_entry(entry=entry, editor=request.user)
    except REFUSALS as refusal:
        messages.error(request, _refusal_text(refusal))
    else:
        if changed:
            messages.success(request, _("The incident's time is set from this entry."))
    return redirect(entry)


@require_http_methods(["GET", "POST"])
def timeline_entry_update(request, reference, pk):
    entry = _get_entry_for_edit(request, reference, pk)
    form = TimelineEntryForm(request.POST if request.method == "POST" else None, instance=entry)
    if request.method == "POST" and form.is_valid():
        try:
            services.timeline_entry_update(
                entry=entry,
                editor=request.user,
                loaded_version=form.cleaned_data["version"],
                **_entry_fields(form),
            )
        except REFUSALS as refusal:
            _add_refusal(form, refusal)
        else:
            messages.success(request, _("Timeline entry saved."))
            return redirect(entry)
    return render(
        request,
        "incidents/timelineentry_form.html",
        {"form": form, "entry": entry, "incident": entry.incident},
    )


@require_http_methods(["GET", "POST"])
@transaction.atomic
def timeline_entry_delete(request, reference, pk):
    entry = _get_entry_for_edit(request, reference, pk)
    if request.method == "POST":
        try:
            services.timeline_entry_delete(entry=entry, actor=request.user)
        except REFUSALS as refusal:
            messages.error(request, str(refusal))
            return redirect(entry)
        messages.success(
            request,
            _(
                "Timeline entry deleted. It is kept with its history: restore it from the list of "
                "deleted entries below the timeline."
            ),
        )
        return redirect(entry.incident.get_absolute_url() + "#deleted-entries")
    return render(
        request,
        "incidents/timelineentry_confirm_delete.html",
        {"entry": entry, "incident": entry.incident},
    )


@require_POST
def timeline_entry_restore(request, reference, pk):
    entry = _get_entry_for_edit(request, reference, pk, entries=TimelineEntry.all_objects.deleted())
    try:
        services.timeline_entry_restore(entry=entry, actor=request.user)
    except REFUSALS as refusal:
        messages.error(request, str(refusal))
        return redirect(entry.incident.get_absolute_url() + "#deleted-entries")
    messages.success(request, _("Timeline entry restored."))
    return redirect(entry)


def timeline_entry_history_view(request, reference, pk):
    entry = _get_entry(
        request, reference, pk, entries=TimelineEntry.all_objects.select_related("author")
    )
    return render(
        request,
        "incidents/timelineentry_history.html",
        {"entry": entry, "incident": entry.incident, "history": timeline_entry_history(entry)},
    )
