"""Restricted incidents (security, legal, HR): only their participants, the teams given access,
staff and the Security role see them and everything that hangs off them. Everyone else finds
them absent from every list, search, feed, export and API answer, and a 404 where one of them
would be: the same answer as for an incident that does not exist."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from actions.services import action_item_create, plan_action_reminders
from api.models import AccessScope
from api.services import access_token_create
from core.models import Role, Team
from incidents import services as incident_services
from incidents.models import (
    Incident,
    IncidentChange,
    IncidentField,
    IncidentLink,
    LinkKind,
    SimilarIncident,
)
from incidents.services import IncidentError
from notifications.models import Notification
from postmortems.models import Comment
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    ServiceFactory,
    TagFactory,
    TimelineEntryFactory,
    UserFactory,
)
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db

# In everything the restricted incident owns, and nowhere else.
MARKER = "Qzx7payroll"


@pytest.fixture
def people(db):
    declarer = UserFactory(username="declarer", roles=[Role.AUTHOR])
    team_member = UserFactory(username="team-member")
    team = Team.objects.create(name="Legal")
    team.members.add(team_member)
    return {
        "declarer": declarer,
        "participant": UserFactory(username="participant"),
        "team member": team_member,
        "team": team,
        "security": UserFactory(username="security", roles=[Role.SECURITY]),
        "staff": UserFactory(username="staff", is_staff=True),
        # Signed in, no access: no role, and the roles that read every draft and every item.
        "outsider": UserFactory(username="outsider"),
        "reviewer": UserFactory(username="reviewer", roles=[Role.REVIEWER]),
        "manager": UserFactory(username="manager", roles=[Role.MANAGER]),
    }


@pytest.fixture
def world(people):
    """A restricted incident with a timeline, a published public postmortem, a comment, an
    action item (owned by an outsider, to check that owning one gives no access) and a tag of
    its own; an ordinary incident linked to it, which lists it among its similar ones."""
    service = ServiceFactory(name="Payroll")
    secret = IncidentFactory(
        title=f"Payroll breach {MARKER}",
        customer_impact=f"Salaries exposed {MARKER}",
        created_by=people["declarer"],
        restricted=True,
        services=[service],
    )
    secret.participants.add(people["participant"])
    secret.access_teams.add(people["team"])
    secret.tags.add(TagFactory(name=f"tag-{MARKER.lower()}"))
    entry = TimelineEntryFactory(incident=secret, body=f"Found the leak {MARKER}")
    postmortem = PostmortemFactory(
        incident=secret,
        author=people["declarer"],
        status="published",
        summary=f"Summary {MARKER}",
        is_public=True,
        public_title=f"Public {MARKER}",
        public_summary=f"Public summary {MARKER}",
    )
    Comment.objects.create(postmortem=postmortem, author=people["declarer"], body=MARKER)
    item = ActionItemFactory(
        postmortem=postmortem, title=f"Rotate keys {MARKER}", owner=people["outsider"]
    )
    ordinary = IncidentFactory(title="Checkout slow", services=[service])
    IncidentLink.objects.create(
        from_incident=ordinary,
        to_incident=secret,
        kind=LinkKind.RELATED,
        created_by=people["staff"],
    )
    SimilarIncident.objects.create(
        incident=ordinary, similar=secret, rank=1, score=5, title_similarity=0, text_rank=0
    )
    Incident.objects.filter(pk=ordinary.pk).update(similar_computed_at=ordinary.created_at)
    return {
        "incident": secret,
        "entry": entry,
        "postmortem": postmortem,
        "item": item,
        "ordinary": ordinary,
    }


def _lists(world) -> list[str]:
    ref = world["incident"].reference
    return [
        reverse("incidents:list"),
        f"{reverse('incidents:list')}?q=breach",
        f"{reverse('incidents:list')}?q={ref}",
        world["ordinary"].get_absolute_url(),  # its links and similar incidents
        reverse("postmortems:list"),
        reverse("postmortems:library"),
        reverse("postmortems:queue"),
        reverse("actions:list"),
        reverse("actions:mine"),
        reverse("actions:export"),
        reverse("actions:dashboard"),
        f"{reverse('search:results')}?q=breach",
        f"{reverse('search:results')}?q=leak&type=timeline",
        f"{reverse('search:results')}?q=salaries",
        reverse("insights:index"),
        reverse("notifications:list"),
        reverse("public:list"),
        reverse("public:feed"),
        "/api/incidents/",
        "/api/incidents/?q=breach",
        "/api/postmortems/",
        "/api/action-items/",
        "/api/tags/",
    ]


def _single_pages(world) -> list[str]:
    ref = world["incident"].reference
    entry, item, postmortem = world["entry"], world["item"], world["postmortem"]
    return [
        reverse("incidents:detail", args=[ref]),
        reverse("incidents:update", args=[ref]),
        reverse("incidents:timeline-history", args=[ref, entry.pk]),
        reverse("incidents:timeline-update", args=[ref, entry.pk]),
        reverse("postmortems:detail", args=[ref]),
        reverse("postmortems:review", args=[ref]),
        reverse("postmortems:history", args=[ref]),
        reverse("postmortems:amendment", args=[ref]),
        reverse("postmortems:export", args=[ref]),
        reverse("postmortems:pdf", args=[ref]),
        reverse("postmortems:people", args=[ref]),
        reverse("postmortems:start", args=[ref]),
        reverse("actions:detail", args=[item.pk]),
        reverse("actions:postmortem", args=[ref]),
        reverse("imports:chat-start", args=[ref]),
        f"/api/incidents/{ref}/",
        f"/api/incidents/{ref}/timeline/",
        f"/api/postmortems/{ref}/",
        f"/api/postmortems/{ref}/comments/",
        f"/api/action-items/{item.pk}/",
        reverse("public:detail", args=[postmortem.public_id]),
    ]


def _text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("who", ["outsider", "reviewer", "manager"])
def test_every_read_path_leaves_a_restricted_incident_out_for_someone_without_access(
    who, people, world
):
    client = Client()
    client.force_login(people[who])
    for path in _lists(world):
        response = client.get(path)
        assert response.status_code == 200, path
        text = _text(response)
        assert MARKER not in text, path
        assert MARKER.lower() not in text, path
    for path in _single_pages(world):
        response = client.get(path)
        assert response.status_code == 404, path
        assert MARKER not in _text(response), path


@pytest.mark.parametrize("who", ["participant", "team member", "security", "staff", "declarer"])
def test_participants_teams_given_access_security_and_staff_see_it_everywhere(who, people, world):
    client = Client()
    client.force_login(people[who])
    ref = world["incident"].reference
    for path in [
        f"{reverse('incidents:list')}?q={MARKER}",
        world["ordinary"].get_absolute_url(),
        reverse("incidents:detail", args=[ref]),
        reverse("incidents:timeline-history", args=[ref, world["entry"].pk]),
        reverse("postmortems:detail", args=[ref]),
        reverse("postmortems:review", args=[ref]),
        reverse("postmortems:export", args=[ref]),
        reverse("postmortems:library"),
        reverse("actions:detail", args=[world["item"].pk]),
        f"{reverse('actions:list')}?q={MARKER}",
        reverse("actions:export"),
        f"{reverse('search:results')}?q={MARKER}",
        f"/api/incidents/{ref}/",
        "/api/incidents/",
        f"/api/postmortems/{ref}/",
        f"/api/action-items/{world['item'].pk}/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert MARKER in _text(response), path
    assert client.get(reverse("postmortems:history", args=[ref])).status_code == 200
    page = client.get(reverse("incidents:detail", args=[ref])).content.decode()
    assert "restricted-badge" in page
    # Never on the public status page, whoever looks.
    assert MARKER not in client.get(reverse("public:list")).content.decode()
    response = client.get(reverse("public:detail", args=[world["postmortem"].public_id]))
    assert response.status_code == 404


def test_a_token_acts_as_its_person(people, world):
    ref = world["incident"].reference
    tokens = {}
    for who in ("outsider", "participant"):
        _stored, token = access_token_create(
            user=people[who], name="test", scope=AccessScope.READ, days=30
        )
        tokens[who] = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert tokens["outsider"].get(f"/api/incidents/{ref}/").status_code == 404
    assert MARKER not in tokens["outsider"].get("/api/incidents/").content.decode()
    answer = tokens["participant"].get(f"/api/incidents/{ref}/")
    assert answer.json()["title"] == f"Payroll breach {MARKER}"
    assert answer.json()["restricted"] is True
    assert MARKER in tokens["participant"].get("/api/incidents/").content.decode()


def test_insights_count_restricted_incidents_only_in_the_total(people, world, client):
    client.force_login(people["outsider"])
    page = client.get(reverse("insights:index")).content.decode()
    assert "2 incidents from" in page
    assert "1 of them is restricted" in page
    # A breakdown by service leaves it out, for everyone alike.
    client.force_login(people["staff"])
    by_service = client.get(reverse("insights:index"), {"service": "payroll"}).content.decode()
    assert "1 incident from" in by_service
    assert "of them is restricted" not in by_service


def test_marking_restricted_later_is_audited_with_who_may_see_it(people):
    incident = IncidentFactory(created_by=people["declarer"], commander=people["declarer"])
    incident_services.incident_update(
        incident=incident,
        editor=people["declarer"],
        loaded_version=incident.updated_at.isoformat(),
        restricted=True,
        participants=[people["participant"]],
        access_teams=[people["team"]],
    )
    changes = {
        change.field: (change.old_value, change.new_value, change.changed_by)
        for change in IncidentChange.objects.filter(incident=incident)
    }
    assert changes == {
        IncidentField.RESTRICTED: ("", "yes", people["declarer"]),
        IncidentField.PARTICIPANTS: ("", people["participant"].display_name, people["declarer"]),
        IncidentField.ACCESS_TEAMS: ("", "Legal", people["declarer"]),
    }
    assert not Incident.objects.visible_to(people["outsider"]).filter(pk=incident.pk).exists()


def test_declaring_restricted_through_the_form_is_audited(people, client):
    client.force_login(people["declarer"])
    response = client.get(reverse("incidents:create"))
    form = response.context["form"]
    data = {
        "title": f"Laptop stolen {MARKER}",
        "severity": "SEV2",
        "status": "investigating",
        "started_at": "2026-03-10T10:00",
        "customer_impact": "None yet.",
        "restricted": "on",
        "participants": [people["participant"].pk],
        "access_teams": [people["team"].pk],
        "submission_token": form["submission_token"].value(),
        "version": "",
    }
    response = client.post(reverse("incidents:create"), data)
    assert response.status_code == 302, response.context["form"].errors
    incident = Incident.objects.get(title__startswith="Laptop stolen")
    assert incident.restricted
    assert list(incident.participants.all()) == [people["participant"]]
    assert set(incident.changes.values_list("field", flat=True)) == {
        IncidentField.RESTRICTED,
        IncidentField.PARTICIPANTS,
        IncidentField.ACCESS_TEAMS,
    }
    outsider = Client()
    outsider.force_login(people["outsider"])
    assert outsider.get(incident.get_absolute_url()).status_code == 404


def test_only_staff_security_and_the_commander_lift_a_restriction_and_say_why(people):
    incident = IncidentFactory(
        created_by=people["declarer"], commander=people["participant"], restricted=True
    )
    incident.participants.add(people["declarer"])

    def lift(editor, reason=""):
        incident.refresh_from_db()
        return incident_services.incident_update(
            incident=incident,
            editor=editor,
            loaded_version=incident.updated_at.isoformat(),
            restricted=False,
            restriction_reason=reason,
        )

    with pytest.raises(IncidentError, match="Only staff, the Security role"):
        lift(people["declarer"], reason="Done")
    with pytest.raises(IncidentError, match="Say why"):
        lift(people["participant"])
    lift(people["participant"], reason="Legal cleared it")
    change = IncidentChange.objects.get(incident=incident, field=IncidentField.RESTRICTED)
    assert (change.old_value, change.new_value, change.reason) == ("yes", "", "Legal cleared it")
    assert Incident.objects.visible_to(people["outsider"]).filter(pk=incident.pk).exists()


def test_no_notification_or_email_about_it_reaches_someone_without_access(
    people, world, deliver_outbox
):
    incident = IncidentFactory(created_by=people["declarer"], restricted=True)
    incident.participants.add(people["participant"])
    postmortem = PostmortemFactory(incident=incident, author=people["declarer"])
    mail.outbox.clear()
    Notification.objects.all().delete()
    for owner in (people["outsider"], people["participant"]):
        action_item_create(
            postmortem=postmortem,
            created_by=people["declarer"],
            title=f"Another {MARKER}",
            owner=owner,
        )
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"participant"}
    assert [message.to for message in deliver_outbox()] == [[people["participant"].email]]
    # Reminders: the outsider's item on the restricted incident is not in their digest.
    recipients = {
        reminder.recipient.username: reminder.text for reminder in plan_action_reminders()
    }
    assert MARKER not in recipients.get("outsider", "")
    assert MARKER not in recipients.get("manager", "")


def test_notifications_from_before_the_restriction_show_only_to_who_may_still_see_it(
    people, client
):
    incident = IncidentFactory(
        created_by=people["declarer"], commander=people["declarer"], title=f"Lost {MARKER}"
    )
    postmortem = PostmortemFactory(incident=incident, author=people["declarer"])
    for owner in (people["outsider"], people["participant"]):
        action_item_create(
            postmortem=postmortem, created_by=people["declarer"], title=MARKER, owner=owner
        )
    before = {
        user: Notification.objects.get(recipient=people[user], incident=incident)
        for user in ("outsider", "participant")
    }

    incident.refresh_from_db()
    incident_services.incident_update(
        incident=incident,
        editor=people["declarer"],
        loaded_version=incident.updated_at.isoformat(),
        restricted=True,
        participants=[people["participant"]],
    )

    for user, sees in (("outsider", False), ("participant", True)):
        client.force_login(people[user])
        listed = client.get(reverse("notifications:list"))
        assert (MARKER in _text(listed)) is sees
        assert listed.context["nav_counts"]["unread_notifications"] == (1 if sees else 0)
        opened = client.post(reverse("notifications:open", args=[before[user].pk]))
        assert opened.status_code == (302 if sees else 404)


def test_webhooks_send_nothing_about_it(people, world):
    endpoint_create(
        name="chat", url="https://hooks.example.com/x", format="json", events=["incident.declared"]
    )
    incident_services.incident_create(
        created_by=people["declarer"],
        title=f"HR matter {MARKER}",
        severity="SEV3",
        status="investigating",
        started_at=world["incident"].started_at,
        restricted=True,
    )
    incident_services.incident_create(
        created_by=people["declarer"],
        title="Open matter",
        severity="SEV3",
        status="investigating",
        started_at=world["incident"].started_at,
    )
    payloads = [str(delivery.payload) for delivery in WebhookDelivery.objects.all()]
    assert len(payloads) == 1
    assert "Open matter" in payloads[0]
    assert MARKER not in payloads[0]


@pytest.mark.parametrize("count", [3, 30])
def test_lists_with_restricted_incidents_keep_their_query_count(
    count, people, django_assert_max_num_queries
):
    """Visibility is a condition of each row (subqueries), not a join: no row repeats and
    the number of queries does not grow, whatever the data."""
    for number in range(count):
        incident = IncidentFactory(title=f"Open {number}")
        secret = IncidentFactory(title=f"Secret {number}", restricted=True)
        secret.participants.add(people["participant"], people["declarer"])
        secret.access_teams.add(people["team"])
        ActionItemFactory(postmortem__incident=incident)
        ActionItemFactory(postmortem__incident=secret)
    client = Client()
    client.force_login(people["team member"])
    for path, most in [
        (reverse("incidents:list"), 11),
        (reverse("postmortems:list"), 10),
        (reverse("actions:list"), 14),
    ]:
        with django_assert_max_num_queries(most):
            response = client.get(path)
        assert response.status_code == 200
    shown = [item.pk for item in response.context["page"].object_list]
    incidents = client.get(reverse("incidents:list")).context["page"].paginator.count
    assert incidents == 2 * count
    assert len(shown) == len(set(shown))


def test_the_commander_lifts_the_restriction_on_the_edit_page_with_a_reason(people, client):
    incident = IncidentFactory(
        title="Badge reader fault",
        created_by=people["declarer"],
        commander=people["declarer"],
        restricted=True,
        status="investigating",
        detected_at=None,
        mitigated_at=None,
        resolved_at=None,
    )
    client.force_login(people["declarer"])
    page = client.get(reverse("incidents:update", args=[incident.reference]))
    assert 'name="restriction_reason"' in page.content.decode()
    form = page.context["form"]
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value not in (None, [])
    }
    data.update(
        {
            "title": "Badge reader fault",
            "severity": incident.severity,
            "status": incident.status,
            "started_at": "2026-03-08T10:00",
            "customer_impact": incident.customer_impact,
            "version": form["version"].value(),
            "restriction_reason": "Not sensitive after all",
        }
    )
    data.pop("restricted", None)
    data["commander"] = people["declarer"].pk
    response = client.post(reverse("incidents:update", args=[incident.reference]), data)
    assert response.status_code == 302, response.context["form"].errors
    incident.refresh_from_db()
    assert not incident.restricted
    change = incident.changes.get(field=IncidentField.RESTRICTED)
    assert change.reason == "Not sensitive after all"
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Reason: Not sensitive after all" in page
