"""How search finds and ranks at scale: full text first, titles a typo away only when full text
finds nothing, pages ranked on ids, counts capped, drafts hidden on every path."""

import pytest
from django.urls import reverse

from core.search import RankedSearch
from incidents.selectors import search_incidents
from postmortems.models import PostmortemStatus
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
URL = reverse("search:results")


def _group(client, kind, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    groups = {k: (results, count) for k, results, count in response.context["groups"]}
    return groups[kind]


def test_titles_a_typo_away_are_searched_only_when_full_text_finds_nothing(author_client):
    IncidentFactory(title="Gateway timeout storm", customer_impact="")
    IncidentFactory(title="Gateway timout on retries", customer_impact="")  # typo in the data
    # Full text finds one title, so the typo step is not taken.
    titles, count = _group(author_client, "incidents", q="timeout")
    assert [i.title for i in titles] == ["Gateway timeout storm"] and count == 1
    # Full text finds nothing for a typo: then titles a typo away match.
    titles, count = _group(author_client, "incidents", q="gatewy")
    assert count == 2
    assert {i.title for i in titles} == {"Gateway timeout storm", "Gateway timout on retries"}


def test_typo_matches_rank_by_title_similarity(author_client):
    IncidentFactory(title="Kubernetes node pressure and scheduler backlog", customer_impact="")
    IncidentFactory(title="Kubernetes", customer_impact="")
    titles, _count = _group(author_client, "incidents", q="kubernets", type="incidents")
    assert [i.title for i in titles] == [
        "Kubernetes",
        "Kubernetes node pressure and scheduler backlog",
    ]


def test_equal_ranks_list_newest_first_across_pages(author_client, settings):
    settings.PAGE_SIZE = 2
    created = [IncidentFactory(title=f"Cache eviction {n}", customer_impact="") for n in range(5)]
    newest_first = [i.pk for i in reversed(created)]
    seen = []
    for page in (1, 2, 3):
        response = author_client.get(URL, {"q": "eviction", "type": "incidents", "page": page})
        seen += [i.pk for i in response.context["page"].object_list]
    assert seen == newest_first


def test_a_page_ranks_title_hits_above_body_hits_of_every_kind(author_client):
    body_hit = IncidentFactory(title="Routine work", customer_impact="The cache melted.")
    title_hit = IncidentFactory(title="Cache melted", customer_impact="Slow pages.")
    TimelineEntryFactory(incident=body_hit, body="cache cache cache warming")
    TimelineEntryFactory(incident=title_hit, body="cache warming")
    titles, _count = _group(author_client, "incidents", q="cache")
    assert [i.pk for i in titles] == [title_hit.pk, body_hit.pk]
    entries, count = _group(author_client, "timeline", q="cache")
    assert count == 2 and entries[0].incident == body_hit  # more occurrences rank higher
    assert entries[0].snippet and "<" not in entries[0].snippet  # snippet computed per row


@pytest.mark.parametrize(("matches", "badge"), [(2, ">2<"), (3, ">2+<")])
def test_group_counts_are_exact_up_to_the_cap(author_client, monkeypatch, matches, badge):
    monkeypatch.setattr("learning.views.SEARCH_COUNT_CAP", 2)
    for n in range(matches):
        IncidentFactory(title=f"Replica lag {n}")
    content = author_client.get(URL, {"q": "replica"}).content.decode()
    assert f'<span class="badge text-bg-light border"{badge}/span>' in content


def test_typo_step_counts_stop_at_the_cap(author_client, monkeypatch):
    monkeypatch.setattr("learning.views.SEARCH_COUNT_CAP", 2)
    for n in range(4):
        IncidentFactory(title=f"Certificate expired {n}", customer_impact="")
    content = author_client.get(URL, {"q": "certficate"}).content.decode()
    assert '<span class="badge text-bg-light border">2+</span>' in content
    single = author_client.get(URL, {"q": "certficate", "type": "incidents"})
    assert single.context["page"].paginator.count == 4


def test_ranked_search_counts_before_paging_even_when_sliced_first():
    IncidentFactory(title="Payments declined", customer_impact="")
    results = search_incidents(text="paymnts", filters={})
    assert isinstance(results, RankedSearch)
    assert [i.title for i in results[:5]] == ["Payments declined"]  # typo step decided on demand


def test_draft_postmortems_and_their_items_stay_hidden_in_the_typo_step(make_client, outsider):
    writer = UserFactory()
    draft = PostmortemFactory(
        author=writer, incident=IncidentFactory(title="Zookeeper quorum lost")
    )
    ActionItemFactory(postmortem=draft, title="Zookeeper quorum alert")
    published = PostmortemFactory(
        status=PostmortemStatus.PUBLISHED, incident=IncidentFactory(title="Zookeeper disk full")
    )
    outsider_client = make_client(outsider)
    for text in ("zookeeper", "zookeper"):  # full text, then the typo step
        postmortems, count = _group(outsider_client, "postmortems", q=text)
        assert count == 1 and [p.pk for p in postmortems] == [published.pk]
        assert _group(outsider_client, "actions", q=text)[1] == 0
        assert _group(make_client(writer), "postmortems", q=text)[1] == 2


@pytest.mark.parametrize("size", [3, 40])
def test_a_typo_search_query_count_does_not_grow_with_the_data(
    size, author_client, django_assert_max_num_queries
):
    for n in range(size):
        postmortem = PostmortemFactory(
            incident=IncidentFactory(title=f"Network partition {n}"), status="published"
        )
        ActionItemFactory(postmortem=postmortem, title="Network chaos test")
    # session, user, roles; per type a full-text count, then for the three titled types a
    # typo count and a page (none for timeline entries: nothing found); service and tag choices;
    # the bell's unread count.
    with django_assert_max_num_queries(16):
        author_client.get(URL, {"q": "netwrk"})


# How many of the best by text rank set the bar (RankedSearch.BAR_LEADERS): the page itself
# (1), some more, or every match.
BAR_LEADERS = [1, 3, 200]


@pytest.mark.parametrize("leaders", BAR_LEADERS)
def test_every_page_matches_ranking_all_matches_at_once(settings, monkeypatch, leaders):
    monkeypatch.setattr("core.search.RankedSearch.BAR_LEADERS", leaders)
    from django.contrib.postgres.search import SearchRank, TrigramWordSimilarity
    from django.db.models import F

    from core.search import prefix_query
    from incidents.models import Incident

    # "Dsk trouble" matches in its impact only, yet its title's similarity lifts it above
    # impact-only matches with a higher text rank.
    titles = ["Disk full", "Disk pressure on disk nodes", "Dsk trouble", "Checkout slow"]
    impacts = ["", "Disk disk disk.", "The disk filled.", "A disk filled up somewhere."]
    for title in titles:
        for impact in impacts:
            IncidentFactory(title=title, customer_impact=impact)
    everything = list(
        Incident.objects.filter(search_vector=prefix_query("disk"))
        .annotate(
            rank=SearchRank(F("search_vector"), prefix_query("disk"))
            + TrigramWordSimilarity("disk", "title") / 2
        )
        .order_by("-rank", "-pk")
        .values_list("pk", flat=True)
    )
    results = search_incidents(text="disk", filters={})
    total = results.count()
    assert total == len(everything) == 14
    for size in (1, 2, 4, 7):
        paged = [i.pk for start in range(0, total, size) for i in results[start : start + size]]
        assert paged == everything


def test_one_type_with_nothing_found_says_so(author_client):
    IncidentFactory(title="Disk full")
    response = author_client.get(URL, {"q": "xylophone", "type": "timeline", "page": 4})
    assert response.status_code == 200
    assert "Nothing matches “xylophone”." in response.content.decode()


def test_a_postmortem_is_found_by_its_incidents_title(author_client):
    titled = PostmortemFactory(
        status=PostmortemStatus.PUBLISHED,
        incident=IncidentFactory(title="Ledger replication stalled"),
        summary="Writes queued.",
        what_happened="Nothing else to say.",
    )
    in_text = PostmortemFactory(
        status=PostmortemStatus.PUBLISHED, what_happened="The ledger lagged behind."
    )
    postmortems, count = _group(author_client, "postmortems", q="ledger")
    assert count == 2 and {p.pk for p in postmortems} == {titled.pk, in_text.pk}
    assert postmortems[0] == titled  # the title's similarity ranks it first


@pytest.mark.parametrize("leaders", BAR_LEADERS)
def test_every_page_of_postmortems_matches_ranking_all_matches_at_once(
    author, monkeypatch, leaders
):
    monkeypatch.setattr("core.search.RankedSearch.BAR_LEADERS", leaders)
    from django.contrib.postgres.search import SearchRank, TrigramWordSimilarity
    from django.db.models import F, Q

    from core.search import prefix_query, title_query
    from incidents.models import Incident
    from postmortems.models import Postmortem
    from postmortems.selectors import search_postmortems

    # A postmortem's title is its incident's, kept outside its own vector: title matches with
    # little text must still outrank text matches with a higher text rank, on every page.
    titles = ["Queue stalled", "Queue backlog on queue workers", "Qeue trouble", "Checkout slow"]
    summaries = ["", "Queue queue queue.", "The queue filled.", "Nothing to see."]
    for title in titles:
        for summary in summaries:
            PostmortemFactory(
                status=PostmortemStatus.PUBLISHED,
                incident=IncidentFactory(title=title),
                summary=summary,
                impact="",
                what_happened="",
            )
    titled = Incident.objects.filter(search_vector=title_query("queue")).values("pk")
    everything = list(
        Postmortem.objects.filter(Q(search_vector=prefix_query("queue")) | Q(incident__in=titled))
        .annotate(
            rank=SearchRank(F("search_vector"), prefix_query("queue"))
            + TrigramWordSimilarity("queue", "incident__title") / 2
        )
        .order_by("-rank", "-pk")
        .values_list("pk", flat=True)
    )
    results = search_postmortems(user=author, text="queue", filters={})
    total = results.count()
    assert total == len(everything) == 12
    for size in (1, 2, 3, 5):
        paged = [p.pk for start in range(0, total, size) for p in results[start : start + size]]
        assert paged == everything


@pytest.mark.parametrize("page", ["99999999999999999999", "-3", "x"])
def test_a_page_number_out_of_range_shows_a_page(author_client, page):
    IncidentFactory(title="Cache eviction storm")
    response = author_client.get(URL, {"q": "eviction", "type": "incidents", "page": page})
    assert response.status_code == 200
    assert [i.title for i in response.context["page"].object_list] == ["Cache eviction storm"]
