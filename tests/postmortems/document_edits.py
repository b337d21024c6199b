"""Every way to change a postmortem's document, through the views: its sections, its incident's
timeline and facts, its action items' text. Each returns the response."""

from datetime import timedelta

from django.urls import reverse

from incidents.models import TimelineKind
from tests.actions.conftest import edit_data, new_item_data
from tests.factories import TimelineEntryFactory
from tests.postmortems.conftest import section_data


def _minute(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def edit_section(client, postmortem, text="Rewritten summary."):
    postmortem.refresh_from_db()
    url = reverse("postmortems:edit-section", args=[postmortem.incident.reference, "summary"])
    return client.post(url, {"version": postmortem.version, "summary": text})


def edit_all_sections(client, postmortem, text="Rewritten impact."):
    postmortem.refresh_from_db()
    url = reverse("postmortems:edit", args=[postmortem.incident.reference])
    return client.post(url, section_data(postmortem, impact=text))


def restore_revision(client, postmortem):
    url = reverse("postmortems:restore", args=[postmortem.incident.reference, 1])
    return client.post(url)


def add_timeline_entry(client, postmortem, body="Paged the database team."):
    incident = postmortem.incident
    url = reverse("incidents:timeline-create", args=[incident.reference])
    return client.post(
        url,
        {
            "occurred_at": _minute(incident.started_at + timedelta(minutes=15)),
            "kind": TimelineKind.NOTE,
            "body": body,
        },
    )


def _entry(postmortem, author):
    return TimelineEntryFactory(incident=postmortem.incident, author=author, body="First clue.")


def edit_timeline_entry(client, postmortem, entry, body="A better clue."):
    url = reverse("incidents:timeline-update", args=[postmortem.incident.reference, entry.pk])
    entry.refresh_from_db()
    return client.post(
        url,
        {
            "occurred_at": _minute(entry.occurred_at),
            "kind": entry.kind,
            "body": body,
            "source_url": "",
            "version": entry.updated_at.isoformat(),
        },
    )


def delete_timeline_entry(client, postmortem, entry):
    url = reverse("incidents:timeline-delete", args=[postmortem.incident.reference, entry.pk])
    return client.post(url)


def incident_form_data(incident, **overrides) -> dict:
    incident.refresh_from_db()
    data = {
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "services": [s.pk for s in incident.services.all()],
        "started_at": _minute(incident.started_at),
        "detected_at": _minute(incident.detected_at),
        "mitigated_at": _minute(incident.mitigated_at),
        "resolved_at": _minute(incident.resolved_at),
        "customer_impact": incident.customer_impact,
        "version": incident.updated_at.isoformat(),
        **overrides,
    }
    return data


def edit_incident_title(client, postmortem, title="Checkout outage (card payments)"):
    incident = postmortem.incident
    url = reverse("incidents:update", args=[incident.reference])
    return client.post(url, incident_form_data(incident, title=title))


def add_action_item(client, postmortem, title="Alert on timeout unit mismatches", owner=None):
    url = reverse("actions:create", args=[postmortem.incident.reference])
    return client.post(url, new_item_data(title=title, owner=owner.pk if owner else ""))


def edit_action_item_title(client, item, title="Validate timeouts in CI"):
    item.refresh_from_db()
    return client.post(reverse("actions:update", args=[item.pk]), edit_data(item, title=title))


def complete_action_item(client, item):
    return client.post(
        reverse("actions:status", args=[item.pk]), {"status": "done", "evidence_note": "Shipped"}
    )
