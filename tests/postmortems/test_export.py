from datetime import timedelta

import pytest
from django.urls import reverse

from incidents.models import TimelineKind
from postmortems.services import postmortem_save_sections
from tests.factories import ServiceFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db


def test_markdown_export_has_facts_timeline_and_sections(author_client, author, postmortem):
    incident = postmortem.incident
    incident.services.set([ServiceFactory(name="Checkout")])
    TimelineEntryFactory(
        incident=incident,
        occurred_at=incident.started_at + timedelta(minutes=5),
        kind=TimelineKind.BLIND_ALLEY,
        body="Suspected DNS.\nIt was not DNS.",
    )
    postmortem_save_sections(
        postmortem_id=postmortem.pk,
        editor=author,
        texts={"summary": "Checkout broke for **an hour**.", "impact": "Orders failed."},
        loaded_version=postmortem.version,
    )
    response = author_client.get(reverse("postmortems:export", args=[incident.reference]))
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="{incident.reference}-postmortem.md"'
    )
    text = response.content.decode()
    front_matter, body = text.removeprefix("---\n").split("\n---\n", 1)
    assert f"reference: {incident.reference}\n" in front_matter
    assert "severity: SEV2\n" in front_matter
    assert body.startswith(f"# Postmortem: Checkout outage ({incident.reference})")
    assert "| Severity | SEV2 — major |" in text
    assert "| Services | Checkout |" in text
    assert "| Time to detect | 5 min |" in text
    assert "## Summary\n\nCheckout broke for **an hour**." in text
    assert "## Impact\n\nOrders failed." in text
    assert "[Blind alley] Suspected DNS.\n  It was not DNS." in text
    assert "<!--" not in text  # template prompts are not exported
    assert "## Lessons learned\n\n(not written)" in text
    assert "&lt;" not in text and "&#x27;" not in text  # plain Markdown, not HTML-escaped
