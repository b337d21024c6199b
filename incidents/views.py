from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.lists import filtered_list_context
from incidents.changes import ChangeRefused, change_recorded, check_change_allowed
from incidents.forms import IncidentFilterForm, IncidentForm, TimelineEntryForm
from incidents.models import Incident, TimelineEntry
from incidents.selectors import incident_list, incident_timeline, similar_incidents


def _get_incident(reference: str, *, for_update: bool = False) -> Incident:
    number = Incident.number_from_reference(reference)
    if number is None:
        raise Http404(_("No incident has the reference %(reference)s.") % {"reference": reference})
    incidents = Incident.objects.select_for_update(of=("self",)) if for_update else Incident.objects
    return get_object_or_404(
        incidents.select_related("commander", "created_by", "postmortem"), number=number
    )


def _get_incident_for_edit(request, reference: str) -> Incident:
    incident = _get_incident(reference, for_update=request.method == "POST")
    if not incident.can_edit(request.user):
        raise PermissionDenied(_("You may not edit this incident."))
    return incident


def _get_entry_for_edit(request, reference: str, pk: int) -> TimelineEntry:
    entries = TimelineEntry.objects.select_related("incident")
    if request.method == "POST":
        entries = entries.select_for_update(of=("self",))
    entry = get_object_or_404(
        entries, pk=pk, incident__number=Incident.number_from_reference(reference) or -1
    )
    if not entry.can_edit(request.user):
        raise PermissionDenied(_("You may not change this timeline entry."))
    return entry


# The incident fields its postmortem shows: changing them changes the postmortem's document.
POSTMORTEM_FACTS = {
    "title",
    "severity",
    "started_at",
    "detected_at",
    "mitigated_at",
    "resolved_at",
    "customer_impact",
    "services",
}


def incident_list_view(request):
    context = filtered_list_context(request, IncidentFilterForm, incident_list)
    return render(request, "incidents/incident_list.html", context)


@require_http_methods(["GET", "POST"])
def incident_create(request):
    form = IncidentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        incident = form.save(commit=False)
        incident.created_by = request.user
        incident.save()
        form.save_m2m()
        messages.success(request, _("Incident %(ref)s created.") % {"ref": incident.reference})
        return redirect(incident)
    return render(request, "incidents/incident_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@transaction.atomic
def incident_update(request, reference):
    incident = _get_incident_for_edit(request, reference)
    form = IncidentForm(request.POST if request.method == "POST" else None, instance=incident)
    if request.method == "POST" and form.is_valid():
        facts_changed = sorted(POSTMORTEM_FACTS.intersection(form.changed_data))
        try:
            if facts_changed:
                check_change_allowed(incident=incident, actor=request.user)
        except ChangeRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            form.save()
            if facts_changed:
                change_recorded(
                    incident=incident,
                    actor=request.user,
                    description=_("Changed the incident's %(fields)s")
                    % {"fields": ", ".join(str(form.fields[f].label) for f in facts_changed)},
                )
            messages.success(request, _("Incident %(ref)s saved.") % {"ref": incident.reference})
            return redirect(incident)
    return render(request, "incidents/incident_form.html", {"form": form, "incident": incident})


def incident_detail(request, reference):
    incident = _get_incident(reference)
    return render(
        request,
        "incidents/incident_detail.html",
        _detail_context(request, incident, TimelineEntryForm()),
    )


def _detail_context(request, incident, entry_form) -> dict:
    return {
        "incident": incident,
        "postmortem": getattr(incident, "postmortem", None),
        "services": incident.services.all(),
        "can_edit": incident.can_edit(request.user),
        "similar": similar_incidents(incident),
        **_timeline_context(request, incident, entry_form),
    }


def _change_refusal(incident, user) -> str:
    """Why the incident's timeline and facts may not change now (its postmortem is approved, or
    published without an open amendment); empty when they may."""
    try:
        check_change_allowed(incident=incident, actor=user)
    except ChangeRefused as refusal:
        return str(refusal)
    return ""


def _timeline_context(request, incident, entry_form) -> dict:
    entries, show_dates = incident_timeline(incident)
    refusal = _change_refusal(incident, request.user)
    for entry in entries:
        entry.editable = not refusal and entry.can_edit(request.user)
    return {
        "entries": entries,
        "show_dates": show_dates,
        "entry_form": entry_form,
        "timeline_refusal": refusal,
    }


@require_POST
@transaction.atomic
def timeline_entry_create(request, reference):
    incident = _get_incident(reference)
    form = TimelineEntryForm(request.POST)
    if form.is_valid():
        try:
            check_change_allowed(incident=incident, actor=request.user)
        except ChangeRefused as refusal:
            form.add_error(None, str(refusal))
    if form.is_valid():
        entry = form.save(commit=False)
        entry.incident = incident
        entry.author = request.user
        entry.save()
        change_recorded(
            incident=incident, actor=request.user, description=_("Added a timeline entry")
        )
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


@require_http_methods(["GET", "POST"])
@transaction.atomic
def timeline_entry_update(request, reference, pk):
    entry = _get_entry_for_edit(request, reference, pk)
    form = TimelineEntryForm(request.POST if request.method == "POST" else None, instance=entry)
    if request.method == "POST" and form.is_valid():
        try:
            check_change_allowed(incident=entry.incident, actor=request.user)
        except ChangeRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            form.save()
            change_recorded(
                incident=entry.incident,
                actor=request.user,
                description=_("Changed a timeline entry"),
            )
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
            check_change_allowed(incident=entry.incident, actor=request.user)
        except ChangeRefused as refusal:
            messages.error(request, str(refusal))
            return redirect(entry)
        entry.delete()
        change_recorded(
            incident=entry.incident, actor=request.user, description=_("Deleted a timeline entry")
        )
        messages.success(request, _("Timeline entry deleted."))
        return redirect(entry.incident)
    return render(
        request,
        "incidents/timelineentry_confirm_delete.html",
        {"entry": entry, "incident": entry.incident},
    )
