"""Owners, the postmortem's writers, managers and staff may change an item; everyone signed in
may read an item of a postmortem past its draft; nobody signed out may do either. (Drafts' items:
tests/actions/test_draft_items_visibility.py.)"""

import pytest
from django.urls import reverse

from actions.models import ActionItem
from core.models import Role
from tests.actions.conftest import edit_data, new_item_data
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    writer, co_writer, owner = UserFactory(), UserFactory(), UserFactory()
    # In review: readable by everyone signed in, and its items' text may still change.
    postmortem = PostmortemFactory(author=writer, co_authors=[co_writer], status="in_review")
    item = ActionItemFactory(postmortem=postmortem, owner=owner, title="Original", kind="mitigate")
    return {
        "item": item,
        "owner": owner,
        "author": writer,
        "co-author": co_writer,
        "manager": UserFactory(roles=[Role.MANAGER]),
        "staff": UserFactory(is_staff=True),
        # Neither writes this postmortem nor owns the item:
        "reviewer": UserFactory(roles=[Role.REVIEWER]),
        "another author": UserFactory(roles=[Role.AUTHOR]),
        "outsider": UserFactory(),
    }


EDITORS = ["owner", "author", "co-author", "manager", "staff"]
READERS_ONLY = ["reviewer", "another author", "outsider"]


@pytest.mark.parametrize("who", EDITORS)
def test_owners_writers_managers_and_staff_may_edit_an_item(who, cast, make_client):
    item = cast["item"]
    client = make_client(cast[who])
    assert client.get(reverse("actions:update", args=[item.pk])).status_code == 200
    response = client.post(
        reverse("actions:update", args=[item.pk]), edit_data(item, title="Renamed")
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title == "Renamed"
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Mark done" in page and ">Edit<" in page


@pytest.mark.parametrize("who", EDITORS)
def test_owners_writers_managers_and_staff_may_complete_an_item(who, cast, make_client):
    item = cast["item"]
    response = make_client(cast[who]).post(
        reverse("actions:status", args=[item.pk]), {"status": "done"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "done"


@pytest.mark.parametrize("who", READERS_ONLY)
def test_others_may_read_an_item_but_not_change_it(who, cast, make_client):
    item = cast["item"]
    client = make_client(cast[who])
    page = client.get(item.get_absolute_url())
    assert page.status_code == 200
    assert "Original" in page.content.decode()
    assert "Mark done" not in page.content.decode()
    assert client.get(reverse("actions:update", args=[item.pk])).status_code == 403
    assert (
        client.post(
            reverse("actions:update", args=[item.pk]), edit_data(item, title="Hijacked")
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("actions:status", args=[item.pk]), {"status": "done"}).status_code
        == 403
    )
    item.refresh_from_db()
    assert (item.title, item.status) == ("Original", "open")


@pytest.mark.parametrize("who", READERS_ONLY)
def test_everyone_signed_in_may_read_the_lists_and_the_dashboard(who, cast, make_client):
    client = make_client(cast[who])
    for name in ("actions:list", "actions:mine", "actions:dashboard", "actions:export"):
        assert client.get(reverse(name)).status_code == 200, name
    assert "Original" in client.get(reverse("actions:list")).content.decode()


@pytest.mark.parametrize("who", ["author", "co-author", "manager", "staff"])
def test_writers_managers_and_staff_may_add_items(who, cast, make_client):
    postmortem = cast["item"].postmortem
    response = make_client(cast[who]).post(
        reverse("actions:create", args=[postmortem.incident.reference]),
        new_item_data(title="Added"),
    )
    assert response.status_code == 302
    added = ActionItem.objects.get(title="Added")
    assert added.created_by == cast[who]


@pytest.mark.parametrize("who", ["owner", *READERS_ONLY])
def test_others_may_not_add_items_and_are_not_offered_the_form(who, cast, make_client):
    postmortem = cast["item"].postmortem
    client = make_client(cast[who])
    url = reverse("actions:create", args=[postmortem.incident.reference])
    assert client.post(url, new_item_data(title="Added")).status_code == 403
    assert client.get(url).status_code == 403
    assert not ActionItem.objects.filter(title="Added").exists()
    section = client.get(
        reverse("actions:postmortem", args=[postmortem.incident.reference]),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Original" in section
    assert "Add an action item" not in section


def test_signed_out_visitors_are_sent_to_sign_in_for_every_page_and_write(client, cast):
    item = cast["item"]
    reference = item.postmortem.incident.reference
    pages = [
        ("get", reverse("actions:list")),
        ("get", reverse("actions:export")),
        ("get", reverse("actions:mine")),
        ("get", reverse("actions:dashboard")),
        ("get", reverse("actions:postmortem", args=[reference])),
        ("get", reverse("actions:create", args=[reference])),
        ("post", reverse("actions:create", args=[reference])),
        ("get", reverse("actions:detail", args=[item.pk])),
        ("get", reverse("actions:update", args=[item.pk])),
        ("post", reverse("actions:update", args=[item.pk])),
        ("post", reverse("actions:status", args=[item.pk])),
    ]
    for method, url in pages:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url
    item.refresh_from_db()
    assert item.status == "open"


def test_everyone_finds_their_action_items_and_the_dashboard_from_the_navigation(cast, make_client):
    client = make_client(cast["outsider"])
    page = client.get(reverse("incidents:list")).content.decode()
    assert f'href="{reverse("actions:mine")}">Action items<' in page
    mine = client.get(reverse("actions:mine")).content.decode()
    assert f'href="{reverse("actions:dashboard")}">Dashboard<' in mine
