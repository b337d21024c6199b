"""A draft's action items are read only by those who read the draft (its writers, Reviewers and
staff), on every page, export, search and email that shows items; a published postmortem's
items by everyone signed in. The one exception: an item's owner always sees it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core.models import Role
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db

TITLE = "Rotate the quokka credentials"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def people():
    writer, co_writer = UserFactory(username="writer"), UserFactory(username="co_writer")
    return {
        "writer": writer,
        "co-writer": co_writer,
        "reviewer": UserFactory(username="reviewer", roles=[Role.REVIEWER]),
        "staff": UserFactory(username="staff", is_staff=True),
        "manager and reviewer": UserFactory(
            username="manager_reviewer", roles=[Role.MANAGER, Role.REVIEWER]
        ),
        "outsider": UserFactory(username="outsider"),
        "another author": UserFactory(username="another_author", roles=[Role.AUTHOR]),
        "manager": UserFactory(username="manager", roles=[Role.MANAGER]),
    }


def _item(people, status: str):
    postmortem = PostmortemFactory(
        author=people["writer"], co_authors=[people["co-writer"]], status=status
    )
    # Overdue, owned by someone else, so it shows in every list, count and summary.
    return ActionItemFactory(
        postmortem=postmortem,
        title=TITLE,
        owner=UserFactory(username="item_owner"),
        due_date=timezone.localdate() - timedelta(days=3),
    )


def _shown_on_every_read_path(client, item) -> dict[str, bool]:
    reference = item.postmortem.incident.reference
    search = client.get(reverse("search:results"), {"q": "quokka", "type": "actions"})
    return {
        "detail": client.get(item.get_absolute_url()).status_code == 200,
        "list": TITLE in client.get(reverse("actions:list")).content.decode(),
        "list of the incident": TITLE
        in client.get(reverse("actions:list"), {"incident": reference}).content.decode(),
        "csv": TITLE in b"".join(client.get(reverse("actions:export")).streaming_content).decode(),
        "section partial": TITLE
        in client.get(reverse("actions:postmortem", args=[reference]), **HTMX).content.decode(),
        "search": TITLE in search.content.decode(),
        "dashboard count": client.get(reverse("actions:dashboard")).context["counts"]["overdue"]
        == 1,
        "dashboard list": TITLE in client.get(reverse("actions:dashboard")).content.decode(),
    }


READ_PATHS = [
    "detail",
    "list",
    "list of the incident",
    "csv",
    "section partial",
    "search",
    "dashboard count",
    "dashboard list",
]
DRAFT_READERS = ["writer", "co-writer", "reviewer", "staff", "manager and reviewer"]
NOT_DRAFT_READERS = ["outsider", "another author", "manager"]


@pytest.mark.parametrize("who", DRAFT_READERS)
def test_those_who_read_a_draft_see_its_items_everywhere(who, people, make_client):
    item = _item(people, "draft")
    shown = _shown_on_every_read_path(make_client(people[who]), item)
    assert shown == dict.fromkeys(READ_PATHS, True)


@pytest.mark.parametrize("who", NOT_DRAFT_READERS)
def test_nobody_else_sees_a_drafts_items_anywhere(who, people, make_client):
    item = _item(people, "draft")
    shown = _shown_on_every_read_path(make_client(people[who]), item)
    assert shown == dict.fromkeys(READ_PATHS, False)


@pytest.mark.parametrize("who", DRAFT_READERS + NOT_DRAFT_READERS)
@pytest.mark.parametrize("status", ["in_review", "published"])
def test_everyone_signed_in_sees_the_items_once_past_draft(who, status, people, make_client):
    item = _item(people, status)
    shown = _shown_on_every_read_path(make_client(people[who]), item)
    assert shown == dict.fromkeys(READ_PATHS, True)


@pytest.mark.parametrize("who", NOT_DRAFT_READERS)
def test_those_who_may_not_read_the_draft_get_no_answer_about_its_items(who, people, make_client):
    item = _item(people, "draft")
    client = make_client(people[who])
    reference = item.postmortem.incident.reference
    assert client.get(item.get_absolute_url()).status_code == 404
    assert client.get(reverse("actions:update", args=[item.pk])).status_code == 404
    status_url = reverse("actions:status", args=[item.pk])
    assert client.post(status_url, {"status": "done"}).status_code == 404
    assert client.get(reverse("actions:postmortem", args=[reference]), **HTMX).status_code == 403
    assert client.get(reverse("actions:create", args=[reference])).status_code == 403
    item.refresh_from_db()
    assert item.status == "open"


def test_the_owner_always_sees_the_item_they_own_but_not_the_draft(people, make_client):
    item = _item(people, "draft")
    client = make_client(item.owner)
    assert TITLE in client.get(reverse("actions:mine")).content.decode()
    assert client.get(item.get_absolute_url()).status_code == 200
    assert TITLE in client.get(reverse("actions:list")).content.decode()
    assert (
        client.post(
            reverse("actions:status", args=[item.pk]),
            {"status": "done", "evidence_note": "Deployed"},
        ).status_code
        == 302
    )
    item.refresh_from_db()
    assert item.status == "done"
    assert client.get(item.postmortem.get_absolute_url()).status_code == 403


def test_a_manager_who_may_not_read_the_draft_gets_no_summary_of_its_items(
    people, deliver_outbox, settings
):
    settings.ACTION_ESCALATE_AFTER_DAYS = 1  # these owners have no team: every Manager is told
    item = _item(people, "draft")
    ActionItemFactory(  # overdue too, on a published postmortem
        title="Renew the wombat certificate",
        due_date=timezone.localdate() - timedelta(days=2),
    )
    call_command("send_action_reminders")
    deliver_outbox()
    [manager_summary] = [m for m in mail.outbox if m.to == [people["manager"].email]]
    assert "Renew the wombat certificate" in manager_summary.body
    assert TITLE not in manager_summary.body
    assert manager_summary.subject == "Hindsight: 1 action item is overdue"
    [reviewing_manager_summary] = [
        m for m in mail.outbox if m.to == [people["manager and reviewer"].email]
    ]
    assert TITLE in reviewing_manager_summary.body
    assert "2 action items are overdue" in reviewing_manager_summary.subject
    [owner_digest] = [m for m in mail.outbox if m.to == [item.owner.email]]
    assert TITLE in owner_digest.body


def test_a_manager_gets_no_summary_when_only_a_drafts_items_are_overdue(people, deliver_outbox):
    _item(people, "draft")
    call_command("send_action_reminders")
    deliver_outbox()
    assert not [m for m in mail.outbox if m.to == [people["manager"].email]]
