"""Files laid out otherwise than the shared samples: other headings, bullet timelines with
bare times, a zone named in the heading, Jekyll-style front matter."""

from datetime import UTC, datetime

import pytest

from imports.markdown import heading_meaning
from incidents.models import Incident
from tests.imports.conftest import import_files, upload

pytestmark = pytest.mark.django_db

JEKYLL_STYLE = """---
title: Login outage
date: 2024-05-02
tags: [auth, sso]
severity: sev2
owner_team: identity
---

Short intro paragraph before any heading.

## Impact
Users could not log in for 40 minutes.

## Root cause
An expired certificate.

## Timeline (all times PDT)

* 09:00 - Certificate expires
* 09:12 — Alerts fire
  (paged the on-call)
* 09:40: Certificate renewed

## What went well?
- Fast paging

## Follow-ups
1. [ ] Automate certificate renewal (@bob)
2. Add expiry alert

## Detection
Synthetic checks.
"""


@pytest.mark.parametrize(
    ("heading", "meaning"),
    [
        ("Summary", "summary"),
        ("Executive summary", "summary"),
        ("1. Overview", "summary"),
        ("Impact", "impact"),
        ("Customer impact", "customer_impact"),
        ("Timeline", "timeline"),
        ("Timeline (all times UTC)", "timeline"),
        ("Contributing Factors (findings)", "contributing_factors"),
        ("Root cause", "contributing_factors"),
        ("Root Causes", "contributing_factors"),
        ("Action Items", "action_items"),
        ("Follow-ups", "action_items"),
        ("Lessons Learned", "lessons_learned"),
        ("What went well?", "what_went_well"),
        ("What went wrong", "what_went_wrong"),
        ("Where we got lucky", "where_we_got_lucky"),
        ("**Stats**", "stats"),
        ("Attendees", None),
    ],
)
def test_headings_are_read_by_their_meaning(heading, meaning):
    assert heading_meaning(heading) == meaning


def test_a_jekyll_style_file_with_a_bullet_timeline(author_client):
    import_files(author_client, upload("login.md", JEKYLL_STYLE), time_zone="Europe/Oslo")
    incident = Incident.objects.get()
    assert incident.title == "Login outage"
    assert incident.severity == "SEV2"
    assert sorted(tag.name for tag in incident.tags.all()) == ["auth", "sso"]
    # Bare times dated by the front matter's date, in the zone the heading names (PDT = UTC-7).
    entries = [(e.occurred_at, e.body) for e in incident.timeline_entries.all()]
    assert entries == [
        (datetime(2024, 5, 2, 16, 0, tzinfo=UTC), "Certificate expires"),
        (datetime(2024, 5, 2, 16, 12, tzinfo=UTC), "Alerts fire\n(paged the on-call)"),
        (datetime(2024, 5, 2, 16, 40, tzinfo=UTC), "Certificate renewed"),
    ]
    assert incident.started_at == entries[0][0]
    assert incident.resolved_at == entries[-1][0]
    postmortem = incident.postmortem
    assert postmortem.summary == "Short intro paragraph before any heading."
    assert postmortem.impact == "Users could not log in for 40 minutes."
    assert postmortem.contributing_factors == "An expired certificate."
    assert postmortem.what_went_well == "- Fast paging"
    assert "- owner_team: identity" in postmortem.what_happened  # unknown front matter, kept
    assert "### Detection" in postmortem.what_happened
    items = list(postmortem.action_items.order_by("pk"))
    assert [(item.title, item.owner) for item in items] == [
        ("Automate certificate renewal (@bob)", None),
        ("Add expiry alert", None),
    ]
