"""Changes to an incident's facts are recorded (who, when, which fact, from → to) and listed on
the incident page with labels, names and times in the viewer's zone."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from incidents.models import IncidentChange, IncidentField, Severity, Status
from tests.factories import IncidentFactory, ServiceFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


def _form_data(incident, **overrides):
    def local(moment):
        return moment.strftime("%Y-%m-%dT%H:%M") if moment else ""

    data = {
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "services": [s.pk for s in incident.services.all()],
        "commander": incident.commander_id or "",
        "tags": ", ".join(t.name for t in incident.tags.all()),
        "started_at": local(incident.started_at),
        "detected_at": local(incident.detected_at),
        "mitigated_at": local(incident.mitigated_at),
        "resolved_at": local(incident.resolved_at),
        "customer_impact": incident.customer_impact,
        "version": incident.updated_at.isoformat(),
    }
    data.update(overrides)
    return data


@pytest.fixture
def incident():
    """Times on whole minutes, as the form sends them, so an unchanged form changes nothing."""
    started = datetime(2026, 3, 9, 22, 0, tzinfo=UTC)
    return IncidentFactory(
        title="Checkout errors",
        started_at=started,
        detected_at=started.replace(minute=5),
        mitigated_at=started.replace(minute=30),
        resolved_at=started.replace(hour=23),
    )


def _edit(client, incident, **overrides):
    return client.post(
        reverse("incidents:update", args=[incident.reference]), _form_data(incident, **overrides)
    )


def test_creating_an_incident_is_not_a_change(author_client):
    response = author_client.post(
        reverse("incidents:create"),
        {
            "title": "Login failures",
            "severity": Severity.SEV3,
            "status": Status.INVESTIGATING,
            "started_at": "2026-03-10T09:00",
            "tags": "auth",
        },
    )
    assert response.status_code == 302
    assert not IncidentChange.objects.exists()


def test_each_changed_fact_is_recorded_with_who_and_from_to(make_client, incident):
    editor = UserFactory(is_staff=True, first_name="Erin", last_name="Editor")
    commander = UserFactory(first_name="Cam", last_name="Commander")
    checkout = ServiceFactory(name="Checkout")

    response = _edit(
        make_client(editor),
        incident,
        title="Checkout errors in EU",
        severity=Severity.SEV1,
        services=[checkout.pk],
        commander=commander.pk,
        tags="deploy, dns",
        resolved_at="2026-03-09T23:15",
        customer_impact="Card payments failed.",
    )

    assert response.status_code == 302
    changes = {c.field: c for c in IncidentChange.objects.filter(incident=incident)}
    assert set(changes) == {
        IncidentField.TITLE,
        IncidentField.SEVERITY,
        IncidentField.SERVICES,
        IncidentField.COMMANDER,
        IncidentField.TAGS,
        IncidentField.RESOLVED_AT,
        IncidentField.CUSTOMER_IMPACT,
    }
    assert all(change.changed_by == editor for change in changes.values())
    assert (changes["title"].old_value, changes["title"].new_value) == (
        "Checkout errors",
        "Checkout errors in EU",
    )
    assert (changes["severity"].old_value, changes["severity"].new_value) == ("SEV2", "SEV1")
    assert changes["services"].new_value == "Checkout"
    assert changes["commander"].new_value == "Cam Commander"
    assert changes["tags"].new_value == "deploy, dns"
    assert changes["resolved_at"].new_value == "2026-03-09T23:15:00+00:00"


def test_saving_without_changes_records_nothing(author_client, incident):
    assert _edit(author_client, incident).status_code == 302
    assert not IncidentChange.objects.exists()


def test_the_page_lists_changes_with_labels_and_times_in_the_viewers_zone(make_client, incident):
    editor = UserFactory(roles=["Author"], first_name="Erin", last_name="Editor")
    _edit(make_client(editor), incident, severity=Severity.SEV1, status=Status.MITIGATED)
    _edit(
        make_client(editor),
        incident.__class__.objects.get(pk=incident.pk),
        resolved_at="2026-03-09T23:15",
    )
    viewer = UserFactory(time_zone="Pacific/Auckland")

    page = make_client(viewer).get(incident.get_absolute_url()).content.decode()

    assert "Changes" in page and "Erin Editor" in page
    assert "SEV2 — major → SEV1 — critical" in page  # labels, not codes
    assert "Resolved → Mitigated" in page
    # 23:00 and 23:15 UTC on 9 March are 12:00 and 12:15 on 10 March in Auckland (NZDT).
    assert "2026-03-10 12:00 NZDT → 2026-03-10 12:15 NZDT" in page


def test_a_stale_edit_records_nothing(make_client, incident, author, manager):
    loaded = _form_data(incident)
    _edit(make_client(author), incident, title="First")
    response = make_client(manager).post(
        reverse("incidents:update", args=[incident.reference]), {**loaded, "title": "Second"}
    )
    assert "Someone else saved this while you were editing" in response.content.decode()
    assert list(IncidentChange.objects.values_list("new_value", flat=True)) == ["First"]


def test_tags_compare_by_name_so_reordering_them_is_no_change(author_client, incident):
    incident.tags.set([TagFactory(name="dns"), TagFactory(name="deploy")])
    assert _edit(author_client, incident, tags="dns, deploy").status_code == 302
    assert not IncidentChange.objects.exists()
