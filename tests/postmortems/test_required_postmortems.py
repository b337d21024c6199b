"""Required postmortems (postmortems/requirements.py): assigned when an incident resolves, as
its severity's policy says; reminders once a day; exemptions by Managers with a reason."""

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from incidents.models import Severity, Status
from incidents.services import incident_create, incident_update
from notifications.models import Notification, NotificationKind
from outbox.models import OutgoingEmail
from postmortems.models import PostmortemPolicy, PostmortemRequirement, RequirementReminder
from postmortems.requirements import send_requirement_reminders
from postmortems.tasks import remind_required
from tests.factories import IncidentFactory, PostmortemFactory, UserFactory

add_default_policy = importlib.import_module(
    "postmortems.migrations.0010_default_postmortem_policy"
).add_default_policy

# The pinned clock (tests/conftest.py) is Tuesday 2026-03-10 23:30 UTC.
STARTED = datetime(2026, 2, 26, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def org_in_utc(settings, db):
    # The default policy as the data migration left it (a transactional test elsewhere may
    # have flushed it).
    add_default_policy(django_apps, None)
    settings.ORG_TIME_ZONE = "UTC"
    settings.ORG_WORKING_DAYS = [1, 2, 3, 4, 5]
    settings.ORG_HOLIDAYS = []


def _open_incident(*, severity=Severity.SEV2, commander=None, created_by=None):
    return IncidentFactory(
        severity=severity,
        status=Status.INVESTIGATING,
        started_at=STARTED,
        detected_at=STARTED,
        mitigated_at=None,
        resolved_at=None,
        commander=commander,
        created_by=created_by or UserFactory(),
    )


def _set_status(incident, editor, status, resolved_at=None):
    incident.refresh_from_db()
    incident, _changes = incident_update(
        incident=incident,
        editor=editor,
        loaded_version=incident.updated_at.isoformat(),
        status=status,
        resolved_at=resolved_at,
    )
    return incident


def _resolve(incident, editor, when=datetime(2026, 3, 6, 15, 0, tzinfo=UTC)):
    return _set_status(incident, editor, Status.RESOLVED, resolved_at=when)


def test_the_default_policy_requires_sev1_and_sev2_within_five_working_days(db):
    assert list(
        PostmortemPolicy.objects.values_list("severity", "required", "due_business_days")
    ) == [("SEV1", True, 5), ("SEV2", True, 5)]


def test_resolving_assigns_the_commander_with_a_due_date_and_tells_them(manager):
    commander = UserFactory(email="cmd@example.com")
    incident = _open_incident(commander=commander)

    _resolve(incident, manager)  # Friday 2026-03-06

    requirement = PostmortemRequirement.objects.get(incident=incident)
    assert requirement.owner == commander
    assert requirement.due_on == date(2026, 3, 13)  # five working days: the next Friday
    notice = Notification.objects.get(recipient=commander)
    assert notice.kind == NotificationKind.POSTMORTEM_REQUIRED
    assert notice.url == incident.get_absolute_url()
    email = OutgoingEmail.objects.get(to=["cmd@example.com"])
    assert incident.reference in email.subject
    assert "2026-03-13" in email.body


def test_the_owner_is_told_even_when_they_resolved_it_themselves():
    commander = UserFactory(email="cmd@example.com")
    incident = _open_incident(commander=commander)
    _resolve(incident, commander)
    assert Notification.objects.filter(recipient=commander).count() == 1
    assert OutgoingEmail.objects.filter(to=["cmd@example.com"]).count() == 1


def test_email_follows_the_owners_preference():
    from notifications.services import set_email_preferences

    commander = UserFactory(email="cmd@example.com")
    set_email_preferences(user=commander, enabled={NotificationKind.POSTMORTEM_REQUIRED: False})
    _resolve(_open_incident(commander=commander), UserFactory())
    assert Notification.objects.filter(recipient=commander).count() == 1
    assert not OutgoingEmail.objects.exists()


def test_without_a_commander_whoever_resolved_it_owns_it(manager):
    incident = _open_incident()
    _resolve(incident, manager)
    assert PostmortemRequirement.objects.get(incident=incident).owner == manager


def test_declaring_an_already_resolved_incident_also_assigns(author):
    incident = incident_create(
        created_by=author,
        title="Short outage",
        severity=Severity.SEV1,
        status=Status.RESOLVED,
        started_at=STARTED,
        resolved_at=STARTED + timedelta(hours=1),
    )
    requirement = PostmortemRequirement.objects.get(incident=incident)
    assert requirement.owner == author
    assert requirement.due_on == date(2026, 3, 5)  # Thursday + 5 working days


@pytest.mark.parametrize("severity", [Severity.SEV3, Severity.SEV4])
def test_severities_without_a_policy_need_no_postmortem(manager, severity):
    incident = _open_incident(severity=severity)
    _resolve(incident, manager)
    assert not PostmortemRequirement.objects.exists()
    assert not Notification.objects.exists()


def test_a_policy_turned_off_in_the_admin_requires_nothing(manager):
    PostmortemPolicy.objects.filter(severity=Severity.SEV2).update(required=False)
    _resolve(_open_incident(), manager)
    assert not PostmortemRequirement.objects.exists()


def test_due_dates_follow_the_organisations_zone(settings, manager):
    settings.ORG_TIME_ZONE = "Pacific/Auckland"
    incident = _open_incident()
    # Thursday 23:30 UTC is already Friday in Auckland: due the next Friday, not Thursday.
    _resolve(incident, manager, when=datetime(2026, 3, 5, 23, 30, tzinfo=UTC))
    assert PostmortemRequirement.objects.get(incident=incident).due_on == date(2026, 3, 13)


def test_reopening_keeps_the_requirement_and_resolving_again_moves_the_due_date(manager):
    commander = UserFactory()
    incident = _open_incident(commander=commander)
    _resolve(incident, manager)
    _set_status(incident, manager, Status.INVESTIGATING)
    requirement = PostmortemRequirement.objects.get(incident=incident)
    assert requirement.due_on == date(2026, 3, 13)

    _resolve(incident, manager, when=datetime(2026, 3, 10, 10, 0, tzinfo=UTC))  # Tuesday

    requirement.refresh_from_db()
    assert PostmortemRequirement.objects.count() == 1
    assert requirement.owner == commander
    assert requirement.due_on == date(2026, 3, 17)
    assert Notification.objects.filter(recipient=commander).count() == 2


def test_resolving_again_keeps_an_exemption(manager):
    incident = _open_incident()
    _resolve(incident, manager)
    from postmortems.requirements import requirement_exempt

    requirement_exempt(incident=incident, user=manager, reason="Duplicate of INC-1")
    _set_status(incident, manager, Status.INVESTIGATING)
    _resolve(incident, manager, when=datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    requirement = PostmortemRequirement.objects.get(incident=incident)
    assert requirement.is_exempt
    assert requirement.exemption_reason == "Duplicate of INC-1"


# Exemptions -----------------------------------------------------------------------------------


def _required_incident(manager):
    incident = _open_incident(commander=UserFactory())
    _resolve(incident, manager)
    return incident


@pytest.mark.parametrize("who", ["outsider", "author", "reviewer"])
def test_only_managers_and_staff_may_exempt(request, who, manager, make_client):
    incident = _required_incident(manager)
    client = make_client(request.getfixturevalue(who))
    url = reverse("postmortems:exempt", args=[incident.reference])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "Not needed"}).status_code == 403
    assert not PostmortemRequirement.objects.get(incident=incident).is_exempt
    assert "Exempt from postmortem" not in client.get(incident.get_absolute_url()).content.decode()


def test_an_exemption_needs_a_reason_and_keeps_what_was_typed(manager, make_client):
    incident = _required_incident(manager)
    client = make_client(manager)
    url = reverse("postmortems:exempt", args=[incident.reference])
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 200
    assert "Say why this incident needs no postmortem." in response.content.decode()
    response = client.post(url, {"reason": "x" * 2001})
    assert response.status_code == 200
    assert "x" * 2001 in response.content.decode()
    assert not PostmortemRequirement.objects.get(incident=incident).is_exempt


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["manager", "staff"])
def test_an_exemption_is_kept_with_who_when_and_why(
    migration_data, request, who, make_client, pinned_now
):
    person = request.getfixturevalue(who)
    incident = _required_incident(UserFactory())
    client = make_client(person)
    response = client.post(
        reverse("postmortems:exempt", args=[incident.reference]),
        {"reason": "Planned test of the failover <script>"},
    )
    assert response.status_code == 302
    requirement = PostmortemRequirement.objects.get(incident=incident)
    assert requirement.exempted_by == person
    assert abs(requirement.exempted_at - pinned_now) < timedelta(minutes=1)
    assert requirement.exemption_reason == "Planned test of the failover <script>"
    page = client.get(incident.get_absolute_url()).content.decode()
    assert f"Exempted by {person.display_name}" in page
    assert "Planned test of the failover &lt;script&gt;" in page
    # A second exemption is not offered, and asking again changes nothing.
    again = client.post(
        reverse("postmortems:exempt", args=[incident.reference]), {"reason": "Other"}
    )
    assert again.status_code == 302
    requirement.refresh_from_db()
    assert requirement.exemption_reason == "Planned test of the failover <script>"


def test_exempting_an_unknown_or_unrequired_incident_is_not_an_error(manager, make_client):
    client = make_client(manager)
    assert client.get(reverse("postmortems:exempt", args=["INC-99999"])).status_code == 404
    assert client.get(reverse("postmortems:exempt", args=["nonsense"])).status_code == 404
    plain = IncidentFactory(severity=Severity.SEV4)
    response = client.post(reverse("postmortems:exempt", args=[plain.reference]), {"reason": "x"})
    assert response.status_code == 302


# Reminders ------------------------------------------------------------------------------------


def test_reminders_go_once_a_day_however_often_the_job_runs(manager, monkeypatch):
    owner = UserFactory(email="owner@example.com")
    overdue = _open_incident(commander=owner)
    _resolve(overdue, manager, when=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))  # due Mon 9th
    later = _open_incident(commander=owner)
    _resolve(later, manager)  # due Fri 13th: not yet
    Notification.objects.all().delete()
    OutgoingEmail.objects.all().delete()

    assert remind_required() == "1 reminded, 0 already reminded today"
    assert remind_required() == "0 reminded, 1 already reminded today"

    [notice] = Notification.objects.all()
    assert notice.kind == NotificationKind.POSTMORTEM_DUE
    assert notice.url == overdue.get_absolute_url()
    [email] = OutgoingEmail.objects.all()
    assert email.subject.startswith("Postmortem overdue:")
    assert RequirementReminder.objects.get().day == date(2026, 3, 10)

    # The next day it is reminded again, once.
    next_day = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)
    assert send_requirement_reminders(now=next_day).sent == [
        PostmortemRequirement.objects.get(incident=overdue).pk
    ]
    assert send_requirement_reminders(now=next_day).sent == []


def test_published_or_exempt_postmortems_are_not_reminded(manager):
    from postmortems.requirements import requirement_exempt

    done = _open_incident(commander=UserFactory())
    _resolve(done, manager, when=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    PostmortemFactory(incident=done, status="published")
    exempt = _open_incident(commander=UserFactory())
    _resolve(exempt, manager, when=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    requirement_exempt(incident=exempt, user=manager, reason="Drill")
    assert send_requirement_reminders().sent == []


def test_resolving_on_the_edit_page_shows_the_owner_and_due_date(make_client):
    commander = UserFactory(first_name="Cora", last_name="Commander")
    incident = _open_incident(commander=commander)
    client = make_client(commander)
    response = client.post(
        reverse("incidents:update", args=[incident.reference]),
        {
            "title": incident.title,
            "severity": incident.severity,
            "status": Status.RESOLVED,
            "started_at": "2026-02-26T09:00",
            "detected_at": "2026-02-26T09:00",
            "resolved_at": "2026-03-06T15:00",
            "customer_impact": incident.customer_impact,
            "version": incident.updated_at.isoformat(),
        },
    )
    assert response.status_code == 302
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Required postmortem" in page
    assert "Owner: Cora Commander" in page
    assert "Due on" in page
    assert "Exempt from postmortem" not in page  # the commander is no Manager
