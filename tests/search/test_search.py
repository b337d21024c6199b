from datetime import timedelta

import pytest
from django.urls import reverse

from core.models import Role
from incidents.models import Severity, Status
from postmortems.models import PostmortemStatus
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    ServiceFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
URL = reverse("search:results")


def _results(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return {kind: (results, count) for kind, results, count in response.context["groups"]}


def test_finds_each_type_by_a_word_in_its_body(author_client):
    incident = IncidentFactory(title="Queue stalled", customer_impact="Orders were delayed.")
    TimelineEntryFactory(incident=incident, body="Saw the zookeeper session expire.")
    PostmortemFactory(
        incident=incident,
        status=PostmortemStatus.IN_REVIEW,
        what_happened="The broker lost quorum.",
    )
    ActionItemFactory(postmortem=incident.postmortem, description="Alert on quorum size.")
    assert [i.title for i in _results(author_client, q="delayed")["incidents"][0]] == [
        "Queue stalled"
    ]
    assert _results(author_client, q="zookeeper")["timeline"][1] == 1
    assert _results(author_client, q="quorum")["postmortems"][1] == 1
    assert _results(author_client, q="quorum")["actions"][1] == 1


def test_partial_words_match_as_prefixes(author_client):
    IncidentFactory(title="Database failover was slow")
    assert _results(author_client, q="datab")["incidents"][1] == 1


def test_a_title_hit_ranks_above_a_body_hit(author_client):
    IncidentFactory(title="Routine maintenance", customer_impact="The certificate expired.")
    IncidentFactory(title="Certificate expired", customer_impact="Browsers warned users.")
    titles = [
        i.title for i in _results(author_client, q="certificate", type="incidents")["incidents"][0]
    ]
    assert titles == ["Certificate expired", "Routine maintenance"]


def test_a_typo_in_a_title_still_finds_it(author_client):
    IncidentFactory(title="Kubernetes scheduler outage", customer_impact="")
    IncidentFactory(title="Payment delays", customer_impact="")
    titles = [i.title for i in _results(author_client, q="kubernets")["incidents"][0]]
    assert titles == ["Kubernetes scheduler outage"]


def test_snippets_highlight_matches_and_are_html_safe(author_client):
    import re

    incident = IncidentFactory(title="Cache stampede")
    TimelineEntryFactory(
        incident=incident, body='the stampede hit <img src=x onerror="alert(1)"> & <b>fast</b>'
    )
    response = author_client.get(URL, {"q": "stampede", "type": "timeline"})
    [snippet] = re.findall(r'<div class="small snippet">(.*?)</div>', response.content.decode())
    assert "<mark>stampede</mark>" in snippet
    assert re.findall(r"</?(\w+)", snippet) == ["mark", "mark"]  # no other tag survives unescaped
    assert "<img" not in snippet and "<b>" not in snippet


def test_snippets_show_markdown_as_the_plain_text_a_reader_sees(author_client):
    import re

    PostmortemFactory(
        status=PostmortemStatus.PUBLISHED,
        what_happened=(
            "## Stampede summary\n\n"
            "- The **cache stampede** hit `db-1`, see [the runbook](https://wiki.example/run)\n"
            "> ![graph of the stampede](https://img.example/x.png) <script>alert(1)</script>\n"
        ),
    )
    response = author_client.get(URL, {"q": "stampede", "type": "postmortems"})
    [snippet] = re.findall(
        r'<div class="small snippet">(.*?)</div>', response.content.decode(), re.S
    )
    plain = " ".join(re.sub(r"</?mark>", "", snippet).split())
    assert "<mark>stampede</mark>" in snippet
    assert "cache stampede hit db-1 , see the runbook" in plain
    assert "graph of the stampede" in plain
    for markup in ("**", "`", "##", "](", "wiki.example", "img.example", "- The", "&gt; "):
        assert markup not in plain
    assert re.findall(r"</?(\w+)", snippet) == ["mark", "mark"] * 3  # the script stays text


def test_drafts_are_never_shown_to_someone_who_may_not_read_them(make_client, outsider):
    writer = UserFactory(roles=[Role.AUTHOR])
    PostmortemFactory(author=writer, what_happened="Secret draft about kafka rebalancing.")
    PostmortemFactory(status=PostmortemStatus.PUBLISHED, what_happened="Public kafka lessons.")
    seen_by_outsider = _results(make_client(outsider), q="kafka")["postmortems"]
    assert seen_by_outsider[1] == 1
    assert "Public kafka" in seen_by_outsider[0][0].what_happened
    assert _results(make_client(writer), q="kafka")["postmortems"][1] == 2
    reviewer = UserFactory(roles=[Role.REVIEWER])
    assert _results(make_client(reviewer), q="kafka")["postmortems"][1] == 2


def test_filters_by_type_severity_service_state_and_date(author_client):
    dns = ServiceFactory(name="DNS")
    old = IncidentFactory(title="Resolver timeouts", severity=Severity.SEV1, services=[dns])
    old.started_at -= timedelta(days=100)
    old.detected_at = old.mitigated_at = old.resolved_at = None
    old.status = Status.INVESTIGATING
    old.save()
    IncidentFactory(title="Resolver crash", severity=Severity.SEV3)
    assert _results(author_client, q="resolver", severity="SEV1")["incidents"][1] == 1
    assert _results(author_client, q="resolver", service="dns")["incidents"][1] == 1
    assert _results(author_client, q="resolver", state="incident:resolved")["incidents"][1] == 1
    recent_from = (old.started_at + timedelta(days=50)).date().isoformat()
    assert _results(author_client, q="resolver", started_from=recent_from)["incidents"][1] == 1
    only_incidents = _results(author_client, q="resolver", type="incidents")
    assert list(only_incidents) == ["incidents"]


def test_a_single_type_is_paginated(author_client, settings):
    settings.PAGE_SIZE = 3
    for n in range(7):
        IncidentFactory(title=f"Disk full on node {n}")
    response = author_client.get(URL, {"q": "disk", "type": "incidents", "page": 3})
    assert len(response.context["page"].object_list) == 1
    assert "Page 3 of 3" in response.content.decode()


def test_empty_and_no_match_states_help(author_client):
    assert "Find past incidents in seconds." in author_client.get(URL).content.decode()
    content = author_client.get(URL, {"q": "xylophone"}).content.decode()
    assert "Nothing matches “xylophone”." in content


def test_the_search_box_is_on_every_page(author_client):
    content = author_client.get(reverse("incidents:list")).content.decode()
    assert f'action="{URL}"' in content and 'name="q"' in content


def test_search_needs_sign_in(client):
    assert client.get(URL, {"q": "x"}).status_code == 302


@pytest.mark.parametrize("size", [3, 40])
def test_search_query_count_does_not_grow_with_the_data(
    size, author_client, django_assert_max_num_queries
):
    for n in range(size):
        incident = IncidentFactory(
            title=f"Network partition {n}", services=[ServiceFactory(name="Net")]
        )
        TimelineEntryFactory(incident=incident, body="network partition seen")
        postmortem = PostmortemFactory(
            incident=incident, status=PostmortemStatus.PUBLISHED, summary="network"
        )
        ActionItemFactory(postmortem=postmortem, title="Network chaos test")
    # session, user, the user's roles (may they read drafts?), then a page of results and a
    # count for each of the four types, plus service and tag choices for the filters, and the
    # bell's unread count.
    with django_assert_max_num_queries(14):
        author_client.get(URL, {"q": "network"})


def test_a_rougher_typo_still_finds_the_title(author_client):
    # "timout" is only 0.5 word-similar to "timeout": below pg_trgm's default threshold (0.6),
    # above ours (0.4), which every connection sets.
    IncidentFactory(title="Gateway timeout storm", customer_impact="")
    titles = [i.title for i in _results(author_client, q="timout")["incidents"][0]]
    assert titles == ["Gateway timeout storm"]


def test_group_counts_stop_at_the_cap(author_client, monkeypatch):
    monkeypatch.setattr("learning.views.SEARCH_COUNT_CAP", 2)
    for n in range(4):
        IncidentFactory(title=f"Flaky deploy {n}")
    content = author_client.get(URL, {"q": "flaky"}).content.decode()
    assert '<span class="badge text-bg-light border">2+</span>' in content
    assert "More than 2 results" in content
    single = author_client.get(URL, {"q": "flaky", "type": "incidents"})
    assert single.context["page"].paginator.count == 4  # one type is counted exactly
