"""Reading dates, times, time zones and durations as people write them in postmortems and
chat: "2021-08-26 09:26", "9:15pm PST", "All times in CET", "UTC+2", "64 minutes". Every
pattern is linear in its text (no repeats that could backtrack), as files may be large."""

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import timezone as dt_timezone

from core.dates import EARLIEST_DATE, LATEST_DATE

# Abbreviations people write after times, read as the zone they name (CET follows summer time).
ZONE_ABBREVIATIONS = {
    "UTC": "UTC", "GMT": "UTC", "Z": "UTC",
    "CET": "CET", "CEST": "CET", "EET": "EET", "EEST": "EET", "WET": "WET", "WEST": "WET",
    "BST": "Europe/London", "IST": "Asia/Kolkata", "JST": "Asia/Tokyo",
    "EST": "America/New_York", "EDT": "America/New_York",
    "CST": "America/Chicago", "CDT": "America/Chicago",
    "MST": "America/Denver", "MDT": "America/Denver",
    "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
    "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney",
    "NZST": "Pacific/Auckland", "NZDT": "Pacific/Auckland",
}  # fmt: skip
ZONE_WORD = re.compile(
    r"(?<![A-Za-z])(?:(?P<offset>(?:UTC|GMT)\s?[+-]\s?\d{1,2}(?::?\d{2})?)"
    r"|(?P<iana>[A-Z][A-Za-z_]{1,30}/[A-Za-z_/+-]{1,40})"
    r"|(?P<abbr>" + "|".join(sorted(ZONE_ABBREVIATIONS, key=len, reverse=True)) + r"))(?![A-Za-z])"
)
_DATE = r"(?P<date>\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2})"
_TIME = r"(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?|--:--)\s*(?P<ampm>[AaPp][Mm])?"
_MOMENT = re.compile(rf"^{_DATE}?(?:(?:[T ]|\s+)?{_TIME})?")
_DURATION = re.compile(
    r"(?P<amount>\d{1,9}(?:[.,]\d{1,6})?)\s?(?P<unit>seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|"
    r"days?|d)\b",
    re.IGNORECASE,
)


def zone_named(text: str) -> tzinfo | None:
    """The time zone a piece of text names ("All times in CET", "UTC+2", "Europe/Oslo")."""
    for match in ZONE_WORD.finditer(text):
        if match["abbr"]:
            return zoneinfo.ZoneInfo(ZONE_ABBREVIATIONS[match["abbr"]])
        if match["iana"]:
            try:
                return zoneinfo.ZoneInfo(match["iana"])
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
        if match["offset"]:
            return fixed_offset(match["offset"])
    return None


def fixed_offset(text: str) -> tzinfo | None:
    sign_match = re.search(r"([+-])\s?(\d{1,2})(?::?(\d{2}))?", text)
    if not sign_match:
        return None
    hours, minutes = int(sign_match[2]), int(sign_match[3] or 0)
    if hours > 14 or minutes > 59:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    return dt_timezone(-offset if sign_match[1] == "-" else offset)


def in_bounds(moment: datetime) -> bool:
    return EARLIEST_DATE <= moment.astimezone(UTC).date() <= LATEST_DATE


def read_date(text: str) -> date | None:
    try:
        year, month, day = (int(part) for part in re.split(r"[-/]", text))
        found = date(year, month, day)
    except ValueError:
        return None
    return found if EARLIEST_DATE <= found <= LATEST_DATE else None


def read_time(text: str, ampm: str | None):
    parts = text.split(":")
    try:
        hour, minute = int(parts[0]), int(parts[1])
        seconds = float(parts[2]) if len(parts) > 2 else 0.0
    except ValueError:
        return None
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    if hour > 23 or minute > 59 or seconds >= 60:
        return None
    whole = int(seconds)
    return hour, minute, whole, round((seconds - whole) * 1_000_000)


def localise(day: date, clock, zone: tzinfo, abbreviation: str = "") -> datetime:
    """The moment at ``clock`` on ``day`` in ``zone``; in the hour a clock goes back, the zone
    abbreviation written beside the time (CEST or CET) says which of the two is meant."""
    hour, minute, second, micro = clock or (0, 0, 0, 0)
    moment = datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=zone)
    if abbreviation and moment.tzname() != abbreviation:
        other = moment.replace(fold=1)
        if other.tzname() == abbreviation:
            return other
    return moment


@dataclass
class Moment:
    """A date and time read from the start of some text, and the text after it."""

    day: date | None
    clock: tuple | None
    zone: tzinfo | None
    abbreviation: str
    rest: str


def read_moment(text: str) -> Moment | None:
    stripped = text.strip().lstrip("[(").strip()
    stripped = re.sub(r"^\*\*|^__", "", stripped)
    match = _MOMENT.match(stripped)
    if not match or not (match["date"] or (match["time"] and match["time"] != "--:--")):
        return None
    day = read_date(match["date"]) if match["date"] else None
    if match["date"] and day is None:
        return None
    clock = None
    if match["time"] and match["time"] != "--:--":
        clock = read_time(match["time"], match["ampm"])
        if clock is None:
            return None
    rest = stripped[match.end() :]
    zone, abbreviation = None, ""
    zone_match = re.match(r"\s*" + ZONE_WORD.pattern, rest)
    if zone_match:
        zone = zone_named(zone_match.group(0))
        abbreviation = zone_match["abbr"] or ""
        rest = rest[zone_match.end() :]
    rest = re.sub(r"^(\*\*|__)?[\])]?(\*\*|__)?\s*(?:[-–—:|,]\s*)?", "", rest)
    return Moment(day, clock, zone, abbreviation, rest.strip())


def read_duration(value: str) -> timedelta | None:
    total = timedelta()
    for match in _DURATION.finditer(value):
        amount = float(match["amount"].replace(",", "."))
        unit = match["unit"].lower()[0]
        total += {"s": timedelta(seconds=amount), "m": timedelta(minutes=amount),
                  "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]  # fmt: skip
    return total if total and total < timedelta(days=3650) else None
