import pytest
from django.urls import reverse

from incidents.models import Incident, Tag
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_tags_are_typed_free_form_and_reused(author_client):
    data = {
        "title": "DNS outage",
        "severity": "SEV2",
        "status": "investigating",
        "started_at": "2026-03-01T10:00",
        "tags": "DNS, deploy ,dns,  ",
        "version": "",
    }
    author_client.post(reverse("incidents:create"), data)
    incident = Incident.objects.get()
    assert sorted(t.name for t in incident.tags.all()) == ["deploy", "dns"]
    author_client.post(reverse("incidents:create"), {**data, "title": "Second", "tags": "dns"})
    assert Tag.objects.count() == 2


def test_editing_shows_and_replaces_tags(author_client):
    incident = IncidentFactory()
    incident.tags.set(Tag.from_names(["capacity"]))
    page = author_client.get(reverse("incidents:update", args=[incident.reference])).content
    assert b'value="capacity"' in page


def test_an_overlong_tag_is_refused_with_its_name(author_client):
    response = author_client.post(
        reverse("incidents:create"),
        {
            "title": "x",
            "severity": "SEV2",
            "status": "investigating",
            "started_at": "2026-03-01T10:00",
            "tags": "a" * 60,
            "version": "",
        },
    )
    assert "Keep each tag under 50 characters" in response.content.decode()


def test_the_incident_list_filters_by_tag(author_client):
    tagged = IncidentFactory(title="Tagged")
    tagged.tags.set(Tag.from_names(["deploy"]))
    IncidentFactory(title="Untagged")
    response = author_client.get(reverse("incidents:list"), {"tag": "deploy"})
    assert [i.title for i in response.context["page"].object_list] == ["Tagged"]
    assert "#deploy" in response.content.decode()


def test_search_filters_by_tag(author_client):
    tagged = IncidentFactory(title="Rollout broke login")
    tagged.tags.set(Tag.from_names(["deploy"]))
    IncidentFactory(title="Rollout of new office chairs")
    response = author_client.get(reverse("search:results"), {"q": "rollout", "tag": "deploy"})
    groups = {kind: results for kind, results, _count in response.context["groups"]}
    assert [i.title for i in groups["incidents"]] == ["Rollout broke login"]
