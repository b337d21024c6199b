from datetime import timedelta

import pytest
from django.urls import reverse

from incidents.models import TimelineKind
from postmortems.services import postmortem_save_sections
from tests.factories import PostmortemFactory, TimelineEntryFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_document_shows_durations_and_the_timeline_with_its_alleys_and_paths(
    author_client, postmortem
):
    incident = postmortem.incident
    alley = TimelineEntryFactory(
        incident=incident,
        kind=TimelineKind.BLIND_ALLEY,
        body="Blamed the CDN",
        occurred_at=incident.started_at + timedelta(minutes=20),
    )
    TimelineEntryFactory(
        incident=incident,
        kind=TimelineKind.GOLDEN_PATH,
        body="Found the bad flag",
        occurred_at=incident.started_at + timedelta(minutes=10),
    )
    response = author_client.get(postmortem.get_absolute_url())
    content = response.content.decode()
    assert 'data-duration="detect">5 min<' in content
    assert content.index("Found the bad flag") < content.index("Blamed the CDN")
    assert "kind-blind_alley" in content and "kind-golden_path" in content
    # Editing an entry is one click from the document.
    edit_entry = reverse("incidents:timeline-update", args=[incident.reference, alley.pk])
    assert f'href="{edit_entry}"' in content


def test_the_postmortem_list_shows_postmortems_and_an_empty_state(author_client):
    assert "No postmortems yet." in author_client.get(reverse("postmortems:list")).content.decode()
    postmortem = PostmortemFactory(incident__title="Disk full on db-3", status="in_review")
    content = author_client.get(reverse("postmortems:list")).content.decode()
    assert "Disk full on db-3" in content
    assert postmortem.get_absolute_url() in content


def test_postmortem_page_queries_do_not_grow_with_timeline_or_revisions(
    author_client, author, postmortem, django_assert_max_num_queries
):
    def grow(entries, revisions):
        TimelineEntryFactory.create_batch(entries, incident=postmortem.incident)
        for n in range(revisions):
            postmortem.refresh_from_db()
            postmortem_save_sections(
                postmortem_id=postmortem.pk,
                editor=author,
                texts={"summary": f"text {n} {entries}"},
                loaded_version=postmortem.version,
            )

    grow(2, 1)
    with django_assert_max_num_queries(19) as few:
        author_client.get(postmortem.get_absolute_url())
    grow(40, 25)
    postmortem.co_authors.add(*UserFactory.create_batch(3))
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        author_client.get(postmortem.get_absolute_url())


def test_postmortem_list_queries_do_not_grow(author_client, django_assert_max_num_queries):
    PostmortemFactory.create_batch(3)
    # Session, user, roles, the count, the bell's unread count, the teams for the filter.
    with django_assert_max_num_queries(6) as few:
        author_client.get(reverse("postmortems:list"))
    PostmortemFactory.create_batch(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        author_client.get(reverse("postmortems:list"))
