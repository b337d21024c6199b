import pytest
from django.urls import reverse

from core.models import Role
from incidents.models import Incident
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _form_data(incident, **overrides):
    data = {
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "started_at": incident.started_at.strftime("%Y-%m-%dT%H:%M"),
        "detected_at": incident.detected_at.strftime("%Y-%m-%dT%H:%M"),
        "mitigated_at": incident.mitigated_at.strftime("%Y-%m-%dT%H:%M"),
        "resolved_at": incident.resolved_at.strftime("%Y-%m-%dT%H:%M"),
        "customer_impact": incident.customer_impact,
        "version": incident.updated_at.isoformat(),
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("who", ["creator", "commander", "author", "manager", "staff"])
def test_people_responsible_for_an_incident_may_edit_it(who, make_client):
    creator, commander = UserFactory(), UserFactory()
    incident = IncidentFactory(created_by=creator, commander=commander)
    editor = {
        "creator": creator,
        "commander": commander,
        "author": UserFactory(roles=[Role.AUTHOR]),
        "manager": UserFactory(roles=[Role.MANAGER]),
        "staff": UserFactory(is_staff=True),
    }[who]
    client = make_client(editor)
    response = client.post(
        reverse("incidents:update", args=[incident.reference]),
        _form_data(incident, title="Renamed"),
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.title == "Renamed"


def test_someone_without_a_role_may_read_but_not_edit(make_client, outsider):
    incident = IncidentFactory(title="Original")
    client = make_client(outsider)
    assert client.get(incident.get_absolute_url()).status_code == 200
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Edit incident" not in page
    assert client.get(reverse("incidents:update", args=[incident.reference])).status_code == 403
    response = client.post(
        reverse("incidents:update", args=[incident.reference]),
        _form_data(incident, title="Hijacked"),
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.title == "Original"


def test_a_stale_edit_is_refused_and_keeps_the_typed_text(make_client, author, manager):
    incident = IncidentFactory(title="Original")
    loaded_by_both = _form_data(incident)
    first, second = make_client(author), make_client(manager)

    assert (
        first.post(
            reverse("incidents:update", args=[incident.reference]),
            {**loaded_by_both, "title": "First edit"},
        ).status_code
        == 302
    )

    response = second.post(
        reverse("incidents:update", args=[incident.reference]),
        {**loaded_by_both, "title": "Second edit"},
    )
    assert response.status_code == 200
    assert "Someone else saved this while you were editing" in response.content.decode()
    assert 'value="Second edit"' in response.content.decode()
    incident.refresh_from_db()
    assert incident.title == "First edit"

    # Having seen the conflict, saving the form as shown goes through.
    resubmitted = {
        **loaded_by_both,
        "title": "Second edit",
        "version": incident.updated_at.isoformat(),
    }
    assert (
        second.post(reverse("incidents:update", args=[incident.reference]), resubmitted).status_code
        == 302
    )
    incident.refresh_from_db()
    assert incident.title == "Second edit"


def test_unknown_references_are_not_found(author_client):
    assert author_client.get("/incidents/INC-999999/").status_code == 404
    assert author_client.get("/incidents/banana/").status_code == 404


def test_detail_page_shows_facts_and_durations(author_client):
    incident = IncidentFactory(title="Queue backlog")
    content = author_client.get(incident.get_absolute_url()).content.decode()
    assert "Queue backlog" in content
    assert 'data-duration="detect">5 min<' in content
    assert 'data-duration="mitigate">30 min<' in content
    assert 'data-duration="resolve">2 h 0 min<' in content
    assert Incident.objects.count() == 1
