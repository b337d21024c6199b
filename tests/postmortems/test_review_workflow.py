"""Every allowed and refused transition, by role."""

import pytest

from core.models import Role
from postmortems import review
from postmortems.models import AuditAction, PostmortemStatus
from postmortems.review import TransitionRefused
from tests.factories import UserFactory
from tests.postmortems.conftest import in_state

pytestmark = pytest.mark.django_db
S = PostmortemStatus


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
    postmortem = in_state(ready, state, people)
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
    postmortem = in_state(ready, S.IN_REVIEW, people)
    with pytest.raises(TransitionRefused, match="You cannot approve a postmortem you wrote."):
        review.approve(postmortem=postmortem, actor=people["author"])


def test_every_transition_is_recorded_in_the_audit_trail(ready, people):
    postmortem = in_state(ready, S.PUBLISHED, people)
    entries = list(postmortem.audit.order_by("created_at", "id"))
    assert [(e.action, e.from_status, e.to_status, e.actor.username) for e in entries] == [
        (AuditAction.REVIEW_REQUESTED, S.DRAFT, S.IN_REVIEW, "author"),
        (AuditAction.APPROVED, S.IN_REVIEW, S.APPROVED, "reviewer"),
        (AuditAction.PUBLISHED, S.APPROVED, S.PUBLISHED, "author"),
    ]
    assert postmortem.published_at is not None


def test_requesting_changes_records_the_comment_as_reason_and_as_an_open_comment(ready, people):
    postmortem = in_state(ready, S.CHANGES_REQUESTED, people)
    entry = postmortem.audit.get(action=AuditAction.CHANGES_REQUESTED)
    assert entry.reason == "Fix it"
    assert review.open_threads(postmortem).get().body == "Fix it"


def test_resubmitting_starts_a_new_round_of_approvals(ready, people, settings):
    settings.POSTMORTEM_REQUIRED_APPROVALS = 2
    postmortem = in_state(ready, S.IN_REVIEW, people)
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
    postmortem = in_state(ready, S.IN_REVIEW, people)
    review.approve(postmortem=postmortem, actor=people["reviewer"])
    postmortem.refresh_from_db()
    assert postmortem.status == S.IN_REVIEW
    review.approve(postmortem=postmortem, actor=people["other reviewer"])
    postmortem.refresh_from_db()
    assert postmortem.status == S.APPROVED
