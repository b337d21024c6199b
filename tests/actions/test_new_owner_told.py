"""A person made the owner of an action item is told, in the app and by email."""

import pytest
from django.core import mail
from django.urls import reverse

from actions.services import action_item_create
from core.models import Role
from notifications.models import EmailPreference, Notification, NotificationKind
from tests.actions.conftest import edit_data, new_item_data
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db
ASSIGNED = NotificationKind.ACTION_ITEM_ASSIGNED


@pytest.fixture
def owner(db):
    return UserFactory(username="olive", first_name="Olive", last_name="Owens")


def _add(client, postmortem, **fields):
    url = reverse("actions:create", args=[postmortem.incident.reference])
    return client.post(url, new_item_data(**fields))


def test_an_item_created_with_an_owner_tells_the_owner(
    postmortem, author, author_client, owner, django_capture_on_commit_callbacks, deliver_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _add(author_client, postmortem, title="Alert on queue depth", owner=owner.pk)
    assert response.status_code == 302
    item = postmortem.action_items.get()
    told = Notification.objects.get()
    assert (told.recipient, told.kind, told.actor) == (owner, ASSIGNED, author)
    assert told.title == "Alert on queue depth"
    assert told.url == item.get_absolute_url()
    deliver_outbox()  # as the worker does
    [email] = mail.outbox
    assert email.to == [owner.email]
    reference = postmortem.incident.reference
    assert email.subject == f"Action item for you: Alert on queue depth ({reference})"
    assert f"made you the owner of an action item from {reference}" in email.body
    assert f"http://127.0.0.1:8000{item.get_absolute_url()}" in email.body


def test_the_owner_sees_it_in_their_notifications_and_may_open_it(
    postmortem, author_client, owner, make_client
):
    postmortem.status = "draft"  # a draft's items are hidden from outsiders, not from owners
    postmortem.save()
    _add(author_client, postmortem, title="Alert on queue depth", owner=owner.pk)
    client = make_client(owner)
    assert (
        "Action item assigned to you" in client.get(reverse("notifications:list")).content.decode()
    )
    opened = client.post(reverse("notifications:open", args=[Notification.objects.get().pk]))
    assert client.get(opened.url).status_code == 200


def test_nobody_is_told_of_an_item_without_an_owner_or_one_they_took_themselves(
    postmortem, author, author_client, django_capture_on_commit_callbacks, deliver_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        _add(author_client, postmortem, title="Nobody's")
        _add(author_client, postmortem, title="Mine", owner=author.pk)
    assert postmortem.action_items.count() == 2
    assert not Notification.objects.exists()
    deliver_outbox()  # as the worker does
    assert mail.outbox == []


def test_a_new_owner_is_told_and_the_old_one_is_not(
    author, author_client, owner, django_capture_on_commit_callbacks, deliver_outbox
):
    before = UserFactory(username="bea")
    item = ActionItemFactory(owner=before, postmortem__author=author)
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(
            reverse("actions:update", args=[item.pk]), edit_data(item, owner=owner.pk)
        )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.owner == owner
    assert list(Notification.objects.values_list("recipient__username", "kind")) == [
        ("olive", ASSIGNED)
    ]
    deliver_outbox()  # as the worker does
    assert [message.to for message in mail.outbox] == [[owner.email]]


def test_saving_an_item_without_changing_its_owner_tells_nobody(author, author_client, owner):
    item = ActionItemFactory(owner=owner, postmortem__author=author)
    author_client.post(
        reverse("actions:update", args=[item.pk]),
        edit_data(item, priority="P1", status="in_progress"),
    )
    item.refresh_from_db()
    assert (item.priority, item.status) == ("P1", "in_progress")
    assert not Notification.objects.exists()


def test_taking_an_item_yourself_tells_nobody(author, owner, make_client):
    manager = UserFactory(username="mo", roles=[Role.MANAGER])
    item = ActionItemFactory(owner=owner, postmortem__author=author)
    response = make_client(manager).post(
        reverse("actions:update", args=[item.pk]), edit_data(item, owner=manager.pk)
    )
    assert response.status_code == 302
    assert not Notification.objects.exists()


def test_an_owner_who_turned_the_email_off_is_told_only_in_the_app(
    postmortem, author, owner, django_capture_on_commit_callbacks, deliver_outbox
):
    EmailPreference.objects.create(user=owner, kind=ASSIGNED, enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        action_item_create(postmortem=postmortem, created_by=author, title="Quiet", owner=owner)
    deliver_outbox()  # as the worker does
    assert mail.outbox == []
    assert Notification.objects.get().recipient == owner


@pytest.mark.django_db(transaction=True)
def test_the_owner_email_leaves_once_the_item_is_committed(
    author_client, author, owner, deliver_outbox
):
    postmortem = PostmortemFactory(author=author)
    response = _add(author_client, postmortem, title="Alert on queue depth", owner=owner.pk)
    assert response.status_code == 302
    deliver_outbox()  # as the worker does
    assert [message.to for message in mail.outbox] == [[owner.email]]
    assert Notification.objects.get().recipient == owner
