"""The pages' permission rules hold through the API, for tokens as for the pages: drafts are
read by their writers, reviewers and staff only (their items by their owner too); items are
changed by their owner, the postmortem's writers, managers and staff; sections by the writers,
reviewers and staff."""

import pytest

from actions.models import ActionItem, ActionItemChange
from core.models import Role
from notifications.models import Notification
from postmortems.models import Revision
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    writer, co_writer, owner = UserFactory(), UserFactory(), UserFactory()
    return {
        "author": writer,
        "co-author": co_writer,
        "owner": owner,
        "manager": UserFactory(roles=[Role.MANAGER]),
        "staff": UserFactory(is_staff=True),
        "reviewer": UserFactory(roles=[Role.REVIEWER]),
        "another author": UserFactory(roles=[Role.AUTHOR]),
        "outsider": UserFactory(),
    }


def _postmortem(cast, status):
    return PostmortemFactory(author=cast["author"], co_authors=[cast["co-author"]], status=status)


DRAFT_READERS = ["author", "co-author", "reviewer", "staff"]
NOT_DRAFT_READERS = ["owner", "manager", "another author", "outsider"]


@pytest.mark.parametrize("who", DRAFT_READERS)
def test_writers_reviewers_and_staff_read_a_draft(who, cast, token_client):
    draft = _postmortem(cast, "draft")
    client = token_client(cast[who])
    reference = draft.incident.reference
    assert client.get(f"/api/postmortems/{reference}/").status_code == 200
    assert client.get(f"/api/postmortems/{reference}/comments/").status_code == 200
    listed = client.get("/api/postmortems/").json()["results"]
    assert [p["reference"] for p in listed] == [reference]


@pytest.mark.parametrize("who", NOT_DRAFT_READERS)
def test_nobody_else_reads_a_draft_or_its_comments(who, cast, token_client):
    draft = _postmortem(cast, "draft")
    client = token_client(cast[who])
    reference = draft.incident.reference
    assert client.get(f"/api/postmortems/{reference}/").status_code == 404
    assert client.get(f"/api/postmortems/{reference}/comments/").status_code == 404
    assert client.get("/api/postmortems/").json()["results"] == []


@pytest.mark.parametrize("who", NOT_DRAFT_READERS)
def test_everyone_signed_in_reads_a_postmortem_past_its_draft(who, cast, token_client):
    in_review = _postmortem(cast, "in_review")
    client = token_client(cast[who])
    assert client.get(f"/api/postmortems/{in_review.incident.reference}/").status_code == 200


def test_a_draft_s_items_are_hidden_except_from_their_owner_and_its_readers(cast, token_client):
    item = ActionItemFactory(postmortem=_postmortem(cast, "draft"), owner=cast["owner"])
    for who in ["owner", *DRAFT_READERS]:
        client = token_client(cast[who])
        assert client.get(f"/api/action-items/{item.pk}/").status_code == 200, who
        assert [i["id"] for i in client.get("/api/action-items/").json()["results"]] == [item.pk]
    for who in ["manager", "another author", "outsider"]:
        client = token_client(cast[who])
        assert client.get(f"/api/action-items/{item.pk}/").status_code == 404, who
        assert client.get("/api/action-items/").json()["results"] == []


ITEM_EDITORS = ["owner", "author", "co-author", "manager", "staff"]
ITEM_READERS_ONLY = ["reviewer", "another author", "outsider"]


@pytest.mark.parametrize("who", ITEM_EDITORS)
def test_owners_writers_managers_and_staff_change_an_item(who, cast, token_client):
    item = ActionItemFactory(postmortem=_postmortem(cast, "in_review"), owner=cast["owner"])
    client = token_client(cast[who])
    renamed = client.patch(
        f"/api/action-items/{item.pk}/", {"title": "Renamed"}, content_type="application/json"
    )
    assert renamed.status_code == 200, renamed.json()
    assert renamed.json()["title"] == "Renamed"
    done = client.post(
        f"/api/action-items/{item.pk}/status/",
        {"status": "done", "evidence_note": "Shipped"},
        content_type="application/json",
    )
    assert done.status_code == 200
    item.refresh_from_db()
    assert (item.title, item.status) == ("Renamed", "done")
    # Through the service: the history says who and what, as a change on the page would.
    change = ActionItemChange.objects.get(item=item)
    assert (change.field, change.old_value, change.new_value) == ("status", "open", "done")
    assert change.changed_by == cast[who]


@pytest.mark.parametrize("who", ITEM_READERS_ONLY)
def test_others_read_an_item_but_cannot_change_it(who, cast, token_client):
    item = ActionItemFactory(postmortem=_postmortem(cast, "in_review"), title="Original")
    client = token_client(cast[who])
    assert client.get(f"/api/action-items/{item.pk}/").json()["title"] == "Original"
    refused = client.patch(
        f"/api/action-items/{item.pk}/", {"title": "Hijacked"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert "Only the owner" in refused.json()["detail"]
    refused = client.post(
        f"/api/action-items/{item.pk}/status/", {"status": "done"}, content_type="application/json"
    )
    assert refused.status_code == 403
    item.refresh_from_db()
    assert (item.title, item.status) == ("Original", "open")


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("author", True),
        ("co-author", True),
        ("manager", True),
        ("staff", True),
        ("reviewer", False),
        ("another author", False),
        ("outsider", False),
    ],
)
def test_writers_managers_and_staff_add_items(who, allowed, cast, token_client):
    postmortem = _postmortem(cast, "in_review")
    response = token_client(cast[who]).post(
        "/api/action-items/",
        {"postmortem": postmortem.incident.reference, "title": "Alert on error budget burn"},
        content_type="application/json",
    )
    assert response.status_code == (201 if allowed else 403)
    assert ActionItem.objects.filter(postmortem=postmortem).exists() is allowed


def test_an_item_cannot_be_added_to_a_draft_one_may_not_read(cast, token_client):
    draft = _postmortem(cast, "draft")
    response = token_client(cast["manager"]).post(
        "/api/action-items/",
        {"postmortem": draft.incident.reference, "title": "Sneaky"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "No postmortem you may read" in response.json()["errors"]["postmortem"][0]
    assert not ActionItem.objects.exists()


def test_a_new_owner_is_told_as_when_assigned_on_the_page(cast, token_client):
    postmortem = _postmortem(cast, "in_review")
    response = token_client(cast["author"]).post(
        "/api/action-items/",
        {
            "postmortem": postmortem.incident.reference,
            "title": "Page on saturation",
            "owner": cast["owner"].pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["owner"]["id"] == cast["owner"].pk
    # No due date sent: the priority's default, as the add form suggests.
    assert body["due_date"] is not None
    assert Notification.objects.filter(recipient=cast["owner"], title="Page on saturation").exists()


SECTION_EDITORS = ["author", "co-author", "reviewer", "staff"]


@pytest.mark.parametrize("who", SECTION_EDITORS)
def test_writers_reviewers_and_staff_change_sections(who, cast, token_client):
    postmortem = _postmortem(cast, "in_review")
    response = token_client(cast[who]).patch(
        f"/api/postmortems/{postmortem.incident.reference}/sections/",
        {"version": postmortem.version, "sections": {"impact": "Checkout failed."}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["sections"]["impact"] == "Checkout failed."
    assert response.json()["version"] == postmortem.version + 1
    revision = Revision.objects.get(postmortem=postmortem, number=postmortem.version + 1)
    assert revision.author == cast[who]
    assert revision.changed_sections == ["impact"]


@pytest.mark.parametrize("who", ["owner", "manager", "another author", "outsider"])
def test_nobody_else_changes_sections(who, cast, token_client):
    postmortem = _postmortem(cast, "in_review")
    response = token_client(cast[who]).patch(
        f"/api/postmortems/{postmortem.incident.reference}/sections/",
        {"version": postmortem.version, "sections": {"impact": "Hijacked."}},
        content_type="application/json",
    )
    assert response.status_code == 403
    postmortem.refresh_from_db()
    assert postmortem.impact != "Hijacked."
