"""Adding and changing action items through the API: the add and edit forms' rules (a reason
for a moved due date and for Won't do, no past dates, active owners, https links), the
services' history and refusals, and the version check."""

from datetime import timedelta

import pytest
from django.utils import timezone

from actions.models import ActionItem, ActionItemChange
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def postmortem(author):
    return PostmortemFactory(author=author, status="in_review")


@pytest.fixture
def item(postmortem):
    return ActionItemFactory(postmortem=postmortem)


@pytest.fixture
def client(author, token_client):
    return token_client(author)


def _create(client, to, **fields):
    return client.post(
        "/api/action-items/",
        {"postmortem": to.incident.reference, "title": "Add a unit test", **fields},
        content_type="application/json",
    )


def _patch(client, item, **fields):
    return client.patch(f"/api/action-items/{item.pk}/", fields, content_type="application/json")


def _status(client, item, **fields):
    return client.post(
        f"/api/action-items/{item.pk}/status/", fields, content_type="application/json"
    )


def test_adding_an_item_with_every_field(client, postmortem, author):
    owner = UserFactory()
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = _create(
        client,
        postmortem,
        kind="detect",
        priority="P1",
        owner=owner.pk,
        due_date=due,
        tracker_url="tracker.example.com/OPS-12",
        description="Fail the build on a unit mismatch.",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["postmortem"] == postmortem.incident.reference
    assert (body["kind"], body["priority"], body["due_date"]) == ("detect", "P1", due)
    assert body["tracker_url"] == "https://tracker.example.com/OPS-12"
    assert "<p>Fail the build" in body["description_html"]
    item = ActionItem.objects.get(pk=body["id"])
    assert (item.created_by, item.owner) == (author, owner)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "blame"}, "kind"),
        ({"priority": "P0"}, "priority"),
        ({"owner": 10**12}, "owner"),
        ({"owner": 10**20}, "owner"),
        ({"owner": -1}, "owner"),
        ({"owner": "someone"}, "owner"),
        ({"due_date": "2026-02-30"}, "due_date"),
        ({"due_date": "1900-01-01"}, "due_date"),
        ({"due_date": "9999-12-31"}, "due_date"),
        ({"tracker_url": "javascript:alert(1)"}, "tracker_url"),
        ({"description": "x" * 20_001}, "description"),
        ({"postmortem": "INC-99999999999999"}, "postmortem"),
        ({"postmortem": "nonsense"}, "postmortem"),
    ],
)
def test_bad_values_for_a_new_item_get_400(fields, field, client, postmortem):
    response = _create(client, postmortem, **fields)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not ActionItem.objects.exists()


def test_a_new_item_s_owner_must_be_active(client, postmortem):
    gone = UserFactory(is_active=False)
    response = _create(client, postmortem, owner=gone.pk)
    assert response.status_code == 400
    assert "Select a valid choice" in response.json()["errors"]["owner"][0]
    assert not ActionItem.objects.exists()


def test_a_past_due_date_is_refused_for_a_new_item(client, postmortem):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = _create(client, postmortem, due_date=yesterday)
    assert response.json()["errors"]["due_date"] == [
        "That date has passed; pick today or a later date."
    ]


def test_moving_a_due_date_needs_a_reason_kept_in_the_history(client, item):
    later = (item.due_date + timedelta(days=14)).isoformat()
    refused = _patch(client, item, due_date=later)
    assert refused.status_code == 400
    assert "Say why the due date moves" in refused.json()["errors"]["reason"][0]

    moved = _patch(client, item, due_date=later, reason="Waiting on the vendor.")
    assert moved.status_code == 200
    change = ActionItemChange.objects.get(item=item)
    assert (change.field, change.new_value, change.reason) == (
        "due_date",
        later,
        "Waiting on the vendor.",
    )


def test_won_t_do_needs_a_reason(client, item):
    refused = _status(client, item, status="wont_do")
    assert refused.status_code == 400
    assert "Say why this will not be done." in refused.json()["errors"]["note"]
    dropped = _status(client, item, status="wont_do", note="Replaced by INC-9's fix.")
    assert dropped.status_code == 200
    assert dropped.json()["resolution_note"] == "Replaced by INC-9's fix."


@pytest.mark.parametrize("body", [{"status": "finished"}, {}, {"status": ["done"]}])
def test_an_unknown_status_gets_400(body, client, item):
    response = client.post(
        f"/api/action-items/{item.pk}/status/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_done_and_reopened_through_the_status_endpoint(client, item):
    refused = _status(client, item, status="done")
    assert refused.status_code == 400
    assert "needs evidence" in str(refused.json())
    done = _status(client, item, status="done", evidence_url="https://ci.example.com/runs/7")
    assert done.json()["status"] == "done"
    assert done.json()["evidence_url"] == "https://ci.example.com/runs/7"
    assert done.json()["completed_at"] is not None
    reopened = _status(client, item, status="open")
    assert (reopened.json()["status"], reopened.json()["completed_at"]) == ("open", None)
    assert list(
        ActionItemChange.objects.filter(item=item).order_by("pk").values_list("new_value")
    ) == [("done",), ("open",)]


def test_a_change_from_a_stale_version_is_refused_with_409(client, item, author, token_client):
    loaded = client.get(f"/api/action-items/{item.pk}/").json()["version"]
    assert _patch(token_client(author), item, title="Someone else's title").status_code == 200

    refused = _patch(client, item, title="Mine", version=loaded)
    assert refused.status_code == 409
    assert refused.json()["code"] == "stale"
    item.refresh_from_db()
    assert item.title == "Someone else's title"
    current = refused.json()["current_version"]
    assert current == client.get(f"/api/action-items/{item.pk}/").json()["version"]
    assert _patch(client, item, title="Mine", version=current).status_code == 200


def test_the_text_of_an_approved_postmortem_s_item_is_frozen_but_tracking_goes_on(author, client):
    item = ActionItemFactory(postmortem=PostmortemFactory(author=author, status="approved"))
    renamed = _patch(client, item, title="Renamed")
    assert renamed.status_code == 409
    assert renamed.json()["code"] == "frozen"
    assert "approved" in renamed.json()["detail"]
    item.refresh_from_db()
    assert item.title != "Renamed"
    # Sending the text as it is, with a tracking change, goes through.
    unchanged = _patch(client, item, title=item.title, priority="P1")
    assert unchanged.status_code == 200
    assert _status(client, item, status="in_progress").json()["status"] == "in_progress"


def test_an_item_cannot_be_added_to_an_approved_postmortem(author, client):
    approved = PostmortemFactory(author=author, status="approved")
    response = _create(client, approved)
    assert response.status_code == 400
    assert "approved" in response.json()["detail"]
    assert not ActionItem.objects.exists()


def test_put_is_not_offered(client, item):
    response = client.put(f"/api/action-items/{item.pk}/", {}, content_type="application/json")
    assert response.status_code == 405


@pytest.mark.parametrize("pk", ["99999999999999999999999", "0"])
def test_unknown_items_are_404(pk, client):
    assert client.get(f"/api/action-items/{pk}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_status_change_commits_with_its_history(migration_data, token_client):
    author = UserFactory()
    item = ActionItemFactory(postmortem=PostmortemFactory(author=author, status="published"))
    response = _status(token_client(author), item, status="in_progress")
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.status == "in_progress"
    assert ActionItemChange.objects.filter(item=item, new_value="in_progress").exists()
