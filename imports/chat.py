"""Chat transcripts brought into an incident's timeline: the messages as every source (a Slack
export, pasted text) reads them, and the one workflow that turns the ticked ones into timeline
entries — check, import through incidents.services, remember each message's source key so
importing it again adds nothing."""

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.dates import EARLIEST_DATE, LATEST_DATE
from core.forms import ENTRY_MAX_LENGTH
from imports.models import ChatImportedEntry, ChatTranscript
from incidents import services as incident_services
from incidents.models import Incident, TimelineKind

# Bounds on what one transcript may hold: enough for a long incident channel over several days,
# small enough that the transcript row and the picking page stay quick.
MAX_MESSAGES = 20_000
# Problems reported back ("line 12 was not understood"): the first ones are enough to act on.
MAX_PROBLEMS = 50
# Messages one import may turn into timeline entries: each is validated and rendered as
# Markdown in the request.
MAX_PICKS = 300
# The text of one message kept, leaving room in an entry for the speaker's name.
MAX_MESSAGE_LENGTH = ENTRY_MAX_LENGTH - 300

TOO_LONG_MARK = gettext_lazy("… (cut: the message was longer than this)")


class ChatImportError(Exception):
    """A transcript that cannot be read, with a message saying what to do."""


@dataclass(frozen=True)
class ChatMessage:
    """One chat message, as every source reads it. ``key`` identifies it in its source (a Slack
    channel and timestamp, or a hash of a pasted line) and is kept with the timeline entry made
    from it; ``thread`` is the key of the message it replies to, if any."""

    key: str
    channel: str
    moment: datetime
    speaker: str
    text: str
    thread: str = ""
    permalink: str = ""

    def as_json(self) -> dict:
        return {**asdict(self), "moment": self.moment.isoformat()}

    @classmethod
    def from_json(cls, data: dict) -> "ChatMessage":
        return cls(**{**data, "moment": datetime.fromisoformat(data["moment"])})

    def entry_body(self) -> str:
        return f"**{self.speaker}**: {self.text}" if self.speaker else self.text


def bounded_text(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_MESSAGE_LENGTH:
        return f"{text[:MAX_MESSAGE_LENGTH]}{TOO_LONG_MARK}"
    return text


def moment_in_range(moment: datetime) -> bool:
    """Whether a message's time is one Hindsight accepts (core.dates), in UTC."""
    return EARLIEST_DATE <= moment.astimezone(UTC).date() <= LATEST_DATE


class Problems(list):
    """What a reader could not understand, as sentences; only the first MAX_PROBLEMS are kept,
    with a last one saying how many more there were."""

    def __init__(self):
        super().__init__()
        self.more = 0

    def add(self, problem: str) -> None:
        if len(self) < MAX_PROBLEMS:
            self.append(problem)
        else:
            self.more += 1

    def as_list(self) -> list[str]:
        if self.more:
            return [*self, _("… and %(count)s more.") % {"count": self.more}]
        return list(self)


def check_message_count(messages: list) -> None:
    if len(messages) > MAX_MESSAGES:
        raise ChatImportError(
            _(
                "This transcript has more than %(limit)s messages. Export or paste only the "
                "incident's channel and days."
            )
            % {"limit": MAX_MESSAGES}
        )


# Holding a transcript while its messages are picked --------------------------------------------

# Transcripts are kept this long, and a person keeps at most this many (the newest).
TRANSCRIPT_LIFETIME = timedelta(days=1)
TRANSCRIPTS_KEPT = 5


@transaction.atomic
def chat_transcript_hold(
    *, incident: Incident, uploaded_by, source: str, channels, messages, problems
) -> ChatTranscript:
    """Keep a transcript just read, for its reader to pick messages from, clearing away the
    reader's transcripts that are more than a day old or beyond the newest few."""
    transcript = ChatTranscript.objects.create(
        incident=incident,
        uploaded_by=uploaded_by,
        source=source,
        channels=channels,
        messages=[message.as_json() for message in messages],
        problems=problems,
    )
    mine = ChatTranscript.objects.filter(uploaded_by=uploaded_by)
    kept = mine.filter(created_at__gte=timezone.now() - TRANSCRIPT_LIFETIME).order_by(
        "-created_at", "-pk"
    )[:TRANSCRIPTS_KEPT]
    mine.exclude(pk__in=list(kept.values_list("pk", flat=True))).delete()
    return transcript


# Importing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    added: int
    already_imported: int


@transaction.atomic
def chat_messages_import(
    *, incident: Incident, importer, picks: list[tuple[ChatMessage, str]]
) -> ImportResult:
    """Add each picked (message, kind) to the incident's timeline as an entry by ``importer``,
    with the speaker's name, the message's time and its permalink. Messages imported into this
    incident before are left alone, so importing the same messages again adds nothing.

    Raises ChangeRefused (the postmortem's trust guard) and ValidationError from the services;
    either way nothing is added.
    """
    if len(picks) > MAX_PICKS:
        raise ChatImportError(
            _("Import at most %(limit)s messages at a time.") % {"limit": MAX_PICKS}
        )
    # Lock the incident first, so a concurrent import of the same messages waits for this one
    # and then finds them imported.
    incident = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
    keys = [message.key for message, _kind in picks]
    imported = set(
        ChatImportedEntry.objects.filter(incident=incident, source_key__in=keys).values_list(
            "source_key", flat=True
        )
    )
    new = {}
    for message, kind in sorted(picks, key=lambda pick: pick[0].moment):
        if message.key not in imported:
            new.setdefault(message.key, (message, kind))
    if not new:
        return ImportResult(added=0, already_imported=len(picks))
    entries = incident_services.timeline_entries_create(
        incident=incident,
        author=importer,
        entries=[
            {
                "occurred_at": message.moment,
                "kind": kind if kind in TimelineKind.values else TimelineKind.NOTE,
                "body": message.entry_body(),
                "source_url": message.permalink,
            }
            for message, kind in new.values()
        ],
    )
    now = timezone.now()
    ChatImportedEntry.objects.bulk_create(
        ChatImportedEntry(incident=incident, source_key=key, entry=entry, imported_at=now)
        for key, entry in zip(new, entries, strict=True)
    )
    return ImportResult(added=len(entries), already_imported=len(picks) - len(entries))
