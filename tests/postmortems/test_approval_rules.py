"""Nobody approves text they wrote or changed in the round; an approval is of one version."""

import pytest
from django.core import mail
from django.urls import reverse

from core.models import Role
from incidents.models import TimelineEntry
from postmortems import review
from postmortems.models import DocumentChange, ReviewerState
from postmortems.models import PostmortemStatus as S
from tests.factories import ActionItemFactory, UserFactory
from tests.postmortems import document_edits as edits
from tests.postmortems.conftest import in_state

pytestmark = pytest.mark.django_db


def _approve(client, postmortem):
    url = reverse("postmortems:review", args=[postmortem.incident.reference])
    return client.post(url, {"action": "approve", "override_reason": "Answered in the thread."})


def _state(postmortem, reviewer) -> str:
    from postmortems.selectors import reviewer_panel

    return {r.reviewer_id: r.reviewer_state for r in reviewer_panel(postmortem)}[reviewer.pk]


# How the would-be approver touched the document before approving, and whether they may approve.
def _former_co_author(postmortem, people, client):
    former = people["reviewing co-author"]
    postmortem.co_authors.remove(former)  # as the model allows; the record of writers stays
    return former


def _changed_a_section_in_review(postmortem, people, client):
    assert edits.edit_section(client, postmortem).status_code == 302
    return people["reviewer"]


def _changed_a_section_before_review(postmortem, people, client):
    # Reverse the order: back to the draft, the reviewer edits, then review is requested.
    return people["reviewer"]


def _added_a_timeline_entry_in_review(postmortem, people, client):
    assert edits.add_timeline_entry(client, postmortem).status_code == 302
    return people["reviewer"]


def _changed_an_item_they_own_in_review(postmortem, people, client):
    item = ActionItemFactory(postmortem=postmortem, owner=people["reviewer"])
    DocumentChange.objects.filter(postmortem=postmortem).delete()  # the item arrived earlier
    assert edits.edit_action_item_title(client, item).status_code == 302
    return people["reviewer"]


def _completed_an_item_they_own_in_review(postmortem, people, client):
    item = ActionItemFactory(postmortem=postmortem, owner=people["reviewer"])
    assert edits.complete_action_item(client, item).status_code == 302
    return people["reviewer"]


def _only_commented(postmortem, people, client):
    review.add_comment(postmortem=postmortem, actor=people["reviewer"], body="18% or 8%?")
    return people["reviewer"]


# (what they did, may they approve, the refusal they read)
APPROVERS = [
    (_former_co_author, False, "you wrote (or once co-wrote)"),
    (_changed_a_section_in_review, False, "You changed this postmortem during this review round"),
    (_added_a_timeline_entry_in_review, False, "You changed this postmortem during this review"),
    (_changed_an_item_they_own_in_review, False, "You changed this postmortem during this review"),
    (_completed_an_item_they_own_in_review, True, ""),
    (_only_commented, True, ""),
]


@pytest.mark.parametrize(
    ("did", "allowed", "refusal"), APPROVERS, ids=lambda v: getattr(v, "__name__", None)
)
def test_who_may_approve_after_touching_the_document(
    did, allowed, refusal, ready, people, make_client
):
    postmortem = in_state(ready, S.IN_REVIEW, people)
    approver = did(postmortem, people, make_client(people["reviewer"]))
    response = _approve(make_client(approver), postmortem)
    postmortem.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert postmortem.status == S.APPROVED
    else:
        assert response.status_code == 200
        assert refusal in response.content.decode()
        assert postmortem.status == S.IN_REVIEW
        assert review.approvals(postmortem) == 0


def test_a_reviewer_who_changed_the_draft_cannot_approve_the_round_that_reviews_it(
    ready, people, make_client
):
    reviewer_client = make_client(people["reviewer"])
    assert edits.edit_section(reviewer_client, ready, "Reviewer's wording.").status_code == 302
    in_state(ready, S.IN_REVIEW, people)
    response = _approve(reviewer_client, ready)
    assert "You changed this postmortem during this review round" in response.content.decode()
    # Another reviewer may.
    response = _approve(make_client(people["other reviewer"]), ready)
    ready.refresh_from_db()
    assert ready.status == S.APPROVED


def test_a_change_made_in_an_earlier_round_does_not_stop_approval_in_the_next(
    ready, people, make_client
):
    postmortem = in_state(ready, S.IN_REVIEW, people)
    reviewer_client = make_client(people["reviewer"])
    edits.edit_section(reviewer_client, postmortem, "Reviewer's wording.")
    review.request_changes(postmortem=postmortem, actor=people["reviewer"], comment="Numbers?")
    review.set_comment_resolved(
        comment=review.open_threads(postmortem).get(), actor=people["author"], resolved=True
    )
    review.request_review(
        postmortem=postmortem, actor=people["author"], reviewers=[people["reviewer"]]
    )
    assert _approve(reviewer_client, postmortem).status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.status == S.APPROVED


def test_someone_once_a_co_author_cannot_be_asked_to_review(ready, people, make_client):
    postmortem = in_state(ready, S.DRAFT, people)
    author_client = make_client(people["author"])
    url = reverse("postmortems:people", args=[postmortem.incident.reference])
    author_client.post(url, {"co_authors": [people["co-author"].pk]})
    assert not postmortem.co_authors.filter(pk=people["reviewing co-author"].pk).exists()
    review_url = reverse("postmortems:review", args=[postmortem.incident.reference])
    response = author_client.post(
        review_url,
        {"action": "request_review", "reviewers": [people["reviewing co-author"].pk]},
    )
    assert response.status_code == 200
    postmortem.refresh_from_db()
    assert postmortem.status == S.DRAFT
    with pytest.raises(review.TransitionRefused, match="must not be among its writers"):
        review.request_review(
            postmortem=postmortem,
            actor=people["author"],
            reviewers=[people["reviewing co-author"]],
        )


# Each change after an approval voids it (two approvals needed, so it stays in review).
def _section(client, postmortem, people):
    return edits.edit_section(client, postmortem)


def _timeline(client, postmortem, people):
    return edits.add_timeline_entry(client, postmortem)


def _incident_facts(client, postmortem, people):
    return edits.edit_incident_title(client, postmortem)


def _action_item_text(client, postmortem, people):
    return edits.edit_action_item_title(client, postmortem.action_items.get())


def _new_action_item(client, postmortem, people):
    return edits.add_action_item(client, postmortem, owner=people["author"])


@pytest.mark.parametrize(
    "change", [_section, _timeline, _incident_facts, _action_item_text, _new_action_item]
)
def test_any_change_voids_an_approval_and_tells_the_approver(
    change, ready, people, make_client, settings, deliver_outbox
):
    settings.POSTMORTEM_REQUIRED_APPROVALS = 2
    postmortem = in_state(ready, S.IN_REVIEW, people)
    review.approve(postmortem=postmortem, actor=people["reviewer"])
    postmortem.refresh_from_db()
    approved_version = postmortem.content_version
    assert _state(postmortem, people["reviewer"]) == ReviewerState.APPROVED
    deliver_outbox()  # what reaching this state queued
    mail.outbox.clear()

    response = change(make_client(people["author"]), postmortem, people)
    deliver_outbox()
    assert response.status_code == 302

    postmortem.refresh_from_db()
    assert postmortem.content_version == approved_version + 1
    assert review.approvals(postmortem) == 0
    request = postmortem.review_requests.get(reviewer=people["reviewer"])
    assert request.approved_version == approved_version and request.voided_at is not None
    assert _state(postmortem, people["reviewer"]) == ReviewerState.VOIDED
    [email] = [m for m in mail.outbox if m.to == [people["reviewer"].email]]
    assert "no longer counts" in email.subject
    page = make_client(people["author"]).get(postmortem.review_url()).content.decode()
    assert f"approved version {approved_version}; changed since" in page
    # The other reviewer's approval alone no longer makes it approved.
    review.approve(postmortem=postmortem, actor=people["other reviewer"])
    postmortem.refresh_from_db()
    assert postmortem.status == S.IN_REVIEW


def test_tracking_an_action_item_does_not_void_an_approval(ready, people, make_client, settings):
    settings.POSTMORTEM_REQUIRED_APPROVALS = 2
    postmortem = in_state(ready, S.IN_REVIEW, people)
    review.approve(postmortem=postmortem, actor=people["reviewer"])
    edits.complete_action_item(make_client(people["author"]), postmortem.action_items.get())
    assert review.approvals(postmortem) == 1


def test_the_reviewers_panel_shows_each_reviewers_real_state(ready, people, make_client, settings):
    settings.POSTMORTEM_REQUIRED_APPROVALS = 3
    third = UserFactory(username="reviewer3", roles=[Role.REVIEWER])
    fourth = UserFactory(username="reviewer4", roles=[Role.REVIEWER])
    postmortem = in_state(ready, S.DRAFT, people)
    review.request_review(
        postmortem=postmortem,
        actor=people["author"],
        reviewers=[people["reviewer"], people["other reviewer"], third, fourth],
    )
    review.approve(postmortem=postmortem, actor=people["reviewer"])
    edits.edit_section(make_client(people["author"]), postmortem)
    review.approve(postmortem=postmortem, actor=people["other reviewer"])
    review.add_comment(postmortem=postmortem, actor=third, body="Is 18% right?")
    postmortem.refresh_from_db()
    page = make_client(people["author"]).get(postmortem.review_url()).content.decode()
    assert page.count('data-reviewer-state="voided"') == 1
    assert page.count('data-reviewer-state="approved"') == 1
    assert page.count('data-reviewer-state="commented"') == 1
    assert page.count('data-reviewer-state="waiting"') == 1
    assert f"approved version {postmortem.content_version - 1}; changed since" in page
    assert f"approved version {postmortem.content_version} (" in page
    review.request_changes(postmortem=postmortem, actor=fourth, comment="Numbers, please.")
    assert _state(postmortem, fourth) == ReviewerState.CHANGES_REQUESTED


def test_every_change_is_kept_with_who_made_it_and_its_round(ready, people, make_client):
    edits.edit_section(make_client(people["author"]), ready)
    postmortem = in_state(ready, S.IN_REVIEW, people)
    edits.add_timeline_entry(make_client(people["reviewer"]), postmortem)
    changes = list(postmortem.changes.order_by("created_at", "id"))
    assert [(c.actor.username, c.round) for c in changes] == [("author", 1), ("reviewer", 1)]
    assert changes[0].description == "Edited Summary"
    assert changes[1].description.startswith("Added the timeline entry at ")
    assert TimelineEntry.objects.filter(incident=postmortem.incident).count() == 1


def test_a_voided_approval_puts_the_postmortem_back_in_the_reviewers_queue(
    ready, people, make_client, settings
):
    settings.POSTMORTEM_REQUIRED_APPROVALS = 2
    postmortem = in_state(ready, S.IN_REVIEW, people)
    reviewer = make_client(people["reviewer"])
    queue = reverse("postmortems:queue")
    review.approve(postmortem=postmortem, actor=people["reviewer"])
    assert "Checkout outage" not in reviewer.get(queue).content.decode()
    edits.edit_section(make_client(people["author"]), postmortem)
    assert "Checkout outage" in reviewer.get(queue).content.decode()


@pytest.mark.django_db(transaction=True)
def test_timeline_changes_are_recorded_outside_a_test_transaction(make_client):
    from postmortems.services import postmortem_create
    from tests.factories import IncidentFactory, TimelineEntryFactory

    author = UserFactory(username="author")
    postmortem = postmortem_create(incident=IncidentFactory(), author=author, template=None)
    entry = TimelineEntryFactory(incident=postmortem.incident, author=author)
    client = make_client(author)
    assert edits.edit_timeline_entry(client, postmortem, entry).status_code == 302
    assert edits.delete_timeline_entry(client, postmortem, entry).status_code == 302
    when = entry.occurred_at.strftime("%Y-%m-%d %H:%M UTC")
    assert [c.description for c in postmortem.changes.order_by("id")] == [
        f"Edited the timeline entry at {when}.",
        f"Deleted the timeline entry at {when}.",
    ]


def test_the_review_page_warns_a_reviewer_who_changed_it_in_this_round(ready, people, make_client):
    postmortem = in_state(ready, S.IN_REVIEW, people)
    reviewer = make_client(people["reviewer"])
    edits.edit_section(reviewer, postmortem)
    page = reviewer.get(postmortem.review_url()).content.decode()
    assert "You changed it during this round" in page
