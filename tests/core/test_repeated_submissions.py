"""Sending the same rendered create form twice (a double click, a resent request) creates once;
the repeat leads to what the first created, with a message. Each rendering is a new form."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from actions.models import ActionItem
from core.models import FormSubmission, Role
from incidents.models import Incident, TimelineEntry
from postmortems.models import Comment
from tests.actions.conftest import new_item_data
from tests.concurrency import at_once
from tests.conftest import pin_clock
from tests.factories import IncidentFactory, PostmortemFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
ALREADY_SENT = "That was already sent once; here is what it created."


def _token(page: str, name: str = "submission_token") -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([0-9a-f-]{{36}})"', page)
    assert match, f"no {name} in the form"
    return match.group(1)


@dataclass
class CreateForm:
    """Where a create form is shown, where it posts, what it sends and what it creates."""

    page: Callable  # (world) -> URL of the page showing the form
    post: Callable  # (world) -> URL the form posts to
    data: Callable  # (text) -> the POST data, with ``text`` somewhere in it
    created: Callable  # () -> queryset of what it creates
    token_name: str = "submission_token"


def _incident_data(text):
    return {
        "title": text,
        "severity": "SEV2",
        "status": "investigating",
        "started_at": "2026-03-01T10:00",
        "tags": "",
        "version": "",
    }


def _entry_data(text):
    return {"occurred_at": "2026-03-08T23:40", "kind": "investigation", "body": text}


def _comment_data(text):
    return {"action": "comment", "section": "", "body": text}


def _review_page(world):
    return reverse("postmortems:review", args=[world["postmortem"].incident.reference])


FORMS = {
    "incident": CreateForm(
        page=lambda world: reverse("incidents:create"),
        post=lambda world: reverse("incidents:create"),
        data=_incident_data,
        created=lambda: Incident.objects.exclude(title="Existing"),
    ),
    "timeline entry": CreateForm(
        page=lambda world: world["incident"].get_absolute_url(),
        post=lambda world: reverse("incidents:timeline-create", args=[world["incident"].reference]),
        data=_entry_data,
        created=lambda: TimelineEntry.objects.all(),
    ),
    "action item": CreateForm(
        page=lambda world: world["postmortem"].get_absolute_url(),
        post=lambda world: reverse("actions:create", args=[world["postmortem"].incident.reference]),
        data=lambda text: new_item_data(title=text),
        created=lambda: ActionItem.objects.all(),
        token_name="new-action-submission_token",
    ),
    "comment": CreateForm(
        page=_review_page,
        post=_review_page,
        data=_comment_data,
        created=lambda: Comment.objects.filter(parent=None).exclude(body="Q?"),
    ),
    "reply": CreateForm(
        page=_review_page,
        post=_review_page,
        data=lambda text: {**_comment_data(text), "parent": Comment.objects.get(body="Q?").pk},
        created=lambda: Comment.objects.exclude(parent=None),
    ),
}


@pytest.fixture
def world(db):
    writer = UserFactory(username="writer", roles=[Role.AUTHOR])
    incident = IncidentFactory(title="Existing", created_by=writer)
    postmortem = PostmortemFactory(incident=incident, author=writer)
    Comment.objects.create(postmortem=postmortem, author=writer, body="Q?")
    return {"writer": writer, "incident": incident, "postmortem": postmortem}


@pytest.mark.parametrize("with_htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("kind", FORMS)
def test_the_same_form_sent_twice_creates_once_and_leads_to_it(kind, with_htmx, world):
    form = FORMS[kind]
    client = Client()
    client.force_login(world["writer"])
    headers = HTMX if with_htmx else {}
    token = _token(client.get(form.page(world)).content.decode(), form.token_name)
    data = {**form.data("Sent twice"), form.token_name: token}

    first = client.post(form.post(world), data, **headers)
    assert first.status_code in (200, 302)
    [created] = form.created()
    repeat = client.post(form.post(world), data, **headers)

    assert list(form.created()) == [created]
    if with_htmx:
        assert repeat.status_code == 200 and repeat["HX-Redirect"]
        target = repeat["HX-Redirect"]
    else:
        assert repeat.status_code == 302
        target = repeat.url
    if not with_htmx and first.status_code == 302:
        assert target.split("#")[0] == first.url.split("#")[0]  # where the first one led
    page = client.get(target)
    assert page.status_code == 200
    assert ALREADY_SENT in page.content.decode()


@pytest.mark.parametrize("kind", FORMS)
def test_a_new_rendering_of_the_form_creates_again(kind, world):
    form = FORMS[kind]
    client = Client()
    client.force_login(world["writer"])
    for _time in range(2):
        token = _token(client.get(form.page(world)).content.decode(), form.token_name)
        client.post(form.post(world), {**form.data("Meant twice"), form.token_name: token})
    assert form.created().count() == 2


@pytest.mark.parametrize("kind", FORMS)
def test_a_form_brought_back_and_changed_is_a_new_submission(kind, world):
    """The browser's Back button shows the same form (and token) again: changed, it is new."""
    form = FORMS[kind]
    client = Client()
    client.force_login(world["writer"])
    token = _token(client.get(form.page(world)).content.decode(), form.token_name)
    client.post(form.post(world), {**form.data("First text"), form.token_name: token})
    client.post(form.post(world), {**form.data("Second text"), form.token_name: token})
    assert form.created().count() == 2


def test_another_person_sending_the_same_token_creates_their_own(world):
    form = FORMS["incident"]
    token = _token(_signed_in(world["writer"]).get(form.page(world)).content.decode())
    data = {**form.data("Same text"), "submission_token": token}
    for user in (world["writer"], UserFactory()):
        assert _signed_in(user).post(form.post(world), data).status_code == 302
    assert form.created().count() == 2


def test_a_malformed_token_still_creates(world):
    form = FORMS["incident"]
    data = {**form.data("Odd token"), "submission_token": "not-a-uuid"}
    assert _signed_in(world["writer"]).post(form.post(world), data).status_code == 302
    assert form.created().count() == 1


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sends_of_one_form_create_once():
    """The second request waits for the first to commit, then leads to what it created."""
    writer = UserFactory(username="writer")  # anyone signed in may declare an incident
    form = FORMS["incident"]
    token = _token(_signed_in(writer).get(reverse("incidents:create")).content.decode())
    data = {**form.data("Raced"), "submission_token": token}
    clients = iter([_signed_in(writer), _signed_in(writer)])
    responses, errors = at_once(lambda: next(clients).post(reverse("incidents:create"), data))
    assert errors == []
    assert [response.status_code for response in responses] == [302, 302]
    [incident] = form.created()
    assert {response.url for response in responses} == {incident.get_absolute_url()}


def test_a_day_later_the_same_form_creates_again(world, pinned_now, monkeypatch):
    """Claims are kept for a day, then cleared: they only guard against repeats."""
    form = FORMS["incident"]
    client = _signed_in(world["writer"])
    token = _token(client.get(form.page(world)).content.decode())
    data = {**form.data("Sent again tomorrow"), "submission_token": token}
    client.post(form.post(world), data)
    pin_clock(monkeypatch, lambda: pinned_now + timedelta(days=1, minutes=1))
    client.post(form.post(world), data)
    assert form.created().count() == 2
    assert FormSubmission.objects.count() == 1
