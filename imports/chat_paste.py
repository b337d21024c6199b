"""Reading chat text pasted by hand, in the shapes people paste it:

- ``[10:32] alice: message`` (many chat logs),
- ``10:32 <alice> message`` (IRC and Matrix clients, with or without brackets round the time),
- Slack's copy format: a line with the speaker's name and the time (``Alex Okafor  10:32 AM``),
  the message on the lines below, and a line holding only a time for the next message by the
  same speaker.

Lines that do not start a message continue the one before. Pasted text carries times of day
only: they are read on the chosen day in the chosen zone, moving to the next day when the
clock goes back more than half a day (23:58, then 00:03).
"""

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from imports.chat import (
    ChatImportError,
    ChatMessage,
    Problems,
    bounded_text,
    check_message_count,
    moment_in_range,
)

MAX_PASTE_LENGTH = 500_000
PASTED_CHANNEL = "pasted"

_TIME = r"(?P<time>\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?)"
_BRACKETED = re.compile(
    rf"^\[{_TIME}\]\s*(?P<speaker>[^\s:<>\[\]][^:<>\[\]]{{0,79}}?):\s?(?P<text>.*)$"
)
_IRC = re.compile(rf"^\[?{_TIME}\]?\s+<(?P<speaker>[^<>\s][^<>]{{0,79}})>\s?(?P<text>.*)$")
# Two spaces (or brackets) between the name and the time, as Slack copies them: a sentence
# that ends with a time ("restarted at 10:32") is not taken for a new message.
_SLACK_HEADER = re.compile(rf"^(?P<speaker>\S.{{0,79}}?)(?:\s{{2,}}|\s+(?=\[))\[?{_TIME}\]?$")
_SLACK_TIME_ONLY = re.compile(rf"^\[?{_TIME}\]?$")
# What Slack copies besides messages: thread summaries, date dividers, "(edited)".
_NOISE = re.compile(
    r"^(\d+ repl(y|ies)|last reply .*|view thread|new messages?|today|yesterday|"
    r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)(,? .*)?)$",
    re.IGNORECASE,
)
_EDITED = re.compile(r"\s*\(edited\)\s*$")
# Messages about the channel rather than the incident.
_CHANNEL_EVENT = re.compile(
    r"^(has joined the channel|has left the channel|joined #\S+\.?|left #\S+\.?|"
    r"set the channel (topic|purpose|description)\b.*|renamed the channel\b.*|"
    r"changed the channel (topic|purpose|description|name)\b.*)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class _Draft:
    line: int
    clock: time
    speaker: str
    lines: list[str]


def parse_pasted(text: str, *, day: date, zone: str) -> tuple[list[ChatMessage], list[str]]:
    """The messages in pasted chat text and what was not understood, in time order."""
    if len(text) > MAX_PASTE_LENGTH:
        raise ChatImportError(
            _("Paste at most %(limit)s characters; paste the incident's part of the chat.")
            % {"limit": MAX_PASTE_LENGTH}
        )
    problems = Problems()
    drafts = _drafts(text, problems)
    if not drafts:
        raise ChatImportError(
            _(
                'No messages found. Paste lines like "[10:32] alice: text", "10:32 <alice> text" '
                "or messages copied from Slack."
            )
        )
    messages, seen = [], Counter()
    tz, days_on, previous = ZoneInfo(zone), 0, None
    for draft in drafts:
        if previous and _seconds(draft.clock) < _seconds(previous) - 12 * 3600:
            days_on += 1
        previous = draft.clock
        body = "\n".join(draft.lines).strip()
        if not body or _CHANNEL_EVENT.match(body):
            continue
        moment = timezone.make_aware(
            datetime.combine(day + timedelta(days=days_on), draft.clock), tz
        )
        if not moment_in_range(moment):
            problems.add(
                _("The message on line %(line)s falls outside the years 1970 to 2100.")
                % {"line": draft.line}
            )
            continue
        identity = f"{moment.isoformat()}|{draft.speaker}|{body}"
        seen[identity] += 1  # the same words said twice in one minute are two messages
        digest = hashlib.sha256(f"{identity}|{seen[identity]}".encode()).hexdigest()[:40]
        messages.append(
            ChatMessage(
                key=f"paste:{digest}",
                channel=PASTED_CHANNEL,
                moment=moment,
                speaker=draft.speaker,
                text=bounded_text(body),
            )
        )
        check_message_count(messages)
    return messages, problems.as_list()


def _drafts(text: str, problems: Problems) -> list[_Draft]:
    drafts: list[_Draft] = []
    unplaced: list[tuple[int, str]] = []  # lines before the first message
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = _EDITED.sub("", line.strip())
        if not stripped or _NOISE.match(stripped):
            if drafts and not stripped:
                drafts[-1].lines.append("")
            continue
        if match := _BRACKETED.match(stripped) or _IRC.match(stripped):
            speaker, text_ = match.group("speaker").strip(), match.group("text")
        elif match := _SLACK_HEADER.match(stripped):
            speaker, text_ = match.group("speaker").strip(), ""
            if speaker.upper() in _APP_BADGES:
                speaker = _take_name_line(drafts, unplaced) or speaker
        elif (match := _SLACK_TIME_ONLY.match(stripped)) and drafts:
            speaker, text_ = drafts[-1].speaker, ""
        else:
            if drafts:
                drafts[-1].lines.append(_EDITED.sub("", line))
            else:
                unplaced.append((number, stripped))
            continue
        _report_unplaced(unplaced, problems)
        clock = _clock(match.group("time"))
        if clock is None:
            problems.add(
                _("Line %(line)s has a time that does not exist: %(text)s")
                % {"line": number, "text": stripped[:80]}
            )
            continue
        drafts.append(_Draft(line=number, clock=clock, speaker=speaker[:100], lines=[text_]))
    _report_unplaced(unplaced, problems)
    return drafts


def _report_unplaced(unplaced: list, problems: Problems) -> None:
    for number, stripped in unplaced:
        problems.add(
            _("Line %(line)s was not understood: %(text)s")
            % {"line": number, "text": stripped[:80]}
        )
    unplaced.clear()


# Slack copies an app's messages as its name on one line, then "APP  10:32 AM".
_APP_BADGES = {"APP", "BOT"}


def _take_name_line(drafts: list[_Draft], unplaced: list) -> str:
    """The line just before an app's badge is its name: take it from where it was put."""
    if drafts:
        lines = drafts[-1].lines
        while lines and not lines[-1].strip():
            lines.pop()
        return lines.pop().strip() if len(lines) > 1 else ""
    return unplaced.pop()[1] if unplaced else ""


def _clock(value: str) -> time | None:
    value = value.replace(".", "").replace(" ", "").upper()
    meridiem = value[-2:] if value.endswith(("AM", "PM")) else ""
    parts = [int(part) for part in value.removesuffix(meridiem).split(":")]
    hour, minute, second = (parts + [0])[:3]
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "PM" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _seconds(clock: time) -> int:
    return clock.hour * 3600 + clock.minute * 60 + clock.second
