"""Every long-text field has a generous cap, refused with a clear message and the text kept."""

import pytest
from django.urls import reverse

from actions.models import ActionItem
from core.forms import (
    ENTRY_MAX_LENGTH,
    LONG_TEXT_MAX_LENGTH,
    SECTION_MAX_LENGTH,
)
from incidents.models import TimelineEntry
from postmortems.models import Comment
from tests.actions.conftest import new_item_data
from tests.factories import IncidentFactory
from tests.postmortems.conftest import section_data

pytestmark = pytest.mark.django_db

TOO_LONG = "Keep this under"


def _assert_refused_and_kept(response, text):
    content = response.content.decode()
    assert response.status_code == 200
    assert TOO_LONG in content
    assert text[:200] in content  # the typed text is still in the form


def test_a_section_over_the_limit_is_refused_and_kept(author_client, postmortem):
    text = "a" * (SECTION_MAX_LENGTH + 1)
    response = author_client.post(
        reverse("postmortems:edit", args=[postmortem.incident.reference]),
        section_data(postmortem, summary=text),
    )
    _assert_refused_and_kept(response, text)
    postmortem.refresh_from_db()
    assert postmortem.summary != text
    assert 'maxlength="' not in response.content.decode()  # a paste is never cut short


def test_a_section_at_the_limit_is_saved(author_client, postmortem):
    text = "a " * (SECTION_MAX_LENGTH // 2)
    response = author_client.post(
        reverse("postmortems:edit", args=[postmortem.incident.reference]),
        section_data(postmortem, summary=text),
    )
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.summary == text


def test_a_comment_over_the_limit_is_refused(make_client, reviewer, postmortem):
    response = make_client(reviewer).post(
        reverse("postmortems:review", args=[postmortem.incident.reference]),
        {"action": "comment", "section": "", "body": "b" * (ENTRY_MAX_LENGTH + 1)},
    )
    assert TOO_LONG in response.content.decode()
    assert not Comment.objects.exists()


def test_a_timeline_entry_over_the_limit_is_refused_and_kept(author_client):
    incident = IncidentFactory()
    text = "c" * (ENTRY_MAX_LENGTH + 1)
    response = author_client.post(
        reverse("incidents:timeline-create", args=[incident.reference]),
        {
            "occurred_at": incident.started_at.strftime("%Y-%m-%dT%H:%M"),
            "kind": "note",
            "body": text,
        },
    )
    _assert_refused_and_kept(response, text)
    assert not TimelineEntry.objects.exists()


def test_customer_impact_over_the_limit_is_refused_and_kept(author_client):
    text = "d" * (LONG_TEXT_MAX_LENGTH + 1)
    response = author_client.post(
        reverse("incidents:create"),
        {
            "title": "Long impact",
            "severity": "SEV3",
            "status": "investigating",
            "started_at": "2026-03-01T10:00",
            "customer_impact": text,
            "tags": "",
        },
    )
    _assert_refused_and_kept(response, text)


def test_an_action_item_description_over_the_limit_is_refused(author_client, postmortem):
    response = author_client.post(
        reverse("actions:create", args=[postmortem.incident.reference]),
        new_item_data(description="e" * (LONG_TEXT_MAX_LENGTH + 1)),
    )
    assert TOO_LONG in response.content.decode()
    assert not ActionItem.objects.exists()
