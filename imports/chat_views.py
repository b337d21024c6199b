"""Bringing a chat transcript into an incident's timeline: upload a Slack export or paste chat
text, then pick the messages that matter, give each a kind, and import them."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from imports.chat import (
    MAX_PICKS,
    ChatImportError,
    ChatMessage,
    chat_messages_import,
    chat_transcript_hold,
)
from imports.chat_forms import ChatWindowForm, PastedChatForm, SlackExportForm
from imports.chat_paste import PASTED_CHANNEL, parse_pasted
from imports.models import ChatImportedEntry, ChatSource, ChatTranscript
from imports.slack import parse_export, read_folder, read_zip
from incidents.changes import ChangeRefused, change_refusal
from incidents.models import Incident, TimelineKind
from incidents.services import IncidentError

# The most messages the picking page lists at once (as many as one import takes); a narrower
# window shows the rest. Their text is shown as written, not rendered: rendering hundreds of
# messages as Markdown took seconds.
MAX_SHOWN = MAX_PICKS

REFUSALS = (ChangeRefused, IncidentError, ValidationError, ChatImportError)


def _get_incident_for_import(request, reference: str) -> Incident:
    """The incident, if the user may change its timeline: whoever may edit the incident."""
    number = Incident.number_from_reference(reference)
    if number is None:
        raise Http404(_("No incident has the reference %(reference)s.") % {"reference": reference})
    incident = get_object_or_404(Incident, number=number)
    if not incident.can_view(request.user):  # a restricted incident: as if there were none
        raise Http404(_("No incident has the reference %(reference)s.") % {"reference": reference})
    if not incident.can_edit(request.user):
        raise PermissionDenied(_("You may not edit this incident's timeline."))
    return incident


@require_GET
def chat_import_start(request, reference):
    incident = _get_incident_for_import(request, reference)
    return _start_page(request, incident)


def _start_page(request, incident, *, slack_form=None, paste_form=None):
    return render(
        request,
        "imports/chat_start.html",
        {
            "incident": incident,
            "slack_form": slack_form or SlackExportForm(),
            "paste_form": paste_form or PastedChatForm(incident=incident),
            "timeline_refusal": change_refusal(incident=incident, actor=request.user),
        },
    )


@require_POST
def chat_import_slack(request, reference):
    incident = _get_incident_for_import(request, reference)
    form = SlackExportForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            files = (
                read_zip(data["export"])
                if data["export"]
                else read_folder(data["folder"], data["folder_paths"])
            )
            export = parse_export(files, workspace_url=data["workspace_url"])
        except ChatImportError as error:
            form.add_error(None, str(error))
        else:
            transcript = chat_transcript_hold(
                incident=incident,
                uploaded_by=request.user,
                source=ChatSource.SLACK_EXPORT,
                channels=export.channels,
                messages=export.messages,
                problems=export.problems,
            )
            return redirect("imports:chat-pick", incident.reference, transcript.pk)
    return _start_page(request, incident, slack_form=form)


@require_POST
def chat_import_paste(request, reference):
    incident = _get_incident_for_import(request, reference)
    form = PastedChatForm(request.POST, incident=incident)
    if form.is_valid():
        try:
            pasted, problems = parse_pasted(
                form.cleaned_data["text"],
                day=form.cleaned_data["day"],
                zone=form.cleaned_data["time_zone"],
            )
        except ChatImportError as error:
            form.add_error("text", str(error))
        else:
            transcript = chat_transcript_hold(
                incident=incident,
                uploaded_by=request.user,
                source=ChatSource.PASTED,
                channels=[{"id": PASTED_CHANNEL, "name": _("pasted")}],
                messages=pasted,
                problems=problems,
            )
            return redirect("imports:chat-pick", incident.reference, transcript.pk)
    return _start_page(request, incident, paste_form=form)


@dataclass
class _Shown:
    """A message on the picking page, with what was ticked and chosen for it before."""

    message: ChatMessage
    imported: bool = False
    picked: bool = False
    kind: str = TimelineKind.NOTE
    replies: list = field(default_factory=list)


@require_http_methods(["GET", "POST"])
def chat_import_pick(request, reference, pk):
    incident = _get_incident_for_import(request, reference)
    transcript = get_object_or_404(
        ChatTranscript, pk=pk, incident=incident, uploaded_by=request.user
    )
    every = [ChatMessage.from_json(data) for data in transcript.messages]
    # The window comes in the query string, and again in the form's hidden fields on import.
    window_data = request.POST if request.method == "POST" else request.GET
    window = ChatWindowForm(
        window_data if "channel" in window_data else None, channels=transcript.channels
    )
    in_window = _in_window(every, window)
    error = ""
    if request.method == "POST":
        by_key = {message.key: message for message in every}
        picks = [
            (by_key[key], request.POST.get(f"kind-{key}", TimelineKind.NOTE))
            for key in dict.fromkeys(request.POST.getlist("pick"))
            if key in by_key
        ]
        if not picks:
            error = _("Tick the messages to import first.")
        else:
            try:
                result = chat_messages_import(incident=incident, importer=request.user, picks=picks)
            except REFUSALS as refusal:
                error = _refusal_message(refusal)
            else:
                messages.success(request, _result_message(result))
                return redirect(incident.get_absolute_url() + "#timeline-section")
    shown, more = _threads(incident, in_window, request.POST)
    return render(
        request,
        "imports/chat_pick.html",
        {
            "incident": incident,
            "transcript": transcript,
            "window": window,
            "shown": shown,
            "more_than_shown": more,
            "max_shown": MAX_SHOWN,
            "max_picks": MAX_PICKS,
            "kinds": TimelineKind.choices,
            "error": error,
            "timeline_refusal": change_refusal(incident=incident, actor=request.user),
        },
    )


def _in_window(every: list[ChatMessage], window: ChatWindowForm) -> list[ChatMessage]:
    channel = window.fields["channel"].initial
    start = end = None
    if window.is_bound and window.is_valid():
        channel = window.cleaned_data["channel"]
        start, end = window.cleaned_data["start"], window.cleaned_data["end"]
    elif window.is_bound and "channel" not in window.errors:
        channel = window.data["channel"]
    return [
        message
        for message in every
        if message.channel == channel
        and (start is None or message.moment >= start)
        and (end is None or message.moment <= end)
    ]


def _threads(incident, in_window: list[ChatMessage], posted) -> tuple[list[_Shown], bool]:
    """The first MAX_SHOWN messages, replies under the message they answer (when it is shown),
    each marked if it is in the incident's timeline already and with what was ticked and
    chosen when an import was refused; and whether there were more."""
    listed = in_window[:MAX_SHOWN]
    imported = set(
        ChatImportedEntry.objects.filter(
            incident=incident, source_key__in=[message.key for message in listed]
        ).values_list("source_key", flat=True)
    )
    picked = set(posted.getlist("pick"))
    shown = {
        message.key: _Shown(
            message,
            imported=message.key in imported,
            picked=message.key in picked,
            kind=posted.get(f"kind-{message.key}", TimelineKind.NOTE),
        )
        for message in listed
    }
    top = []
    for item in shown.values():
        parent = shown.get(item.message.thread)
        (parent.replies if parent else top).append(item)
    return top, len(in_window) > MAX_SHOWN


def _refusal_message(refusal: Exception) -> str:
    if isinstance(refusal, ValidationError):
        return " ".join(refusal.messages)
    return str(refusal)


def _result_message(result) -> str:
    added = ngettext(
        "%(count)s timeline entry added from the chat.",
        "%(count)s timeline entries added from the chat.",
        result.added,
    ) % {"count": result.added}
    if not result.already_imported:
        return added
    return f"{added} " + ngettext(
        "%(count)s message was in the timeline already.",
        "%(count)s messages were in the timeline already.",
        result.already_imported,
    ) % {"count": result.already_imported}
