import importlib
from urllib.parse import quote

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

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


NON_LATIN = ["сеть", "中文", "🔥", "🚀", "データベース"]


def test_tags_in_any_script_or_emoji_stay_apart(author_client):
    tags = Tag.from_names(NON_LATIN)
    assert len({tag.pk for tag in tags}) == len(NON_LATIN)
    by_name = {tag.name: tag.slug for tag in Tag.objects.all()}
    assert by_name["сеть"] == "сеть" and by_name["中文"] == "中文"
    assert by_name["🔥"].startswith("tag-") and by_name["🔥"] != by_name["🚀"]
    # Typed again, each name finds its own tag.
    assert [tag.pk for tag in Tag.from_names(NON_LATIN)] == [tag.pk for tag in tags]


def test_a_name_of_another_tags_old_slug_finds_its_own_tag():
    old = Tag.objects.create(name="café", slug="cafe")  # slugged before Unicode slugs
    assert Tag.from_names(["Café"]) == [old]


@pytest.mark.parametrize("name", NON_LATIN)
def test_the_list_search_and_insights_filter_by_a_non_latin_tag(name, author_client):
    tagged = IncidentFactory(title="Rollout broke login", started_at=timezone.now())
    tagged.tags.set(Tag.from_names([name]))
    other = IncidentFactory(title="Rollout of new office chairs", started_at=timezone.now())
    other.tags.set(Tag.from_names(["другое"]))
    slug = Tag.objects.get(name=name).slug

    page = author_client.get(reverse("incidents:list"))
    assert f'href="?tag={quote(slug)}"' in page.content.decode()
    response = author_client.get(f"{reverse('incidents:list')}?tag={quote(slug)}")
    assert [i.title for i in response.context["page"].object_list] == ["Rollout broke login"]

    response = author_client.get(reverse("search:results"), {"q": "rollout", "tag": slug})
    groups = {kind: results for kind, results, _count in response.context["groups"]}
    assert [i.title for i in groups["incidents"]] == ["Rollout broke login"]

    response = author_client.get(reverse("insights:index"), {"tag": slug})
    assert response.status_code == 200
    assert response.context["filter_form"].is_valid(), response.context["filter_form"].errors
    assert response.context["filter_form"].cleaned_data["tag"].name == name


def test_the_migration_gives_tags_slugged_tag_the_slug_of_their_own_name():
    migration = importlib.import_module("incidents.migrations.0005_tag_slugs_in_any_script")
    merged = Tag.objects.create(name="сеть", slug="tag")
    Tag.objects.create(name="deploy", slug="deploy")
    migration.resolve_fallback_slugs(django_apps, None)
    merged.refresh_from_db()
    assert merged.slug == "сеть"
    assert Tag.from_names(["сеть", "中文"])[0] == merged
    assert Tag.objects.count() == 3
