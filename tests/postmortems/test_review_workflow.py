"""Every allowed and refused transition, by role."""

import pytest
from django.urls import reverse

from core.models import Role
from postmortems import review
from postmortems.models import AuditAction, PostmortemStatus
from postmortems.review import TransitionRefused
from tests.factories import ActionItemFactory, UserFactory

pytestmark = pytest.mark.django_db
S = PostmortemStatus


@pytest.fixture
def ready(postmortem, author):
    """A postmortem with its required sections written and one action item."""
    for field in ("summary", "impact", "what_happened"):
        setattr(postmortem, field, f"Written {field}.")
    postmortem.save()
    ActionItemFactory(postmortem=postmortem)
    return postmortem


@pytest.fixture
def people(author, reviewer):
    co_author = UserFactory(username="coauthor", roles=[Role.AUTHOR])
    return {
        "author": author,
        "co-author": co_author,
        "reviewer": reviewer,
        "other reviewer": UserFactory(username="reviewer2", roles=[Role.REVIEWER]),
        "reviewing co-author": UserFactory(username="rc", roles=[Role.REVIEWER]),
        "manager": UserFactory(username="boss", roles=[Role.MANAGER]),
        "outsider": UserFactory(username="nobody"),
        "staff": UserFactory(username="ops", is_staff=True),
    }


def _in_state(postmortem, state, people):
    postmortem.co_authors.add(people["co-author"], people["reviewing co-author"])
    if state == S.DRAFT:
        return postmortem
    review.request_review(
        postmortem=postmortem, actor=people["author"], reviewers=[people["reviewer"]]
    )
    if state == S.CHANGES_REQUESTED:
        review.request_changes(postmortem=postmortem, actor=people["reviewer"], comment="Fix it")
    if state in (S.APPROVED, S.PUBLISHED):
        review.approve(postmortem=postmortem, actor=people["reviewer"])
    if state == S.PUBLISHED:
        review.publish(postmortem=postmortem, actor=people["author"])
    postmortem.refresh_from_db()
    assert postmortem.status == state
    return postmortem


def _do(transition, postmortem, actor, people):
    if transition == "request_review":
        return review.request_review(
            postmortem=postmortem, actor=actor, reviewers=[people["other reviewer"]]
        )
    if transition == "request_changes":
        return review.request_changes(postmortem=postmortem, actor=actor, comment="Please clarify")
    if transition == "approve":
        return review.approve(postmortem=postmortem, actor=actor)
    return review.publish(postmortem=postmortem, actor=actor)


# (transition, from state, actor, resulting state or None when refused)
TABLE = [
    ("request_review", S.DRAFT, "author", S.IN_REVIEW),
    ("request_review", S.DRAFT, "co-author", S.IN_REVIEW),
    ("request_review", S.DRAFT, "staff", S.IN_REVIEW),
    ("request_review", S.DRAFT, "reviewer", None),
    ("request_review", S.DRAFT, "manager", None),
    ("request_review", S.DRAFT, "outsider", None),
    ("request_review", S.CHANGES_REQUESTED, "author", S.IN_REVIEW),
    ("request_review", S.IN_REVIEW, "author", None),
    ("request_review", S.APPROVED, "author", None),
    ("request_review", S.PUBLISHED, "author", None),
    ("request_changes", S.IN_REVIEW, "reviewer", S.CHANGES_REQUESTED),
    ("request_changes", S.IN_REVIEW, "other reviewer", S.CHANGES_REQUESTED),
    ("request_changes", S.IN_REVIEW, "author", None),
    ("request_changes", S.IN_REVIEW, "reviewing co-author", None),
    ("request_changes", S.IN_REVIEW, "manager", None),
    ("request_changes", S.DRAFT, "reviewer", None),
    ("request_changes", S.APPROVED, "reviewer", None),
    ("approve", S.IN_REVIEW, "reviewer", S.APPROVED),
    ("approve", S.IN_REVIEW, "other reviewer", S.APPROVED),
    ("approve", S.IN_REVIEW, "author", None),
    ("approve", S.IN_REVIEW, "reviewing co-author", None),
    ("approve", S.IN_REVIEW, "manager", None),
    ("approve", S.IN_REVIEW, "staff", None),
    ("approve", S.DRAFT, "reviewer", None),
    ("approve", S.CHANGES_REQUESTED, "reviewer", None),
    ("approve", S.APPROVED, "reviewer", None),
    ("publish", S.APPROVED, "author", S.PUBLISHED),
    ("publish", S.APPROVED, "co-author", S.PUBLISHED),
    ("publish", S.APPROVED, "staff", S.PUBLISHED),
    ("publish", S.APPROVED, "reviewer", None),
    ("publish", S.APPROVED, "manager", None),
    ("publish", S.IN_REVIEW, "author", None),
    ("publish", S.DRAFT, "author", None),
    ("publish", S.PUBLISHED, "author", None),
]


@pytest.mark.parametrize(("transition", "state", "actor", "result"), TABLE)
def test_transitions_by_role(transition, state, actor, result, ready, people):
    postmortem = _in_state(ready, state, people)
    if result is None:
        with pytest.raises(TransitionRefused):
            _do(transition, postmortem, people[actor], people)
        postmortem.refresh_from_db()
        assert postmortem.status == state
    else:
        _do(transition, postmortem, people[actor], people)
        postmortem.refresh_from_db()
        assert postmortem.status == result


def test_the_author_cannot_approve_their_own_postmortem(ready, people):
    people["author"].groups.add(*UserFactory(roles=[Role.REVIEWER]).groups.all())
    postmortem = _in_state(ready, S.IN_REVIEW, people)
    with pytest.raises(TransitionRefused, match="You cannot approve a postmortem you wrote."):
        review.approve(postmortem=postmortem, actor=people["author"])


def test_every_transition_is_recorded_in_the_audit_trail(ready, people):
    postmortem = _in_state(ready, S.PUBLISHED, people)
    entries = list(postmortem.audit.order_by("created_at", "id"))
    assert [(e.action, e.from_status, e.to_status, e.actor.username) for e in entries] == [
        (AuditAction.REVIEW_REQUESTED, S.DRAFT, S.IN_REVIEW, "author"),
        (AuditAction.APPROVED, S.IN_REVIEW, S.APPROVED, "reviewer"),
        (AuditAction.PUBLISHED, S.APPROVED, S.PUBLISHED, "author"),
    ]
    assert postmortem.published_at is not None


def test_requesting_changes_records_the_comment_as_reason_and_as_an_open_comment(ready, people):
    postmortem = _in_state(ready, S.CHANGES_REQUESTED, people)
    entry = postmortem.audit.get(action=AuditAction.CHANGES_REQUESTED)
    assert entry.reason == "Fix it"
    assert review.open_threads(postmortem).get().body == "Fix it"


def test_resubmitting_starts_a_new_round_of_approvals(ready, people, settings):
    settings.POSTMORTEM_REQUIRED_APPROVALS = 2
    postmortem = _in_state(ready, S.IN_REVIEW, people)
    review.approve(postmortem=postmortem, actor=people["reviewer"])
    assert review.approvals(postmortem) == 1
    review.request_changes(
        postmortem=postmortem, actor=people["other reviewer"], comment="One more thing"
    )
    review.set_comment_resolved(
        comment=review.open_threads(postmortem).get(), actor=people["author"], resolved=True
    )
    review.request_review(
        postmortem=postmortem, actor=people["author"], reviewers=[people["reviewer"]]
    )
    assert review.approvals(postmortem) == 0


def test_approval_needs_the_configured_number_of_reviewers(ready, people, settings):
    settings.POSTMORTEM_REQUIRED_APPROVALS = 2
    postmortem = _in_state(ready, S.IN_REVIEW, people)
    review.approve(postmortem=postmortem, actor=people["reviewer"])
    postmortem.refresh_from_db()
    assert postmortem.status == S.IN_REVIEW
    review.approve(postmortem=postmortem, actor=people["other reviewer"])
    postmortem.refresh_from_db()
    assert postmortem.status == S.APPROVED


def test_approved_text_is_frozen_and_published_text_is_amended_with_a_reason(
    make_client, ready, people
):
    from tests.postmortems.conftest import section_data

    postmortem = _in_state(ready, S.APPROVED, people)
    client = make_client(people["author"])
    url = reverse("postmortems:edit", args=[postmortem.incident.reference])
    response = client.post(url, section_data(postmortem, summary="Sneaky change"))
    assert "its text is frozen" in response.content.decode()
    assert "Sneaky change" in response.content.decode()

    review.publish(postmortem=postmortem, actor=people["author"])
    postmortem.refresh_from_db()
    no_reason = client.post(url, section_data(postmortem, summary="Corrected figure"))
    assert "say why you are amending it" in no_reason.content.decode()
    assert "Corrected figure" in no_reason.content.decode()
    postmortem.refresh_from_db()
    assert postmortem.summary != "Corrected figure"

    amended = client.post(
        url,
        section_data(
            postmortem,
            summary="Corrected figure",
            amendment_reason="The error rate was 18%, not 8%",
        ),
    )
    assert amended.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.status == S.PUBLISHED and postmortem.summary == "Corrected figure"
    assert postmortem.revisions.first().note == "The error rate was 18%, not 8%"
    entry = postmortem.audit.get(action=AuditAction.AMENDED)
    assert entry.actor == people["author"] and entry.reason == "The error rate was 18%, not 8%"
    page = client.get(postmortem.get_absolute_url()).content.decode()
    assert "Amended by" in page and "The error rate was 18%, not 8%" in page
