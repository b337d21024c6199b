"""Overdue escalation: an action item overdue ``ACTION_ESCALATE_AFTER_DAYS`` days or more goes
to the managers of its owner's teams; only when the owner has no team manager who can be told
(or the item no owner) does it go to every Manager. Through the outbox, at pinned dates."""

from datetime import UTC, date, datetime

import pytest
from django.core import mail

from actions.services import send_action_reminders
from core.models import Role
from notifications.models import Notification, NotificationKind
from tests.factories import ActionItemFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

# Noon UTC on Tuesday 10 March 2026: the same day in every zone these people live in.
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _days_ago(n: int) -> date:
    return date(2026, 3, 10 - n)


def _titles_sent_to(user) -> list[str]:
    [summary] = [m for m in mail.outbox if m.to == [user.email] and "overdue" in m.subject]
    return sorted(
        line.removeprefix("- ").split(" — ")[0]
        for line in summary.body.splitlines()
        if " — " in line and line.startswith("- ")
    )


def _summaries_to(user) -> int:
    return sum(
        1 for m in mail.outbox if m.to == [user.email] and "action item" in m.subject.lower()
    )


@pytest.fixture
def org(settings):
    """Payments (managed by Pat) has Ann; Platform (managed by Quinn) has Ann and Bob; Cy is in
    Design, which has no manager; Dee is in no team. Mia is a Manager."""
    settings.ACTION_ESCALATE_AFTER_DAYS = 3
    people = {
        name: UserFactory(username=name, first_name=name.title(), last_name="X")
        for name in ("ann", "bob", "cy", "dee", "pat", "quinn")
    }
    people["mia"] = UserFactory(username="mia", roles=[Role.MANAGER])
    TeamFactory(name="Payments", manager=people["pat"], members=[people["ann"]])
    TeamFactory(name="Platform", manager=people["quinn"], members=[people["ann"], people["bob"]])
    TeamFactory(name="Design", members=[people["cy"]])
    return people


def test_an_item_escalates_to_its_owners_team_managers_only(org, deliver_outbox):
    ActionItemFactory(owner=org["ann"], title="Ann's late item", due_date=_days_ago(5))
    ActionItemFactory(owner=org["bob"], title="Bob's late item", due_date=_days_ago(4))

    send_action_reminders(now=NOW)
    deliver_outbox()

    assert _titles_sent_to(org["pat"]) == ["Ann's late item"]
    assert _titles_sent_to(org["quinn"]) == ["Ann's late item", "Bob's late item"]
    assert _summaries_to(org["mia"]) == 0  # every owner has a team manager


@pytest.mark.parametrize(
    ("days_overdue", "escalated"), [(2, False), (3, True), (9, True)], ids=["2d", "3d", "9d"]
)
def test_an_item_escalates_only_once_overdue_the_configured_days(
    org, deliver_outbox, days_overdue, escalated
):
    ActionItemFactory(owner=org["bob"], title="Bob's item", due_date=_days_ago(days_overdue))

    send_action_reminders(now=NOW)
    deliver_outbox()

    assert _summaries_to(org["quinn"]) == (1 if escalated else 0)
    # The owner is told from the first day overdue, whatever the escalation.
    assert len([m for m in mail.outbox if m.to == [org["bob"].email]]) == 1


def test_without_a_team_manager_an_item_falls_back_to_every_manager(org, deliver_outbox):
    ActionItemFactory(
        owner=org["cy"], title="Cy's item (team without manager)", due_date=_days_ago(4)
    )
    ActionItemFactory(owner=org["dee"], title="Dee's item (no team)", due_date=_days_ago(4))
    ActionItemFactory(owner=None, title="Nobody's item", due_date=_days_ago(4))
    ActionItemFactory(owner=org["bob"], title="Bob's item", due_date=_days_ago(4))

    send_action_reminders(now=NOW)
    deliver_outbox()

    assert _titles_sent_to(org["mia"]) == [
        "Cy's item (team without manager)",
        "Dee's item (no team)",
        "Nobody's item",
    ]
    assert _titles_sent_to(org["quinn"]) == ["Bob's item"]
    assert _summaries_to(org["pat"]) == 0


def test_a_team_manager_who_cannot_be_told_is_passed_over_for_the_managers(org, deliver_outbox):
    org["quinn"].is_active = False
    org["quinn"].save()
    ActionItemFactory(owner=org["bob"], title="Bob's item", due_date=_days_ago(4))
    ActionItemFactory(owner=org["ann"], title="Ann's item", due_date=_days_ago(4))

    send_action_reminders(now=NOW)
    deliver_outbox()

    assert _titles_sent_to(org["mia"]) == ["Bob's item"]  # Bob's only manager is inactive
    assert _titles_sent_to(org["pat"]) == ["Ann's item"]  # Ann still has Pat


def test_a_manager_owning_the_item_is_not_their_own_escalation(org, deliver_outbox):
    ActionItemFactory(owner=org["pat"], title="Pat's own item", due_date=_days_ago(4))
    TeamFactory(name="Payments").members.add(org["pat"])

    send_action_reminders(now=NOW)
    deliver_outbox()

    assert _titles_sent_to(org["mia"]) == ["Pat's own item"]
    assert len([m for m in mail.outbox if m.to == [org["pat"].email]]) == 1  # their digest


def test_the_escalation_is_a_notification_and_the_email_says_why(org, deliver_outbox):
    ActionItemFactory(owner=org["bob"], title="Bob's item", due_date=_days_ago(4))

    send_action_reminders(now=NOW)
    deliver_outbox()

    [summary] = [m for m in mail.outbox if m.to == [org["quinn"].email]]
    assert "Escalated to you: 3 days overdue or more" in summary.body
    assert "in a team you manage" in summary.alternatives[0][0]
    notification = Notification.objects.get(recipient=org["quinn"])
    assert notification.kind == NotificationKind.ESCALATED


def test_a_draft_postmortems_items_stay_with_its_readers(org, deliver_outbox):
    ActionItemFactory(
        owner=org["bob"],
        title="Draft item",
        due_date=_days_ago(4),
        postmortem__status="draft",
    )

    send_action_reminders(now=NOW)
    deliver_outbox()

    assert _summaries_to(org["quinn"]) == 0
