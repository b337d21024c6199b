import pytest

from incidents.similarity import similar_incidents
from tests.factories import IncidentFactory, PostmortemFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_similar_incidents_share_services_or_text_and_say_why(author_client):
    payments = ServiceFactory(name="Payments")
    incident = IncidentFactory(title="Payments timeout after config deploy", services=[payments])
    same_service = IncidentFactory(title="Card declines spike", services=[payments])
    same_words = IncidentFactory(title="Config deploy broke search")
    IncidentFactory(title="Office wifi flaky")

    similar = similar_incidents(incident)
    by_title = {other.title: other.match_reasons for other in similar}
    assert set(by_title) == {"Card declines spike", "Config deploy broke search"}
    assert by_title["Card declines spike"] == ["same services: Payments"]
    assert "shares words: config, deploy" in by_title["Config deploy broke search"]
    assert incident not in similar and same_service in similar and same_words in similar


def test_at_most_five_best_first(author_client):
    shared = ServiceFactory(name="API")
    other = ServiceFactory(name="Auth")
    incident = IncidentFactory(title="API errors", services=[shared, other])
    best = IncidentFactory(title="Login broke", services=[shared, other])
    IncidentFactory.create_batch(6, title="Unrelated thing", services=[shared])
    similar = similar_incidents(incident)
    assert len(similar) == 5
    assert similar[0] == best


def test_shown_on_incident_and_postmortem_pages(author_client):
    db = ServiceFactory(name="Database")
    incident = IncidentFactory(title="Replica lag", services=[db])
    IncidentFactory(title="Primary failover", services=[db])
    postmortem = PostmortemFactory(incident=incident, status="published")
    for url in (incident.get_absolute_url(), postmortem.get_absolute_url()):
        content = author_client.get(url).content.decode()
        assert "Similar incidents" in content and "Primary failover" in content
        assert "same services: Database" in content


def test_an_incident_without_services_still_finds_similar_text(author_client):
    incident = IncidentFactory(title="Disk full on build agents", services=[])
    IncidentFactory(title="Disk full on database primary", services=[ServiceFactory()])
    IncidentFactory(title="Office wifi flaky", services=[])
    similar = similar_incidents(incident)
    assert [other.title for other in similar] == ["Disk full on database primary"]
    assert "shares words: disk, full" in similar[0].match_reasons


def test_ties_list_the_most_recent_first_and_shared_services_count_each_service(author_client):
    api, auth = ServiceFactory(name="API"), ServiceFactory(name="Auth")
    incident = IncidentFactory(title="Errors", services=[api, auth])
    older, newer = (IncidentFactory(title=f"Unrelated {n}", services=[api]) for n in range(2))
    older.started_at = older.started_at.replace(year=2025)
    older.detected_at = older.mitigated_at = older.resolved_at = None
    older.save()
    both = IncidentFactory(title="Also unrelated", services=[api, auth])
    similar = similar_incidents(incident)
    assert similar == [both, newer, older]
    assert similar[0].match_reasons[0] == "same services: API, Auth"


def test_only_the_best_candidates_by_each_signal_are_scored(author_client, monkeypatch):
    monkeypatch.setattr("incidents.similarity.SIMILAR_CANDIDATES", 1)
    cache = ServiceFactory(name="Cache")
    incident = IncidentFactory(title="Redis cluster failover", services=[cache])
    by_services_and_text = IncidentFactory(title="Redis memory full", services=[cache])
    IncidentFactory(title="Quiet evening", services=[cache])  # only a shared service
    by_title = IncidentFactory(title="Rediss clusterr failoverr", services=[])
    similar = similar_incidents(incident)
    assert similar == [by_services_and_text, by_title]
    assert similar[1].match_reasons == ["similar title"]
