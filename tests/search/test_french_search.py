"""Search finds text written in French: its words stemmed as French ("réseaux" finds "réseau"),
accents optional ("echec" finds "échec"), with the word highlighted; English text is searched
exactly as before."""

import pytest
from django.urls import reverse

from incidents.models import Incident
from postmortems.models import PostmortemStatus
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.django_db
URL = reverse("search:results")


def _group(client, kind, q):
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    groups = {k: (results, count) for k, results, count in response.context["groups"]}
    return groups[kind]


@pytest.fixture
def french_incident(db):
    return IncidentFactory(
        title="Panne du réseau de paiement",
        customer_impact="Les clients ne pouvaient pas payer et les commandes sont restées en attente.",
    )


@pytest.mark.parametrize("q", ["réseaux", "reseau", "RÉSEAU", "pannes", "commande", "clients"])
def test_a_french_incident_is_found_by_another_form_of_its_words(author_client, french_incident, q):
    incidents, count = _group(author_client, "incidents", q)
    assert count == 1 and incidents[0] == french_incident


def test_the_french_word_found_is_highlighted(author_client, french_incident):
    content = author_client.get(URL, {"q": "réseaux"}).content.decode()
    assert "Panne du <mark>réseau</mark> de paiement" in content


def test_french_timeline_entries_postmortems_and_action_items_are_found(author_client):
    incident = IncidentFactory(title="Lenteurs", customer_impact="")
    TimelineEntryFactory(incident=incident, body="Les serveurs de la base ont redémarré.")
    PostmortemFactory(
        incident=incident,
        status=PostmortemStatus.PUBLISHED,
        summary="Les connexions à la base étaient épuisées pendant une heure.",
        impact="Les clients ne pouvaient pas payer.",
        what_happened="La limite du pool était trop basse pour le trafic du soir.",
    )
    ActionItemFactory(
        postmortem=incident.postmortem,
        title="Surveiller les connexions",
        description="Une alerte quand le pool est presque épuisé.",
    )
    assert _group(author_client, "timeline", "serveur")[1] == 1
    assert _group(author_client, "timeline", "redemarrer")[1] == 1
    assert _group(author_client, "postmortems", "epuise")[1] == 1
    assert _group(author_client, "actions", "connexion")[1] == 1


def test_only_french_text_gets_a_french_vector(french_incident):
    english = IncidentFactory(title="Payments down", customer_impact="The checkout was failing.")
    vectors = dict(Incident.objects.values_list("pk", "search_vector_fr"))
    assert vectors[english.pk] is None and vectors[french_incident.pk]


def test_a_french_vector_follows_an_edit(french_incident):
    french_incident.title = "Checkout outage"
    french_incident.customer_impact = "The checkout was down for an hour and orders failed."
    french_incident.save()
    assert Incident.objects.get(pk=french_incident.pk).search_vector_fr is None


def test_english_text_ranks_exactly_as_before_beside_french_text(author_client):
    from django.contrib.postgres.search import SearchRank, TrigramWordSimilarity
    from django.db.models import F

    from core.search import prefix_query

    for title in ("Network partition", "Network network storm", "Routine work"):
        IncidentFactory(title=title, customer_impact="The network dropped packets.")
    french = IncidentFactory(
        title="Coupure du network", customer_impact="Le réseau est tombé pour les clients."
    )
    english_ranked = list(
        Incident.objects.filter(search_vector=prefix_query("network"), search_vector_fr=None)
        .annotate(
            rank=SearchRank(F("search_vector"), prefix_query("network"))
            + TrigramWordSimilarity("network", "title") / 2
        )
        .order_by("-rank", "-pk")
        .values_list("pk", flat=True)
    )
    incidents, count = _group(author_client, "incidents", "network")
    found = [i.pk for i in incidents]
    assert count == 4 and french.pk in found
    assert [pk for pk in found if pk != french.pk] == english_ranked


def test_a_postmortem_is_found_by_its_french_incidents_title(author_client, french_incident):
    postmortem = PostmortemFactory(incident=french_incident, status=PostmortemStatus.PUBLISHED)
    postmortems, count = _group(author_client, "postmortems", "réseaux")
    assert count == 1 and postmortems[0] == postmortem
