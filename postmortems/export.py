from django.template.loader import render_to_string

from incidents.selectors import incident_timeline
from postmortems.models import Postmortem
from postmortems.sections import strip_prompts


def postmortem_as_markdown(postmortem: Postmortem) -> str:
    """The whole postmortem as one Markdown file: incident facts, timeline and sections."""
    incident = postmortem.incident
    entries, _show_dates = incident_timeline(incident)
    for entry in entries:
        # Continuation lines of a list item are indented so the Markdown list stays intact.
        entry.export_body = "\n  ".join(entry.body.strip().splitlines())
    sections = [(section, strip_prompts(text)) for section, text, _html in postmortem.sections()]
    return render_to_string(
        "postmortems/postmortem_export.md",
        {
            "postmortem": postmortem,
            "incident": incident,
            "entries": entries,
            "services": incident.services.all(),
            "sections": sections,
        },
    )
