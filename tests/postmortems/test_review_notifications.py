"""Each workflow event tells the right people in the app, with a link each of them may open."""

import pytest
from django.core import mail
from django.urls import reverse

from notifications.models import EmailPreference, Notification
from notifications.models import NotificationKind as K
from postmortems import amendments, review
from postmortems.models import PostmortemStatus as S
from tests.postmortems import document_edits as edits
from tests.postmortems.conftest import in_state

pytestmark = pytest.mark.django_db

# in_state(): written by "author" with co-authors "coauthor" and "rc", reviewed by "reviewer";
# "reviewer2" is another reviewer, "boss" a manager, "nobody" and "ops" take no part.
WRITERS = {"author", "coauthor", "rc"}


def _review_requested(postmortem, people, make_client):
    review.request_review(
        postmortem=postmortem,
        actor=people["author"],
        reviewers=[people["reviewer"], people["other reviewer"]],
    )


def _changes_requested(postmortem, people, make_client):
    review.request_changes(postmortem=postmortem, actor=people["reviewer"], comment="Fix it")


def _approved(postmortem, people, make_client):
    review.approve(postmortem=postmortem, actor=people["reviewer"])


def _published(postmortem, people, make_client):
    review.publish(postmortem=postmortem, actor=people["author"])


def _approval_withdrawn(postmortem, people, make_client):
    review.withdraw_approval(postmortem=postmortem, actor=people["author"], reason="A typo")


def _approval_voided(postmortem, people, make_client):
    review.approve(postmortem=postmortem, actor=people["reviewer"])  # 1 of 2: still in review
    Notification.objects.all().delete()
    assert edits.edit_section(make_client(people["co-author"]), postmortem).status_code == 302


def _comment(postmortem, people, make_client):
    review.add_comment(postmortem=postmortem, actor=people["other reviewer"], body="Why?")


def _reply(postmortem, people, make_client):
    thread = review.add_comment(postmortem=postmortem, actor=people["other reviewer"], body="Why?")
    Notification.objects.all().delete()
    review.add_comment(
        postmortem=postmortem, actor=people["co-author"], body="The cache.", parent=thread
    )


def _amendment_started(postmortem, people, make_client):
    amendments.start_amendment(postmortem=postmortem, actor=people["author"], reason="Wrong date")


def _amended(postmortem, people, make_client):
    amendment = amendments.start_amendment(
        postmortem=postmortem, actor=people["author"], reason="Wrong date"
    )
    postmortem.refresh_from_db()
    amendments.save_amendment_text(
        amendment=amendment,
        actor=people["author"],
        texts={"summary": "Corrected."},
        loaded_version=postmortem.content_version,
    )
    postmortem.refresh_from_db()
    Notification.objects.all().delete()
    amendments.approve_amendment(
        amendment=amendment,
        actor=people["other reviewer"],
        seen_version=postmortem.content_version,
    )


def _amendment_withdrawn(postmortem, people, make_client):
    amendment = amendments.start_amendment(
        postmortem=postmortem, actor=people["author"], reason="Wrong date"
    )
    Notification.objects.all().delete()
    amendments.withdraw_amendment(amendment=amendment, actor=people["author"], reason="Not wrong")


REVIEW, DETAIL, AMENDMENT = "review", "detail", "amendment"

# (event, starting state, what happens, {kind: who is told}, the page the link leads to)
TABLE = [
    ("review requested", S.DRAFT, _review_requested, {K.REVIEW_REQUESTED: {"reviewer", "reviewer2"}}, REVIEW),
    ("changes requested", S.IN_REVIEW, _changes_requested, {K.CHANGES_REQUESTED: WRITERS}, REVIEW),
    ("approved", S.IN_REVIEW, _approved, {K.APPROVED: WRITERS}, REVIEW),
    ("published", S.APPROVED, _published, {K.PUBLISHED: {"coauthor", "rc", "reviewer", "boss"}}, DETAIL),
    ("approval withdrawn", S.APPROVED, _approval_withdrawn, {K.APPROVAL_WITHDRAWN: {"reviewer"}}, REVIEW),
    ("approval voided", S.IN_REVIEW, _approval_voided, {K.APPROVAL_VOIDED: {"reviewer"}}, REVIEW),
    ("comment", S.IN_REVIEW, _comment, {K.COMMENT: WRITERS | {"reviewer"}}, REVIEW),
    ("reply", S.IN_REVIEW, _reply, {K.COMMENT_REPLY: {"reviewer2"}, K.COMMENT: {"author", "rc", "reviewer"}}, REVIEW),
    ("amendment started", S.PUBLISHED, _amendment_started, {K.AMENDMENT_STARTED: {"reviewer"}}, AMENDMENT),
    ("amended", S.PUBLISHED, _amended, {K.AMENDED: WRITERS}, DETAIL),
    ("amendment withdrawn", S.PUBLISHED, _amendment_withdrawn, {K.AMENDMENT_WITHDRAWN: {"reviewer", "coauthor", "rc"}}, DETAIL),
]  # fmt: skip


@pytest.mark.parametrize(
    ("state", "happens", "told", "page"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_each_event_tells_the_right_people_with_a_link_they_may_open(
    state, happens, told, page, ready, people, make_client, settings
):
    if happens is _approval_voided:
        settings.POSTMORTEM_REQUIRED_APPROVALS = 2  # one approval leaves it open to changes
    postmortem = in_state(ready, state, people)
    Notification.objects.all().delete()

    happens(postmortem, people, make_client)

    # Publishing also asks people to answer the questionnaire: tests/postmortems/test_survey_*.
    rows = Notification.objects.exclude(kind=K.SURVEY).select_related("recipient")
    assert {kind: {n.recipient.username for n in rows if n.kind == kind} for kind in told} == told
    assert {n.kind for n in rows} == set(told)
    assert len(rows) == sum(len(people) for people in told.values())  # once each
    postmortem.refresh_from_db()
    reference = postmortem.incident.reference
    for notification in rows:
        assert notification.title == f"{reference} {postmortem.incident.title}"
        assert notification.url.split("#")[0] == reverse(f"postmortems:{page}", args=[reference])
        client = make_client(notification.recipient)
        listed = client.get(reverse("notifications:list")).content.decode()
        assert str(notification.get_kind_display()) in listed
        opened = client.post(reverse("notifications:open", args=[notification.pk]))
        assert opened.url == notification.url
        assert client.get(opened.url).status_code == 200


def test_a_reply_links_to_its_thread(ready, people):
    postmortem = in_state(ready, S.IN_REVIEW, people)
    thread = review.add_comment(postmortem=postmortem, actor=people["other reviewer"], body="Why?")
    review.add_comment(
        postmortem=postmortem, actor=people["co-author"], body="The cache.", parent=thread
    )
    reply = Notification.objects.get(kind=K.COMMENT_REPLY)
    assert reply.url == f"{postmortem.review_url()}#comment-{thread.pk}"
    assert reply.actor == people["co-author"]


def test_people_without_an_email_address_are_still_told_in_the_app(
    ready, people, django_capture_on_commit_callbacks, deliver_outbox
):
    people["reviewer"].email = ""
    people["reviewer"].save()
    postmortem = in_state(ready, S.DRAFT, people)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _review_requested(postmortem, people, None)
    deliver_outbox()  # as the worker does
    assert [m.to for m in mail.outbox] == [[people["other reviewer"].email]]
    assert Notification.objects.filter(recipient=people["reviewer"]).count() == 1


def test_inactive_people_are_not_told(ready, people):
    people["other reviewer"].is_active = False
    people["other reviewer"].save()
    postmortem = in_state(ready, S.DRAFT, people)
    _review_requested(postmortem, people, None)
    assert not Notification.objects.filter(recipient=people["other reviewer"]).exists()


def test_a_reply_is_emailed_by_the_reply_preference_not_the_comment_one(
    ready, people, django_capture_on_commit_callbacks, deliver_outbox
):
    """reviewer2 wants comments by email but not replies; the writers the other way round."""
    EmailPreference.objects.create(
        user=people["other reviewer"], kind=K.COMMENT_REPLY, enabled=False
    )
    EmailPreference.objects.create(user=people["author"], kind=K.COMMENT, enabled=False)
    postmortem = in_state(ready, S.IN_REVIEW, people)
    thread = review.add_comment(postmortem=postmortem, actor=people["other reviewer"], body="Why?")
    Notification.objects.all().delete()
    deliver_outbox()  # what the earlier steps sent is not what this test is about
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review.add_comment(
            postmortem=postmortem, actor=people["co-author"], body="The cache.", parent=thread
        )
    deliver_outbox()  # as the worker does
    emailed = {address for message in mail.outbox for address in message.to}
    assert emailed == {people["reviewing co-author"].email, people["reviewer"].email}
    assert Notification.objects.get(recipient=people["other reviewer"]).kind == K.COMMENT_REPLY
    assert Notification.objects.get(recipient=people["author"]).kind == K.COMMENT
