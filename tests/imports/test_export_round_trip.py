"""Hindsight's own export imports back as the same incident: facts, timeline, sections and
action items, whatever the exporting person's time zone (even across the hour the clocks go
back, where only the zone's abbreviation tells the two 02:30s apart)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from actions.services import action_item_create, action_item_set_status
from incidents.models import Incident, TimelineKind
from incidents.services import incident_create, timeline_entry_create
from postmortems.sections import strip_prompts
from postmortems.services import (
    postmortem_create,
    postmortem_save_sections,
    postmortem_set_co_authors,
)
from tests.factories import ServiceFactory, UserFactory
from tests.imports.conftest import import_files, upload

pytestmark = pytest.mark.django_db

# 26 October 2025: Copenhagen's clocks go back from 03:00 CEST to 02:00 CET.
FIRST_0230 = datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 02:30 CEST
SECOND_0230 = datetime(2025, 10, 26, 1, 30, tzinfo=UTC)  # 02:30 CET


@pytest.fixture
def original(author):
    commander = UserFactory(username="commander")
    co_author = UserFactory(username="coauthor")
    owner = UserFactory(username="owner")
    ServiceFactory(name="Checkout")
    ServiceFactory(name="Payments")
    incident = incident_create(
        created_by=author,
        title="Checkout: 502s after the proxy change",
        severity="SEV1",
        status="resolved",
        started_at=datetime(2025, 10, 26, 0, 5, 7, tzinfo=UTC),
        detected_at=FIRST_0230,
        mitigated_at=SECOND_0230,
        resolved_at=datetime(2025, 10, 26, 4, 0, tzinfo=UTC),
        customer_impact="Card payments failed for **40 minutes**.",
        commander=commander,
        services=list(ServiceFactory._meta.model.objects.all()),
        tags=["proxy", "dns"],
    )
    postmortem = postmortem_create(incident=incident, author=author, template=None)
    postmortem_set_co_authors(postmortem=postmortem, actor=author, co_authors=[co_author])
    postmortem_save_sections(
        postmortem_id=postmortem.pk,
        editor=author,
        texts={
            "summary": "A proxy change broke checkout.\n\n## Not a section\n\nJust a heading.",
            "impact": "Orders failed: see the [dashboard](https://example.com/d).",
            "what_happened": "| a | b |\n|---|---|\n| 1 | 2 |",
            "lessons_learned": "- Canary first\n  - then the rest",
        },
        loaded_version=postmortem.version,
    )
    for when, kind, body, url in [
        (FIRST_0230, TimelineKind.DETECTION, "Alert fired.", ""),
        (SECOND_0230, TimelineKind.MITIGATION, "Rolled back.\n\n  Indented code\n- a list", ""),
        (
            datetime(2025, 10, 26, 2, 0, 9, tzinfo=UTC),
            TimelineKind.BLIND_ALLEY,
            "Suspected DNS (it was not)",
            "https://chat.example.com/m/1",
        ),
    ]:
        timeline_entry_create(
            incident=incident, author=author, occurred_at=when, kind=kind, body=body, source_url=url
        )
    owned = action_item_create(
        postmortem=postmortem,
        created_by=author,
        title="Canary the proxy",
        owner=owner,
        due_date=date(2026, 4, 1),
        priority="P1",
        kind="prevent",
        description="Roll out to **5%** first.",
        tracker_url="https://tracker.example.com/OPS-12",
    )
    done = action_item_create(postmortem=postmortem, created_by=author, title="Page on 502s")
    action_item_set_status(
        item=done, status="done", changed_by=author, note="Alert added.", evidence_note="Paged."
    )
    wont = action_item_create(postmortem=postmortem, created_by=author, title="Rewrite proxy")
    action_item_set_status(item=wont, status="wont_do", changed_by=author, note="Too costly.")
    assert owned.owner == owner
    return incident


def facts(incident: Incident) -> dict:
    incident = Incident.objects.get(pk=incident.pk)
    return {
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "times": [
            incident.started_at,
            incident.detected_at,
            incident.mitigated_at,
            incident.resolved_at,
        ],
        "customer_impact": incident.customer_impact,
        "commander": incident.commander,
        "services": sorted(service.name for service in incident.services.all()),
        "tags": sorted(tag.name for tag in incident.tags.all()),
        "timeline": [
            (entry.occurred_at, entry.kind, entry.body, entry.source_url)
            for entry in incident.timeline_entries.all()
        ],
        "sections": {
            field: strip_prompts(text)
            for field, text in incident.postmortem.section_texts().items()
        },
        "co_authors": sorted(person.username for person in incident.postmortem.co_authors.all()),
        "action_items": sorted(
            (
                item.title,
                item.description,
                item.owner_id,
                item.due_date,
                item.priority,
                item.kind,
                item.status,
                item.resolution_note,
                item.tracker_url,
            )
            for item in incident.postmortem.action_items.all()
        ),  # fmt: skip
    }


@pytest.mark.parametrize("zone", ["Europe/Copenhagen", "Pacific/Auckland", ""])
def test_export_then_import_gives_the_same_incident(author, author_client, original, zone):
    author.time_zone = zone
    author.save()
    response = author_client.get(reverse("postmortems:export", args=[original.reference]))
    exported = response.content.decode()
    assert exported.startswith("---\nhindsight: 1\n")

    import_files(author_client, upload(response["Content-Disposition"].split('"')[1], exported))

    copy = Incident.objects.exclude(pk=original.pk).get()
    assert copy.reference != original.reference
    assert facts(copy) == facts(original)
    assert copy.postmortem.author == author
    # It was written through the services: the sections' revision names the file.
    assert copy.postmortem.revisions.filter(note__startswith="Imported from").exists()


def test_the_export_writes_each_0230_with_its_zone(author, author_client, original):
    author.time_zone = "Europe/Copenhagen"
    author.save()
    exported = author_client.get(reverse("postmortems:export", args=[original.reference]))
    text = exported.content.decode()
    assert "- **2025-10-26 02:30 CEST** [Detection] Alert fired." in text
    assert "- **2025-10-26 02:30 CET** [Mitigation] Rolled back." in text
    assert "- **2025-10-26 03:00:09 CET** [Blind alley]" in text
    assert "time_zone: Europe/Copenhagen\n" in text


def test_importing_the_same_export_twice_imports_it_once(author_client, original):
    exported = author_client.get(reverse("postmortems:export", args=[original.reference])).content
    import_files(author_client, upload("first.md", exported))
    # Saved again with Windows line endings: still the same postmortem.
    again = import_files(author_client, upload("again.md", exported.replace(b"\n", b"\r\n")))
    assert Incident.objects.count() == 2
    assert again.files.get().incident is None
    page = author_client.get(reverse("imports:markdown-preview", args=[again.pk])).content.decode()
    assert "Already imported as" in page


def test_an_owner_without_an_account_here_leaves_the_item_needing_one(author_client, original):
    exported = author_client.get(reverse("postmortems:export", args=[original.reference]))
    text = exported.content.decode().replace("owner: owner", "owner: someone-elsewhere")
    text = text.replace(f"reference: {original.reference}", "reference: OTHER-1")
    import_files(author_client, upload("elsewhere.md", text))
    copy = Incident.objects.exclude(pk=original.pk).get()
    item = copy.postmortem.action_items.get(title="Canary the proxy")
    assert item.owner is None
    assert item.due_date == date(2026, 4, 1)
    assert copy.started_at - original.started_at == timedelta(0)
