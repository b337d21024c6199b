"""A postmortem as one Markdown file. YAML front matter carries what the body shows only for
reading (the incident's facts, who wrote it, the action items' tracking), so that importing the
file (imports/markdown.py) gives back the same incident, timeline, sections and action items."""

import yaml
from django.template.loader import render_to_string
from django.utils import timezone

from incidents.selectors import incident_timeline
from postmortems.models import Postmortem
from postmortems.sections import strip_prompts

EXPORT_FORMAT_VERSION = 1


def postmortem_as_markdown(postmortem: Postmortem, *, action_items=()) -> str:
    """The whole postmortem: front matter, incident facts, timeline, sections and the given
    action items (the actions app, above this one, passes them in). Times in the body are in
    the active time zone, which the front matter names."""
    incident = postmortem.incident
    entries, _show_dates = incident_timeline(incident)
    for entry in entries:
        entry.export_time = export_moment(entry.occurred_at)
        # Continuation lines of a list item are indented so the Markdown list stays intact.
        entry.export_body = "\n  ".join(entry.body.strip().splitlines())
    sections = [(section, strip_prompts(text)) for section, text, _html in postmortem.sections()]
    services = list(incident.services.all())
    return render_to_string(
        "postmortems/postmortem_export.md",
        {
            "front_matter": _front_matter(postmortem, services, action_items),
            "postmortem": postmortem,
            "incident": incident,
            "entries": entries,
            "services": services,
            "sections": sections,
            "action_items": action_items,
        },
    )


def export_moment(moment) -> str:
    """A time as the body writes it: minutes, seconds only when it has some, and the zone's
    abbreviation, which tells the two 02:30s of a night the clocks go back apart."""
    local = timezone.localtime(moment)
    shown = local.strftime("%Y-%m-%d %H:%M")
    if local.second or local.microsecond:
        shown += local.strftime(":%S.%f" if local.microsecond else ":%S")
    return f"{shown} {local.tzname()}"


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _front_matter(postmortem: Postmortem, services, action_items) -> str:
    incident = postmortem.incident
    front = {
        "hindsight": EXPORT_FORMAT_VERSION,
        "reference": incident.reference,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "postmortem_status": postmortem.status,
        "services": [service.name for service in services],
        "tags": [tag.name for tag in incident.tags.all()],
        "started_at": _iso(incident.started_at),
        "detected_at": _iso(incident.detected_at),
        "mitigated_at": _iso(incident.mitigated_at),
        "resolved_at": _iso(incident.resolved_at),
        "commander": incident.commander.username if incident.commander else None,
        "authors": [postmortem.author.username]
        + [person.username for person in postmortem.co_authors.all()],
        "time_zone": timezone.get_current_timezone_name(),
        "action_items": [
            {
                "title": item.title,
                "description": item.description,
                "owner": item.owner.username if item.owner else None,
                "due_date": item.due_date.isoformat() if item.due_date else None,
                "priority": item.priority,
                "kind": item.kind,
                "status": item.status,
                "resolution_note": item.resolution_note,
                "evidence_url": item.evidence_url,
                "evidence_note": item.evidence_note,
                "tracker_url": item.tracker_url,
            }
            for item in action_items
        ],
    }
    return yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=100)
