"""Completing a prevent or detect item needs evidence (a link or a note): the rule is the
service's, so the item page, the edit form and the API all obey it."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from actions.models import ActionItem
from actions.services import ActionItemError, action_item_set_status
from core.forms import NOTE_MAX_LENGTH
from tests.factories import ActionItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fresh(item) -> ActionItem:
    return ActionItem.objects.get(pk=item.pk)


@pytest.mark.parametrize(
    ("kind", "needs_evidence"),
    [("prevent", True), ("detect", True), ("mitigate", False), ("process", False)],
)
def test_only_prevent_and_detect_items_need_evidence_to_be_done(kind, needs_evidence):
    item = _fresh(ActionItemFactory(kind=kind))
    if needs_evidence:
        with pytest.raises(ActionItemError, match="needs evidence"):
            action_item_set_status(item=item, status="done", changed_by=item.created_by)
        assert _fresh(item).status == "open"
    else:
        action_item_set_status(item=item, status="done", changed_by=item.created_by)
        assert _fresh(item).status == "done"


@pytest.mark.parametrize(
    "evidence",
    [
        {"evidence_url": "https://ci.example.com/runs/42"},
        {"evidence_note": "The canary caught the bad config on 3 Nov."},
        {"evidence_url": "http://grafana.internal/d/x", "evidence_note": "Alert fired in test."},
    ],
)
def test_a_link_or_a_note_or_both_is_enough(evidence):
    item = _fresh(ActionItemFactory(kind="detect"))
    action_item_set_status(item=item, status="done", changed_by=item.created_by, **evidence)
    saved = _fresh(item)
    assert saved.status == "done"
    assert (saved.evidence_url, saved.evidence_note) == (
        evidence.get("evidence_url", ""),
        evidence.get("evidence_note", ""),
    )


@pytest.mark.parametrize(
    ("evidence", "message"),
    [
        ({"evidence_note": "   "}, "needs evidence"),
        ({"evidence_url": "javascript:alert(1)"}, "http:// or https://"),
        ({"evidence_url": "ftp://files.example.com/fix"}, "http:// or https://"),
        ({"evidence_url": "https://example.com/" + "a" * 500}, "too long"),
        ({"evidence_note": "x" * (NOTE_MAX_LENGTH + 1)}, "too long"),
    ],
)
def test_bad_evidence_is_refused_with_a_message(evidence, message):
    item = _fresh(ActionItemFactory(kind="prevent"))
    with pytest.raises(ActionItemError, match=message):
        action_item_set_status(item=item, status="done", changed_by=item.created_by, **evidence)
    assert _fresh(item).status == "open"


def test_reopening_clears_the_evidence_and_the_history_keeps_the_completion():
    item = _fresh(ActionItemFactory(kind="prevent"))
    action_item_set_status(
        item=item, status="done", changed_by=item.created_by, evidence_note="Merged"
    )
    action_item_set_status(item=_fresh(item), status="open", changed_by=item.created_by)
    assert (_fresh(item).evidence_url, _fresh(item).evidence_note) == ("", "")


def test_the_item_page_asks_for_evidence_and_shows_it(make_client):
    owner = UserFactory()
    item = ActionItemFactory(kind="prevent", owner=owner, title="Validate units")
    client = make_client(owner)
    page = client.get(item.get_absolute_url()).content.decode()
    assert 'id="complete-item"' in page and 'name="evidence_url"' in page

    url = reverse("actions:status", args=[item.pk])
    refused = client.post(url, {"status": "done", "next": item.get_absolute_url()})
    assert refused.status_code == 302
    assert any("needs evidence" in str(m) for m in get_messages(refused.wsgi_request))
    assert _fresh(item).status == "open"

    typed = {"status": "done", "evidence_url": "not a link", "evidence_note": "Canary <b>on</b>"}
    bad_link = client.post(url, typed)
    assert bad_link.status_code == 400  # the page again, with what was typed and why not
    page = bad_link.content.decode()
    assert 'value="not a link"' in page and "Canary &lt;b&gt;on&lt;/b&gt;</textarea>" in page
    assert "Enter a valid URL" in page
    assert _fresh(item).status == "open"

    client.post(
        url,
        {
            "status": "done",
            "evidence_url": "https://git.example.com/ops/app/-/merge_requests/9",
            "evidence_note": "Deploys now **refuse** bad units.",
            "next": item.get_absolute_url(),
        },
    )
    assert _fresh(item).status == "done"
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Evidence the fix is in place" in page
    assert 'href="https://git.example.com/ops/app/-/merge_requests/9"' in page
    assert "<strong>refuse</strong>" in page
    assert 'id="complete-item"' not in page


def test_a_mitigate_item_is_still_done_in_one_click(make_client):
    owner = UserFactory()
    item = ActionItemFactory(kind="mitigate", owner=owner)
    page = make_client(owner).get(item.get_absolute_url()).content.decode()
    assert 'id="complete-item"' not in page
    make_client(owner).post(reverse("actions:status", args=[item.pk]), {"status": "done"})
    assert _fresh(item).status == "done"
