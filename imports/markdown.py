"""Reading a postmortem kept as Markdown into what Hindsight stores: incident facts, timeline
entries, postmortem sections and action items. Pure: no database, so the preview and the import
read a file the same way.

Hindsight's own export (YAML front matter with ``hindsight: 1``) is read exactly, so export →
import gives back the same incident. Other files are read by the meaning of their headings
("Contributing Factors (findings)" is contributing factors); timelines may be Markdown tables
or bullet lists with dates and times. Every non-empty line of the source is accounted for in
``placements``: text that fits no section lands in ``FALLBACK_SECTION`` under its own heading,
marked as imported, so nothing is dropped.
"""

import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from actions.models import EVIDENCE_KINDS, ActionKind, ActionStatus, Priority
from core.dates import EARLIEST_DATE, LATEST_DATE
from imports.moments import (
    Moment,
    in_bounds,
    localise,
    read_duration,
    read_moment,
    zone_named,
)
from incidents.models import IncidentField, Severity, Status, TimelineKind
from postmortems.sections import SECTIONS

# Where text that matches no section goes, under its own heading and marked as imported.
FALLBACK_SECTION = "what_happened"
TITLE_MAX_LENGTH = 200
MAX_TIMELINE_ENTRIES = 1000
MAX_ACTION_ITEMS = 200
FACT_TIMES = ("started_at", "detected_at", "mitigated_at", "resolved_at")

# Heading meanings, tried in order: the first with a keyword among the heading's words (in the
# singular or plural: "Findings", "Root Causes") wins, so "Timeline narrative" is a section
# before "Timeline" is a timeline.
HEADING_MEANINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("timeline_narrative", ("timeline narrative", "narrative", "response")),
    ("customer_impact", ("customer impact",)),
    ("timeline", ("timeline", "chronology", "sequence of events", "time line", "events")),
    ("action_items", ("action item", "actions", "follow up", "followup", "next step", "todo",
                      "to do", "corrective", "remediation item", "tasks")),
    ("stats", ("stats", "statistic", "metric", "key data", "numbers")),
    ("summary", ("summary", "overview", "tl dr", "tldr", "abstract", "description", "background")),
    ("impact", ("impact", "affected", "blast radius")),
    ("assumptions", ("assumption",)),
    ("contributing_factors", ("contributing", "finding", "root cause", "cause", "factor", "trigger",
                              "why")),
    ("what_went_well", ("went well", "went right", "what worked", "good")),
    ("what_went_wrong", ("went wrong", "went badly", "didn t go well", "did not go well",
                         "could have gone better", "problem", "bad")),
    ("where_we_got_lucky", ("lucky", "luck")),
    ("mitigations", ("mitigation", "prevention", "preventive", "remediation", "fix")),
    ("lessons_learned", ("lesson", "learning", "takeaway", "reflection", "learned")),
    ("what_happened", ("what happened", "details", "analysis", "resolution", "recovery",
                       "investigation", "technical")),
)  # fmt: skip
_SECTION_FIELDS = {section.field for section in SECTIONS}

# Patterns run on every line of files up to 1 MB: each is linear in its line (no nested or
# adjacent unbounded repeats that could backtrack), and closing "#"s and table separators are
# read in Python for that reason.
_HEADING = re.compile(r"^(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*))?$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BULLET = re.compile(
    r"^(?P<indent>\s*)(?:[-*+]|\d{1,3}[.)])(?:\s+\[[ xX]\])?(?:\s+(?P<text>.*)|\s*$)"
)
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_SEPARATOR_CELL = re.compile(r":?-+:?")
_STAT_TIMES = (
    # (words in the stat's name, the incident time it places)
    (("detect",), "detected_at"),
    (("mitigat",), "mitigated_at"),
    (("recover", "resolv", "restor", "repair"), "resolved_at"),
)
_EXPORT_ENTRY = re.compile(r"^- \*\*(?P<when>[^*]+)\*\* \[(?P<kind>[^\]]+)\] ?(?P<body>.*)$")
_EXPORT_SOURCE = re.compile(r" \(\[[^\]]{1,100}\]\((?P<url>https?://[^)\s]{1,500})\)\)$")
_SOURCE_REFERENCE = re.compile(r"^(?P<ref>[A-Za-z]{1,10}[-_]?\d[\w.-]{0,40}?)(?:\s+-\s+|\s*$|_)")
_EMPHASIS = re.compile(r"[*_`]+")


@dataclass
class Placement:
    """Where one line of the source went, for the preview and the no-loss check."""

    line: int
    text: str
    target: str
    understood: bool = True


@dataclass
class ParsedEntry:
    occurred_at: datetime
    body: str
    kind: str = TimelineKind.NOTE
    source_url: str = ""

    @property
    def kind_label(self) -> str:
        return TimelineKind(self.kind).label


@dataclass
class ParsedActionItem:
    title: str
    description: str = ""
    owner: str = ""  # a username, from Hindsight's export only
    due_date: date | None = None
    priority: str = "P2"
    kind: str = "prevent"
    status: str = "open"
    resolution_note: str = ""
    tracker_url: str = ""
    evidence_url: str = ""
    evidence_note: str = ""


@dataclass
class ParsedPostmortem:
    name: str
    title: str = ""
    reference: str = ""
    is_hindsight_export: bool = False
    severity: str = ""
    status: str = ""
    times: dict = field(default_factory=dict)  # started_at … resolved_at
    time_notes: dict = field(default_factory=dict)  # where each time came from
    customer_impact: str = ""
    services: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    authors: list = field(default_factory=list)  # usernames, from Hindsight's export only
    commander: str = ""
    sections: dict = field(default_factory=dict)
    entries: list = field(default_factory=list)
    action_items: list = field(default_factory=list)
    placements: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    # Durations from stats ("Time to detection: 64 minutes"): time field → (duration, line).
    stat_durations: dict = field(default_factory=dict)
    day: date | None = None  # the file's date (front matter), for times written without one

    @property
    def not_understood(self) -> list[Placement]:
        return [placement for placement in self.placements if not placement.understood]

    def time_rows(self):
        """(label, moment, where it came from) of each incident time found, for the preview."""
        return [
            (IncidentField(name).label, self.times[name], self.time_notes.get(name, ""))
            for name in FACT_TIMES
            if name in self.times
        ]

    @property
    def status_label(self) -> str:
        return Status(self.status).label if self.status in Status.values else self.status

    def section_list(self):
        """(section, text) of each section with text, in document order."""
        return [(s, self.sections[s.field]) for s in SECTIONS if self.sections.get(s.field)]


# Headings --------------------------------------------------------------------------------------


def _words(text: str) -> str:
    text = _EMPHASIS.sub("", text).lower()
    text = re.sub(r"^\s*\d+(\.\d+)*[.)]?\s+", "", text)
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.replace("'", " "))) + " "


def heading_meaning(heading: str) -> str | None:
    """What a heading is about, by meaning rather than exact text: a section field,
    "timeline", "action_items", "stats" or "customer_impact"; None when it is none of these."""
    words = _words(heading)
    for field_name in ("summary", *_SECTION_FIELDS):
        title = _words(str(_section_title(field_name)))
        if words == title:
            return field_name
    for meaning, keywords in HEADING_MEANINGS:
        if any(re.search(rf" {keyword}(?:s|es)? ", words) for keyword in keywords):
            return meaning
    return None


def _section_title(field_name: str):
    return next(section.title for section in SECTIONS if section.field == field_name)


# Reading a file --------------------------------------------------------------------------------


@dataclass
class _Segment:
    heading: str
    level: int
    line: int  # of the heading; 0 for the text before the first heading
    meaning: str | None
    lines: list = field(default_factory=list)  # (line number, text)


def parse_markdown(
    text: str, *, name: str, default_zone: tzinfo, today: datetime
) -> ParsedPostmortem:
    """Read one Markdown postmortem. ``default_zone`` is the zone chosen at import, for times
    that do not say theirs; ``today`` stands in for the start of a file with no dates at all."""
    parsed = ParsedPostmortem(name=name)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    numbered = list(enumerate(lines, start=1))
    front, numbered = _split_front_matter(numbered, parsed)
    parsed.is_hindsight_export = bool(front.get("hindsight"))
    zone = _front_matter_zone(front, parsed) or default_zone
    _read_front_matter(front, parsed)
    split = _export_split if parsed.is_hindsight_export else _meaningful_split
    segments = _segments(numbered, parsed, split)
    if parsed.is_hindsight_export:
        _read_export_segments(segments, parsed, zone)
    else:
        _read_segments(segments, parsed, zone)
    if not parsed.title:
        parsed.title = _title_from_name(name)
        parsed.warnings.append(_("No title heading: the file name is used as the title."))
    if len(parsed.title) > TITLE_MAX_LENGTH:
        parsed.warnings.append(_("The title is long: it is cut, and kept in full in the summary."))
        _append(parsed.sections, "summary", parsed.title)
        parsed.title = parsed.title[: TITLE_MAX_LENGTH - 1].rstrip() + "…"
    parsed.reference = parsed.reference or _reference_from_name(name)
    _settle_times(parsed, today)
    parsed.placements.sort(key=lambda placement: placement.line)
    return parsed


def _title_from_name(name: str) -> str:
    stem = re.sub(r"\.(md|markdown|txt)$", "", name.rsplit("/", 1)[-1], flags=re.IGNORECASE)
    return (stem.split(" - ", 1)[-1] if " - " in stem else stem).strip() or name


def _reference_from_name(name: str) -> str:
    match = _SOURCE_REFERENCE.match(name.rsplit("/", 1)[-1])
    return match["ref"][:100] if match else ""


def _split_front_matter(numbered, parsed) -> tuple[dict, list]:
    if not numbered or numbered[0][1].strip() != "---":
        return {}, numbered
    for index in range(1, min(len(numbered), 500)):
        if numbered[index][1].strip() in ("---", "..."):
            block = "\n".join(line for _number, line in numbered[1:index])
            try:
                front = yaml.safe_load(block)
            except yaml.YAMLError as error:
                parsed.warnings.append(
                    _("The front matter is not valid YAML (%(error)s): it is kept as text.")
                    % {"error": str(error).splitlines()[0]}
                )
                return {}, numbered
            if not isinstance(front, dict):
                return {}, numbered
            for number, line in numbered[: index + 1]:
                if line.strip():
                    parsed.placements.append(Placement(number, line, _("Front matter")))
            return front, numbered[index + 1 :]
    return {}, numbered


def _front_matter_zone(front: dict, parsed) -> tzinfo | None:
    name = front.get("time_zone")
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        parsed.warnings.append(
            _("Unknown time zone %(zone)s in the front matter.") % {"zone": name}
        )
        return None


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(part).strip() for part in value if str(part).strip()]
    return [str(value)]


def _as_moment(value, parsed, key) -> datetime | None:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            parsed.warnings.append(_("%(key)s is not a date and time.") % {"key": key})
            return None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    else:
        return None
    if not in_bounds(moment):
        parsed.warnings.append(_("%(key)s is outside 1970–2100.") % {"key": key})
        return None
    return moment


# Front matter keys of other tools (Jekyll, Hugo, Docusaurus) read as facts; the rest is kept.
_KNOWN_KEYS = {
    "hindsight", "reference", "title", "severity", "status", "services", "tags", "started_at",
    "detected_at", "mitigated_at", "resolved_at", "authors", "commander", "time_zone",
    "action_items", "date", "postmortem_status",
}  # fmt: skip


def _read_front_matter(front: dict, parsed: ParsedPostmortem) -> None:
    if not front:
        return
    parsed.reference = str(front.get("reference") or front.get("id") or "")[:100]
    parsed.title = str(front.get("title") or "").strip()
    severity = str(front.get("severity") or "").upper()
    if severity in Severity.values:
        parsed.severity = severity
    elif severity:
        parsed.warnings.append(_("Unknown severity %(value)s.") % {"value": severity})
    status = str(front.get("status") or "").lower()
    if status in Status.values:
        parsed.status = status
    parsed.services = _as_list(front.get("services"))
    parsed.tags = _as_list(front.get("tags"))
    parsed.authors = _as_list(front.get("authors") or front.get("author"))
    parsed.commander = str(front.get("commander") or "")
    for key in FACT_TIMES:
        moment = _as_moment(front.get(key), parsed, key)
        if moment:
            parsed.times[key] = moment
            parsed.time_notes[key] = _("front matter")
    if (day := front.get("date")) and "started_at" not in parsed.times:
        # A date (Jekyll's, Hugo's) dates the bare times of the timeline; with no timeline it
        # is the start.
        moment = _as_moment(day, parsed, "date")
        parsed.day = moment.date() if moment else None
    if parsed.is_hindsight_export:
        for raw in front.get("action_items") or []:
            if isinstance(raw, dict) and str(raw.get("title") or "").strip():
                parsed.action_items.append(_export_action_item(raw, parsed))
    unknown = [key for key in front if str(key) not in _KNOWN_KEYS]
    if unknown:
        kept = "\n".join(f"- {key}: {front[key]}" for key in unknown)
        _append_marked(parsed, _("Front matter"), kept)


def _export_action_item(raw: dict, parsed: ParsedPostmortem) -> ParsedActionItem:
    """An action item of Hindsight's export; values the app would refuse fall back to the
    defaults, with a warning."""
    item = ParsedActionItem(
        title=str(raw["title"]).strip()[:TITLE_MAX_LENGTH],
        description=str(raw.get("description") or ""),
        owner=str(raw.get("owner") or ""),
        resolution_note=str(raw.get("resolution_note") or ""),
        evidence_url=str(raw.get("evidence_url") or "").strip(),
        evidence_note=str(raw.get("evidence_note") or ""),
    )
    for name, choices in (
        ("priority", Priority.values),
        ("kind", ActionKind.values),
        ("status", ActionStatus.values),
    ):
        value = str(raw.get(name) or getattr(item, name))
        if value in choices:
            setattr(item, name, value)
        else:
            parsed.warnings.append(_unusable(item.title, name, value))
    if item.status == ActionStatus.WONT_DO and not item.resolution_note.strip():
        parsed.warnings.append(_unusable(item.title, "status", item.status))
        item.status = ActionStatus.OPEN
    # As the app: a prevent or detect fix is done only with evidence (a link or a note).
    if (
        item.status == ActionStatus.DONE
        and item.kind in EVIDENCE_KINDS
        and not (item.evidence_url or item.evidence_note.strip())
    ):
        parsed.warnings.append(_unusable(item.title, "status", item.status))
        item.status = ActionStatus.OPEN
    due = raw.get("due_date")
    try:
        due = date.fromisoformat(due) if isinstance(due, str) else due
    except ValueError:
        due = None
    if isinstance(due, date) and EARLIEST_DATE <= due <= LATEST_DATE:
        item.due_date = due
    elif raw.get("due_date"):
        parsed.warnings.append(_unusable(item.title, "due_date", raw.get("due_date")))
    url = str(raw.get("tracker_url") or "")
    try:
        if url:
            URLValidator(schemes=["http", "https"])(url)
        if len(url) > 500:
            raise ValidationError("too long")
        item.tracker_url = url
    except ValidationError:
        parsed.warnings.append(_unusable(item.title, "tracker_url", url[:100]))
        item.description = _joined(item.description, url)
    return item


def _unusable(title: str, name: str, value) -> str:
    return _("Action item “%(title)s”: %(name)s “%(value)s” cannot be used; the default is.") % {
        "title": title,
        "name": name,
        "value": value,
    }


def _meaningful_split(level: int, text: str, current: _Segment) -> tuple[bool, str | None]:
    """Whether a heading starts a part of its own, and its meaning. A deeper heading inside a
    section stays in it as a sub-heading ("### General" under "Lessons Learned"), unless it
    starts a timeline, action items or stats; any other heading starts a part of its own."""
    meaning = heading_meaning(text)
    inside_section = current.line and level > current.level
    if inside_section and (meaning is None or (meaning in _SECTION_FIELDS and current.meaning)):
        return False, meaning
    return True, meaning


def _export_split(level: int, text: str, current: _Segment) -> tuple[bool, str | None]:
    """Hindsight's export starts a part only at its own headings, so any heading written
    inside a section's text stays in it."""
    if level == 2:
        meaning = {str(section.title): section.field for section in SECTIONS}.get(text)
        meaning = meaning or {
            str(_("Customer impact")): "customer_impact",
            str(_("Action items")): "action_items",
        }.get(text)
        return meaning is not None, meaning
    if level == 3 and current.meaning == "timeline_narrative" and text == str(_("Timeline")):
        return True, "timeline"
    return False, None


def _heading_text(text: str) -> str:
    """A heading's text without the closing "#"s some write ("## Summary ##")."""
    text = text.strip()
    without = text.rstrip("#")
    if without != text and (not without or without[-1].isspace()):
        text = without.strip()
    return text


def _is_table_separator(line: str) -> bool:
    cells = line.strip().strip("|").split("|")
    return "-" in line and all(_SEPARATOR_CELL.fullmatch(cell.strip()) for cell in cells)


def _segments(numbered, parsed, split) -> list[_Segment]:
    """The body cut into parts at the headings ``split`` chooses."""
    segments = [_Segment("", 0, 0, None)]
    in_fence = title_seen = False
    for number, line in numbered:
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading is None:
            segments[-1].lines.append((number, line))
            continue
        level, text = len(heading["hashes"]), _heading_text(heading["text"] or "")
        if level == 1 and not title_seen and len(segments) == 1:
            title_seen = True
            parsed.title = parsed.title or _EMPHASIS.sub("", text).strip()
            parsed.placements.append(Placement(number, line, _("Incident title")))
            continue
        starts_part, meaning = split(level, text, segments[-1])
        if not starts_part:
            segments[-1].lines.append((number, line))
            continue
        segments.append(_Segment(text, level, number, meaning))
    return segments


def _append(sections: dict, field_name: str, text: str) -> None:
    text = text.strip("\n")
    if text.strip():
        sections[field_name] = (
            f"{sections[field_name]}\n\n{text}" if sections.get(field_name) else text
        )


def _append_marked(parsed, heading: str, text: str) -> None:
    # The file name as code: "issue.md" would otherwise be linked (.md is a country's domain).
    marker = _("*Imported from `%(file)s`: this part matched no section of a postmortem.*") % {
        "file": parsed.name.replace("`", "'")
    }
    _append(parsed.sections, FALLBACK_SECTION, f"### {heading}\n\n{marker}\n\n{text.strip()}")


def _text_of(lines) -> str:
    return "\n".join(line for _number, line in lines).strip("\n")


def _place(parsed, lines, target: str, *, understood: bool = True) -> None:
    parsed.placements.extend(
        Placement(number, line, target, understood) for number, line in lines if line.strip()
    )


def _read_segments(segments, parsed: ParsedPostmortem, zone: tzinfo) -> None:
    for segment in segments:
        if segment.line:
            parsed.placements.append(
                Placement(segment.line, f"{'#' * segment.level} {segment.heading}",
                          _meaning_label(segment.meaning), segment.meaning is not None)
            )  # fmt: skip
        meaning = segment.meaning
        if segment.line == 0:
            if any(line.strip() for _n, line in segment.lines):
                _append(parsed.sections, "summary", _text_of(segment.lines))
                _place(parsed, segment.lines, str(_section_title("summary")))
        elif meaning in _SECTION_FIELDS:
            # A second part with the same meaning keeps its heading ("Root cause" after
            # "Contributing factors").
            heading = f"### {segment.heading}\n\n" if parsed.sections.get(meaning) else ""
            _append(parsed.sections, meaning, heading + _text_of(segment.lines))
            _place(parsed, segment.lines, str(_section_title(meaning)))
        elif meaning == "customer_impact":
            parsed.customer_impact = _joined(parsed.customer_impact, _text_of(segment.lines))
            _place(parsed, segment.lines, _("Customer impact"))
        elif meaning == "timeline":
            _read_timeline(segment, parsed, zone)
        elif meaning == "action_items":
            _read_action_items(segment, parsed)
        elif meaning == "stats":
            _read_stats(segment, parsed)
        else:
            _append_marked(parsed, segment.heading, _text_of(segment.lines))
            _place(parsed, segment.lines, _meaning_label(None), understood=False)


def _joined(first: str, second: str) -> str:
    return f"{first}\n\n{second}".strip() if first else second.strip()


def _meaning_label(meaning: str | None) -> str:
    labels = {
        "timeline": _("Timeline"),
        "action_items": _("Action items"),
        "stats": _("Incident times (stats)"),
        "customer_impact": _("Customer impact"),
    }
    if meaning in _SECTION_FIELDS:
        return str(_section_title(meaning))
    if meaning in labels:
        return labels[meaning]
    return _("Not understood: kept in “%(section)s”, marked") % {
        "section": _section_title(FALLBACK_SECTION)
    }


# Timelines -------------------------------------------------------------------------------------


def _read_timeline(segment: _Segment, parsed: ParsedPostmortem, zone: tzinfo) -> None:
    # "All times in CET": said in the section's prose, not in its entries (which may each
    # name their own zone).
    section_zone = zone_named(
        " ".join(
            [segment.heading]
            + [
                line
                for _n, line in segment.lines
                if not (_TABLE_ROW.match(line) or _BULLET.match(line) or read_moment(line))
            ]
        )
    )
    narrative = []
    lines = segment.lines
    index = 0
    last_day = parsed.day
    while index < len(lines):
        number, line = lines[index]
        if (
            _TABLE_ROW.match(line)
            and index + 1 < len(lines)
            and _is_table_separator(lines[index + 1][1])
        ):
            end = index + 2
            while end < len(lines) and _TABLE_ROW.match(lines[end][1]):
                end += 1
            last_day = _read_table(
                lines[index:end], parsed, section_zone or zone, narrative, last_day
            )
            index = end
            continue
        bullet = _BULLET.match(line)
        if bullet and bullet["text"]:
            end = index + 1
            while end < len(lines) and _continues(lines[end][1], bullet["indent"]):
                end += 1
            item = [(number, bullet["text"])] + lines[index + 1 : end]
            entry_day = _read_bullet_entry(
                item, lines[index:end], parsed, section_zone or zone, last_day
            )
            if entry_day is None:
                narrative.extend(lines[index:end])
            else:
                last_day = entry_day
            index = end
            continue
        narrative.append((number, line))
        # A date on its own line ("### 2021-12-10", "**10 December**") dates the times below it.
        moment = read_moment(_EMPHASIS.sub("", line.lstrip("#")))
        if moment and moment.day and not moment.rest:
            last_day = moment.day
        index += 1
    if any(line.strip() for _n, line in narrative):
        _append(parsed.sections, "timeline_narrative", _text_of(narrative))
        _place(parsed, narrative, str(_section_title("timeline_narrative")))


def _continues(line: str, indent: str) -> bool:
    """A line that belongs to the list item above: indented deeper (a nested item included)."""
    return bool(line.strip()) and len(line) - len(line.lstrip()) > len(indent)


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row)]


_TIME_HEADER = re.compile(r"time|date|when|timestamp|^at$|hour", re.IGNORECASE)
_BODY_HEADER = re.compile(
    r"event|description|what|action|detail|summary|note|message", re.IGNORECASE
)


def _read_table(rows, parsed, zone, narrative, last_day):
    header = _cells(rows[0][1])
    zone = zone_named(rows[0][1]) or zone
    time_columns = [i for i, name in enumerate(header) if _TIME_HEADER.search(name)]
    body_columns = [i for i, name in enumerate(header) if i not in time_columns]
    preferred = [i for i in body_columns if _BODY_HEADER.search(header[i])]
    body_column = (preferred or body_columns or [None])[0]
    parsed.placements.append(Placement(rows[0][0], rows[0][1], _("Timeline table header")))
    parsed.placements.append(Placement(rows[1][0], rows[1][1], _("Timeline table header")))
    for number, row in rows[2:]:
        cells = _cells(row)
        cells += [""] * (len(header) - len(cells))
        when = " ".join(cells[i] for i in time_columns if i < len(cells))
        body_parts = (
            [cells[body_column]] if body_column is not None and body_column < len(cells) else []
        )
        body_parts += [
            f"({header[i]}: {cells[i]})" if header[i] else cells[i]
            for i in body_columns
            if i != body_column and i < len(cells) and cells[i]
        ]
        body_parts += cells[len(header) :]
        body = " ".join(part for part in body_parts if part)
        moment = read_moment(when) if time_columns else None
        entry_day = (
            _add_entry(parsed, moment, body, zone, last_day, number, row) if moment else None
        )
        if entry_day is None:
            narrative.append((number, row))
        else:
            last_day = entry_day
    return last_day


def _add_entry(parsed, moment: Moment, body: str, zone, last_day, number, line, **extra):
    """Add a timeline entry at ``moment``; None when it has no usable date (then the caller
    keeps the line as narrative)."""
    day = moment.day or last_day
    if day is None or not body.strip() or len(parsed.entries) >= MAX_TIMELINE_ENTRIES:
        return None
    occurred_at = localise(day, moment.clock, moment.zone or zone, moment.abbreviation)
    if not in_bounds(occurred_at):
        return None
    parsed.entries.append(ParsedEntry(occurred_at=occurred_at, body=body.strip(), **extra))
    target = _("Timeline entry") if moment.clock else _("Timeline entry (date only: at 00:00)")
    parsed.placements.append(Placement(number, line, target))
    return day


def _read_bullet_entry(item, raw_lines, parsed, zone, last_day):
    (number, first), *rest = item
    moment = read_moment(first)
    if moment is None:
        return None
    body = "\n".join([moment.rest, *(line.strip() for _n, line in rest)]).strip()
    day = _add_entry(parsed, moment, body, zone, last_day, number, raw_lines[0][1])
    if day is not None:
        _place(parsed, raw_lines[1:], _("Timeline entry"))
    return day


# Action items and stats ------------------------------------------------------------------------


def _read_action_items(segment: _Segment, parsed: ParsedPostmortem) -> None:
    prose = []
    lines = segment.lines
    index = 0
    while index < len(lines):
        number, line = lines[index]
        bullet = _BULLET.match(line)
        if bullet and not bullet["indent"]:
            end = index + 1
            while end < len(lines) and (
                _continues(lines[end][1], "")
                or (
                    not lines[end][1].strip()
                    and end + 1 < len(lines)
                    and _continues(lines[end + 1][1], "")
                )
            ):
                end += 1
            text = (bullet["text"] or "").strip()
            if not text:
                parsed.placements.append(Placement(number, line, _("Empty list item")))
            elif len(parsed.action_items) >= MAX_ACTION_ITEMS:
                prose.extend(lines[index:end])
                index = end
                continue
            else:
                details = "\n".join(_dedent(line) for _n, line in lines[index + 1 : end])
                parsed.action_items.append(_generic_action_item(text, details.strip("\n")))
                _place(parsed, lines[index:end], _("Action item (needs an owner)"))
            index = end
            continue
        prose.append((number, line))
        index += 1
    if any(line.strip() for _n, line in prose):
        _append(parsed.sections, "mitigations", _text_of(prose))
        _place(parsed, prose, str(_section_title("mitigations")))


def _dedent(line: str) -> str:
    return line[2:] if line.startswith("  ") else line


def _generic_action_item(text: str, details: str) -> ParsedActionItem:
    """ "**Title**: what it means" gives a title and a description; a long line is cut at a word
    for the title and kept whole in the description."""
    bold = re.match(r"^(\*\*|__)(?P<title>.+?)\1\s*:?\s*(?P<rest>.*)$", text)
    title, description = (bold["title"], bold["rest"]) if bold else (text, "")
    title = title.strip().rstrip(":").strip()
    if len(title) > TITLE_MAX_LENGTH:
        description = _joined(title, description)
        title = title[: TITLE_MAX_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    return ParsedActionItem(title=title, description=_joined(description, details))


def _read_stats(segment: _Segment, parsed: ParsedPostmortem) -> None:
    """Stats are kept as written (marked), and read where they can be placed: "Time to
    detection: 64 minutes" is a detected time, measured from the start; "Category" a tag."""
    _append_marked(parsed, segment.heading, _text_of(segment.lines))
    for number, line in segment.lines:
        if not line.strip():
            continue
        name, _colon, value = _EMPHASIS.sub("", line).lstrip(" -*+").partition(":")
        name, value = name.strip().lower(), value.strip()
        target = _("Kept as text in “%(section)s”, marked") % {
            "section": _section_title(FALLBACK_SECTION)
        }
        understood = False
        if name == "category" and value and len(value) <= 50 and not _unknown_value(value):
            parsed.tags.append(value)
            target, understood = _("Tag “%(tag)s” (and kept as text)") % {"tag": value}, True
        for words, time_field in _STAT_TIMES:
            if any(word in name for word in words) and (duration := read_duration(value)):
                parsed.stat_durations[time_field] = (duration, line.strip())
                target, understood = (
                    _("Incident time, measured from the start (and kept as text)"),
                    True,
                )
        parsed.placements.append(Placement(number, line, target, understood))


def _unknown_value(value: str) -> bool:
    return value.strip(" ?.").lower() in {
        "",
        "n/a",
        "na",
        "none",
        "unknown",
        "tbd",
        "xxx",
        "yyy",
        "zzz",
    }


# Hindsight's own export ------------------------------------------------------------------------


def _read_export_segments(segments, parsed: ParsedPostmortem, zone: tzinfo) -> None:
    """The export's layout, exactly: facts table under the title (the front matter holds the
    facts), "## <section title>" per section, "### Timeline" closing the narrative, and the
    action items (the front matter holds them)."""
    not_written = _("(not written)")
    for segment in segments:
        target_field = segment.meaning if segment.meaning in _SECTION_FIELDS else None
        if segment.line:
            parsed.placements.append(
                Placement(segment.line, f"{'#' * segment.level} {segment.heading}",
                          _meaning_label(target_field or segment.meaning))
            )  # fmt: skip
        if segment.line == 0:
            _place(parsed, segment.lines, _("Incident facts (front matter)"))
        elif target_field:
            text = _text_of(segment.lines).strip()
            if text != not_written:
                parsed.sections[target_field] = text
            _place(parsed, segment.lines, str(_section_title(target_field)))
        elif segment.meaning == "customer_impact":
            parsed.customer_impact = _text_of(segment.lines).strip()
            _place(parsed, segment.lines, _("Customer impact"))
        elif segment.meaning == "timeline":
            _read_export_timeline(segment, parsed, zone)
        elif segment.meaning == "action_items":
            _place(parsed, segment.lines, _("Action items (front matter)"))
        else:
            _append_marked(parsed, segment.heading, _text_of(segment.lines))
            _place(parsed, segment.lines, _meaning_label(None), understood=False)


def _read_export_timeline(segment: _Segment, parsed: ParsedPostmortem, zone: tzinfo) -> None:
    kinds = {str(label): value for value, label in TimelineKind.choices}
    kinds.update({value: value for value in TimelineKind.values})
    items: list[list] = []
    for number, line in segment.lines:
        if _EXPORT_ENTRY.match(line):
            items.append([(number, line)])
        elif items and line.startswith("  "):
            items[-1].append((number, line))
        elif line.strip() and line.strip() != _("(no timeline entries)"):
            items.append([(number, line)])
        elif line.strip():
            parsed.placements.append(Placement(number, line, _("Timeline (empty)")))
    for item in items:
        match = _EXPORT_ENTRY.match(item[0][1])
        moment = read_moment(match["when"]) if match else None
        if not match or moment is None or match["kind"] not in kinds:
            _append(parsed.sections, "timeline_narrative", _text_of(item))
            _place(parsed, item, str(_section_title("timeline_narrative")), understood=False)
            continue
        body = "\n".join([match["body"], *(line[2:] for _n, line in item[1:])])
        source = _EXPORT_SOURCE.search(body)
        source_url = source["url"] if source else ""
        body = body[: source.start()] if source else body
        day = _add_entry(
            parsed, moment, body, zone, None, item[0][0], item[0][1],
            kind=kinds[match["kind"]], source_url=source_url,
        )  # fmt: skip
        if day is None:
            _append(parsed.sections, "timeline_narrative", _text_of(item))
            _place(parsed, item, str(_section_title("timeline_narrative")), understood=False)
        else:
            _place(parsed, item[1:], _("Timeline entry"))


# The incident's times --------------------------------------------------------------------------


def _settle_times(parsed: ParsedPostmortem, today: datetime) -> None:
    """Start at the front matter's time or the first timeline entry; place stats' durations
    from the start; an incident with no end written ends at its last entry. Times out of order
    are left out, with a warning (their text is kept)."""
    times, notes = parsed.times, parsed.time_notes
    moments = sorted(entry.occurred_at for entry in parsed.entries)
    if "started_at" not in times:
        if moments:
            times["started_at"], notes["started_at"] = moments[0], _("first timeline entry")
        elif parsed.day:
            times["started_at"] = datetime.combine(parsed.day, datetime.min.time(), UTC)
            notes["started_at"] = _("front matter date")
        else:
            times["started_at"] = today
            notes["started_at"] = _("no date in the file: the import time; correct it after")
            parsed.warnings.append(
                _("No date found: the incident starts at the import time. Correct it after.")
            )
    started = times["started_at"]
    for time_field, (duration, line) in parsed.stat_durations.items():
        if time_field not in times:
            times[time_field] = started + duration
            notes[time_field] = _("“%(stat)s”, from the start") % {"stat": line.lstrip("-*+ ")}
    if not parsed.is_hindsight_export and "resolved_at" not in times:
        last = moments[-1] if moments else started
        times["resolved_at"] = max(
            last, times.get("mitigated_at") or last, times.get("detected_at") or last
        )
        notes["resolved_at"] = _("last timeline entry (the file gives no resolution time)")
    previous = started
    for time_field in FACT_TIMES[1:]:
        moment = times.get(time_field)
        if moment is None:
            continue
        if moment < previous or not in_bounds(moment):
            parsed.warnings.append(
                _("%(time)s (%(source)s) is before an earlier time of the incident: left out.")
                % {"time": IncidentField(time_field).label, "source": notes.get(time_field, "")}
            )
            del times[time_field]
            notes.pop(time_field, None)
        else:
            previous = moment
    if not parsed.status:
        parsed.status = (
            Status.RESOLVED if times.get("resolved_at")
            else Status.MITIGATED if times.get("mitigated_at")
            else Status.INVESTIGATING
        )  # fmt: skip
    if parsed.status == Status.RESOLVED and not times.get("resolved_at"):
        parsed.status = Status.MITIGATED if times.get("mitigated_at") else Status.INVESTIGATING
    if parsed.status == Status.MITIGATED and not times.get("mitigated_at"):
        parsed.status = Status.INVESTIGATING
