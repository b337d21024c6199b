from datetime import timedelta

import pytest
from django.urls import reverse

from incidents.models import TimelineEntry, TimelineKind
from tests.factories import IncidentFactory, TimelineEntryFactory, UserFactory

pytestmark = pytest.mark.django_db


def _add_url(incident):
    return reverse("incidents:timeline-create", args=[incident.reference])


def _local(moment):
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_adding_an_entry_with_htmx_returns_the_updated_timeline(author_client, author):
    incident = IncidentFactory()
    response = author_client.post(
        _add_url(incident),
        {
            "occurred_at": _local(incident.started_at),
            "kind": TimelineKind.BLIND_ALLEY,
            "body": "Restarted the **cache**; no change.",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="timeline-section"' in content
    assert "<strong>cache</strong>" in content
    assert 'data-kind="blind_alley"' in content
    assert "<html" not in content  # a partial, not the whole page
    entry = TimelineEntry.objects.get()
    assert entry.author == author and entry.incident == incident


def test_adding_an_entry_without_javascript_redirects_back_to_it(author_client):
    incident = IncidentFactory()
    response = author_client.post(
        _add_url(incident),
        {"occurred_at": _local(incident.started_at), "kind": TimelineKind.NOTE, "body": "Noted."},
    )
    entry = TimelineEntry.objects.get()
    assert response.status_code == 302
    assert response.url == f"{incident.get_absolute_url()}#entry-{entry.pk}"


def test_an_invalid_entry_keeps_the_typed_text_and_names_the_error(author_client):
    incident = IncidentFactory()
    response = author_client.post(
        _add_url(incident),
        {"occurred_at": "", "kind": TimelineKind.DETECTION, "body": "Alert fired at last"},
        HTTP_HX_REQUEST="true",
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in content
    assert "Alert fired at last" in content
    assert not TimelineEntry.objects.exists()


def test_entries_show_in_time_order_whatever_order_they_were_added(author_client):
    incident = IncidentFactory()
    start = incident.started_at
    for minutes, body in [(30, "third"), (5, "first"), (10, "second")]:
        TimelineEntryFactory(
            incident=incident, occurred_at=start + timedelta(minutes=minutes), body=body
        )
    entries = author_client.get(incident.get_absolute_url()).context["entries"]
    assert [e.body for e in entries] == ["first", "second", "third"]


def test_dates_are_shown_only_when_the_incident_spans_several_days(author_client):
    incident = IncidentFactory(
        started_at=IncidentFactory().started_at.replace(hour=9),
        resolved_at=None,
        mitigated_at=None,
        detected_at=None,
        status="investigating",
    )
    TimelineEntryFactory(incident=incident, occurred_at=incident.started_at + timedelta(hours=1))
    same_day = author_client.get(incident.get_absolute_url())
    assert same_day.context["show_dates"] is False
    TimelineEntryFactory(incident=incident, occurred_at=incident.started_at + timedelta(days=1))
    two_days = author_client.get(incident.get_absolute_url())
    assert two_days.context["show_dates"] is True
    assert (incident.started_at + timedelta(days=1)).strftime(
        "%Y-%m-%d %H:%M"
    ) in two_days.content.decode()


def test_blind_alleys_and_golden_paths_are_visibly_distinct(author_client):
    incident = IncidentFactory()
    TimelineEntryFactory(incident=incident, kind=TimelineKind.BLIND_ALLEY, body="Wrong lead")
    TimelineEntryFactory(incident=incident, kind=TimelineKind.GOLDEN_PATH, body="Right lead")
    content = author_client.get(incident.get_absolute_url()).content.decode()
    assert "kind-blind_alley" in content and "Blind alley" in content and "Wrong lead" in content
    assert "kind-golden_path" in content and "Golden path" in content


def test_the_entry_author_can_edit_it(make_client):
    writer = UserFactory()
    entry = TimelineEntryFactory(author=writer, body="typo hre")
    client = make_client(writer)
    url = reverse("incidents:timeline-update", args=[entry.incident.reference, entry.pk])
    response = client.post(
        url,
        {
            "occurred_at": _local(entry.occurred_at),
            "kind": entry.kind,
            "body": "typo here",
            "version": entry.updated_at.isoformat(),
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.body == "typo here" and "typo here" in entry.body_html


def test_someone_else_without_a_role_cannot_edit_or_delete_an_entry(make_client, outsider):
    entry = TimelineEntryFactory(body="kept")
    client = make_client(outsider)
    ref = entry.incident.reference
    assert client.get(reverse("incidents:timeline-update", args=[ref, entry.pk])).status_code == 403
    assert (
        client.post(reverse("incidents:timeline-delete", args=[ref, entry.pk])).status_code == 403
    )
    assert TimelineEntry.objects.filter(pk=entry.pk, body="kept").exists()


def test_deleting_asks_for_confirmation_first(make_client):
    writer = UserFactory()
    entry = TimelineEntryFactory(author=writer)
    client = make_client(writer)
    url = reverse("incidents:timeline-delete", args=[entry.incident.reference, entry.pk])
    confirm = client.get(url)
    assert "Delete this timeline entry?" in confirm.content.decode()
    assert TimelineEntry.objects.filter(pk=entry.pk).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert not TimelineEntry.objects.filter(pk=entry.pk).exists()
    assert TimelineEntry.all_objects.filter(pk=entry.pk).exists()  # hidden, kept


def test_an_entry_cannot_be_reached_through_another_incidents_reference(make_client):
    writer = UserFactory()
    entry = TimelineEntryFactory(author=writer)
    other = IncidentFactory()
    url = reverse("incidents:timeline-update", args=[other.reference, entry.pk])
    assert make_client(writer).get(url).status_code == 404


def test_incident_page_query_count_does_not_grow_with_the_timeline(
    author_client, django_assert_max_num_queries
):
    incident = IncidentFactory()
    TimelineEntryFactory.create_batch(3, incident=incident)
    # session, user, roles, incident (+commander, creator, postmortem), services, tags,
    # similar incidents, fact changes, timeline entries (+authors, whether each has a history),
    # deleted entries (+authors, who deleted them), the bell's unread count.
    with django_assert_max_num_queries(13) as few:
        author_client.get(incident.get_absolute_url())
    TimelineEntryFactory.create_batch(40, incident=incident)
    with django_assert_max_num_queries(len(few.captured_queries)):
        author_client.get(incident.get_absolute_url())


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_entry_s_kind_reads_as_django_would_show_it(language):
    from django.utils import translation

    entry = TimelineEntry(kind=TimelineKind.NOTE)
    with translation.override(language):
        for kind in [*TimelineKind.values, "retired-kind", ""]:
            entry.kind = kind
            # Django's own display, which the model's faster one replaces.
            assert entry.get_kind_display() == entry._get_FIELD_display(
                TimelineEntry._meta.get_field("kind")
            )
    with translation.override("fr"):
        entry.kind = TimelineKind.BLIND_ALLEY
        assert entry.get_kind_display() != "Blind alley"
