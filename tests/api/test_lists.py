"""Every list: one page at a time behind opaque cursors, the pages' own filters, bad filters
told (400), and the same number of queries whatever the number of rows."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from actions.models import ActionItem
from incidents.models import Severity
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    ServiceFactory,
    TagFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(author, token_client):
    return token_client(author)


def _every_page(client, url, params=None) -> list[dict]:
    rows, seen = [], 0
    response = client.get(url, params or {})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) <= settings.PAGE_SIZE
        rows += body["results"]
        seen += 1
        if not body["next"]:
            return rows
        response = client.get(body["next"])


def test_incidents_come_in_pages_newest_first_each_once(client):
    start = timezone.now() - timedelta(days=40)
    made = [IncidentFactory(started_at=start + timedelta(hours=n)) for n in range(30)]
    first = client.get("/api/incidents/").json()
    assert len(first["results"]) == settings.PAGE_SIZE
    assert first["previous"] is None and "cursor=" in first["next"]
    rows = _every_page(client, "/api/incidents/")
    assert [row["reference"] for row in rows] == [i.reference for i in reversed(made)]


def test_a_page_stays_put_when_incidents_are_declared_meanwhile(client):
    start = timezone.now() - timedelta(days=40)
    for n in range(30):
        IncidentFactory(started_at=start + timedelta(hours=n))
    first = client.get("/api/incidents/").json()
    IncidentFactory()  # the newest: it would push every offset page along by one
    second = client.get(first["next"]).json()
    seen = {row["reference"] for row in first["results"]}
    assert not seen & {row["reference"] for row in second["results"]}
    assert len(seen) + len(second["results"]) == 30


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": "cD0yMDI2LTAzLTEw"},  # "p=2026-03-10": a position with no time zone
        {"cursor": "cD1nYXJiYWdl"},  # "p=garbage"
        {"cursor": "bz05OTk5OTk5OTk5OTk5OTk5OTk5OSZwPTIwMjYtMDMtMTArMDA6MDA6MDArMDA6MDA="},
    ],
)
def test_a_bad_cursor_is_404_not_an_error(params, client):
    IncidentFactory()
    response = client.get("/api/incidents/", params)
    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid cursor"


def test_incident_filters_are_the_list_page_s(client):
    database = ServiceFactory(name="Database")
    dns = TagFactory(name="dns")
    wanted = IncidentFactory(title="DB down", severity=Severity.SEV1, services=[database])
    wanted.tags.add(dns)
    IncidentFactory(title="Slow search", severity=Severity.SEV3)

    def references(**params):
        return [row["reference"] for row in client.get("/api/incidents/", params).json()["results"]]

    assert references(severity="SEV1") == [wanted.reference]
    row = client.get(f"/api/incidents/{wanted.reference}/").json()
    assert row["page"] == f"{settings.SITE_URL}/incidents/{wanted.reference}/"
    assert (row["services"], row["tags"]) == (
        [{"slug": "database", "name": "Database", "description": ""}],
        [{"slug": "dns", "name": "dns"}],
    )
    assert references(service="database") == [wanted.reference]
    assert references(tag="dns") == [wanted.reference]
    assert references(q="db") == [wanted.reference]
    assert references(q=wanted.reference.lower()) == [wanted.reference]
    assert len(references(severity=["SEV1", "SEV3"])) == 2


@pytest.mark.parametrize(
    "url, params, field",
    [
        ("/api/incidents/", {"severity": "SEV9"}, "severity"),
        ("/api/incidents/", {"service": "no-such-service"}, "service"),
        ("/api/incidents/", {"started_from": "2026-02-30"}, "started_from"),
        ("/api/incidents/", {"started_to": "10000-01-01"}, "started_to"),
        ("/api/incidents/", {"started_from": "1899-12-31"}, "started_from"),
        ("/api/postmortems/", {"status": "lost"}, "status"),
        ("/api/action-items/", {"due": "someday"}, "due"),
        ("/api/action-items/", {"owner": "99999999999999999999"}, "owner"),
        ("/api/action-items/", {"incident": "INC-x"}, "incident"),
        ("/api/action-items/", {"due_from": "tomorrow"}, "due_from"),
        ("/api/action-items/", {"on_time": "maybe"}, "on_time"),
    ],
)
def test_a_bad_filter_gets_400_naming_it(url, params, field, client):
    response = client.get(url, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/incidents/INC-99999999999999999999/",
        "/api/incidents/INC-0/",
        "/api/incidents/12/",
        "/api/incidents/INC-99999999999999999999/timeline/",
        "/api/postmortems/INC-99999999999999999999/",
        "/api/postmortems/INC-4/comments/",
        "/api/services/no-such-service/",
        "/api/tags/%F0%9F%94%A5/",
    ],
)
def test_unknown_things_are_404(url, client):
    assert client.get(url).status_code == 404


def test_a_long_incident_reference_in_a_filter_finds_nothing_rather_than_failing(client):
    IncidentFactory()
    response = client.get("/api/incidents/", {"q": "INC-99999999999999999999"})
    assert response.status_code == 200
    assert response.json()["results"] == []
    items = client.get("/api/action-items/", {"incident": "INC-99999999999999999999"})
    assert items.status_code == 400


def test_action_item_filters_are_the_list_page_s(author, client):
    postmortem = PostmortemFactory(author=author, status="published")
    mine = ActionItemFactory(postmortem=postmortem, owner=author, priority="P1")
    ActionItemFactory(postmortem=postmortem, priority="P3", status="done")
    overdue = ActionItemFactory(postmortem=postmortem, owner=author)
    ActionItem.objects.filter(pk=overdue.pk).update(
        due_date=timezone.localdate() - timedelta(days=3)
    )

    def ids(**params):
        return {row["id"] for row in client.get("/api/action-items/", params).json()["results"]}

    assert ids(owner=str(author.pk)) == {mine.pk, overdue.pk}
    assert ids(priority="P1") == {mine.pk}
    assert ids(due="overdue") == {overdue.pk}
    assert ids(incident=postmortem.incident.reference, status="done") == (
        ids() - {mine.pk, overdue.pk}
    )


def test_a_timeline_is_in_time_order_without_deleted_entries(client):
    incident = IncidentFactory()
    later = TimelineEntryFactory(
        incident=incident, occurred_at=incident.started_at + timedelta(hours=1)
    )
    earlier = TimelineEntryFactory(incident=incident, occurred_at=incident.started_at)
    TimelineEntryFactory(incident=incident, deleted_at=timezone.now())
    rows = client.get(f"/api/incidents/{incident.reference}/timeline/").json()["results"]
    assert [row["id"] for row in rows] == [earlier.pk, later.pk]


# Query counts: the same at 3 rows as at 30 (more than a page).


def _incidents(count, author) -> int:
    services = [ServiceFactory(), ServiceFactory()]
    tags = [TagFactory(), TagFactory()]
    for _ in range(count):
        incident = IncidentFactory(commander=UserFactory(), services=services)
        incident.tags.set(tags)
    return count


def _action_items(count, author) -> int:
    postmortem = PostmortemFactory(author=author, status="published")
    for _ in range(count):
        ActionItemFactory(postmortem=postmortem)
    ActionItemFactory(postmortem=PostmortemFactory())  # a draft's item the author may not read
    return count


def _postmortems(count, author) -> int:
    for _ in range(count):
        PostmortemFactory(status="published")
        PostmortemFactory(author=author, co_authors=[UserFactory()])
        PostmortemFactory()  # someone else's draft
    return 2 * count


def _timeline(count, author) -> int:
    incident = IncidentFactory(number=4242)
    for _ in range(count):
        TimelineEntryFactory(incident=incident)
    return count


def _comments(count, author) -> int:
    postmortem = PostmortemFactory(author=author, incident=IncidentFactory(number=4343))
    for _ in range(count):
        postmortem.comments.create(author=UserFactory(), body="Why then?")
    return count


def _services(count, author) -> int:
    return len([ServiceFactory() for _ in range(count)])


def _tags(count, author) -> int:
    return len([TagFactory() for _ in range(count)])


LISTS = [
    # the token with its user; the page of incidents with commanders; their services; their tags
    ("/api/incidents/", _incidents, 4),
    # the token; the reader's roles (visible_to); the page with owners and incidents
    ("/api/action-items/", _action_items, 3),
    # the token; the reader's roles (readable_by_q); the page with incidents and authors
    ("/api/postmortems/", _postmortems, 3),
    # the token; the incident; the page with authors
    ("/api/incidents/INC-4242/timeline/", _timeline, 3),
    # the token; the reader's roles; the postmortem; the page with authors
    ("/api/postmortems/INC-4343/comments/", _comments, 4),
    ("/api/services/", _services, 2),
    ("/api/tags/", _tags, 2),
]


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("url, make, queries", LISTS, ids=[url for url, *_ in LISTS])
def test_a_list_takes_the_same_queries_for_few_rows_as_for_many(
    url, make, queries, count, author, token_client, django_assert_num_queries
):
    visible = make(count, author)
    client = token_client(author)
    client.get("/api/me/")  # its last use noted: a write at most once a minute
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(visible, settings.PAGE_SIZE)


@pytest.mark.parametrize("count", [3, 30])
def test_a_filtered_list_takes_the_same_queries_too(
    count, author, token_client, django_assert_num_queries
):
    _action_items(count, author)
    client = token_client(author)
    client.get("/api/me/")
    # the token; the filter form's service and owner choices; the roles; the page
    with django_assert_num_queries(5):
        response = client.get("/api/action-items/", {"status": "open", "priority": "P2"})
    assert len(response.json()["results"]) == min(count, settings.PAGE_SIZE)


def test_signed_out_lists_are_401(db):
    for url, *_ in LISTS:
        assert Client().get(url).status_code == 401
