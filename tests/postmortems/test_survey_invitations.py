"""Publishing a postmortem asks its writers, reviewers and the incident's participants, and
only them, to answer the questionnaire about the review: in the app and by email."""

import pytest
from django.urls import reverse

from core.models import Role
from notifications.models import EmailPreference, Notification, NotificationKind
from postmortems import review
from postmortems.models import PostmortemStatus as S
from postmortems.models import SurveyInvitation
from tests.factories import TimelineEntryFactory, UserFactory
from tests.postmortems.conftest import in_state

pytestmark = pytest.mark.django_db

# in_state(): written by "author" with co-authors "coauthor" and "rc", approved by "reviewer";
# "reviewer2" is another reviewer, "boss" a manager, "nobody" and "ops" take no part.
WRITERS = {"author", "coauthor", "rc"}


@pytest.fixture
def cast(ready, people):
    """The incident's commander, a timeline entry's author, a named participant, and a
    reviewer who was asked but never reviewed."""
    incident = ready.incident
    extra = {
        "commander": UserFactory(username="ic"),
        "scribe": UserFactory(username="scribe"),
        "participant": UserFactory(username="helper"),
        "silent reviewer": people["other reviewer"],
    }
    incident.commander = extra["commander"]
    incident.save()
    TimelineEntryFactory(incident=incident, author=extra["scribe"])
    incident.participants.add(extra["participant"])
    return {**people, **extra}


def _approved(postmortem, people, *, reviewers=("reviewer",)):
    postmortem = in_state(postmortem, S.DRAFT, people)
    review.request_review(
        postmortem=postmortem,
        actor=people["author"],
        reviewers=[people[name] for name in reviewers],
    )
    review.approve(postmortem=postmortem, actor=people["reviewer"])
    postmortem.refresh_from_db()
    return postmortem


def _invited(postmortem) -> set[str]:
    return set(
        SurveyInvitation.objects.filter(postmortem=postmortem).values_list(
            "person__username", flat=True
        )
    )


def test_publishing_asks_writers_reviewers_and_participants_only(ready, cast):
    postmortem = _approved(ready, cast, reviewers=("reviewer", "silent reviewer"))
    assert _invited(postmortem) == set()  # nobody is asked before it is published

    review.publish(postmortem=postmortem, actor=cast["author"])

    asked = WRITERS | {"reviewer", "ic", "scribe", "helper"}
    assert _invited(postmortem) == asked  # not the manager, outsiders, or the silent reviewer
    told = Notification.objects.filter(kind=NotificationKind.SURVEY)
    assert {n.recipient.username for n in told} == asked  # the publisher too: they wrote it
    answer_url = reverse("postmortems:survey-answer", args=[postmortem.incident.reference])
    assert {n.url for n in told} == {answer_url}


def test_a_reviewer_who_only_commented_or_requested_changes_is_asked(ready, cast):
    postmortem = in_state(ready, S.IN_REVIEW, cast)
    commenter = UserFactory(username="rev3", roles=[Role.REVIEWER])
    review.add_comment(postmortem=postmortem, actor=commenter, body="Why?")
    review.request_changes(postmortem=postmortem, actor=cast["reviewer"], comment="Fix it")
    review.request_review(
        postmortem=postmortem, actor=cast["author"], reviewers=[cast["other reviewer"]]
    )
    review.approve(postmortem=postmortem, actor=cast["other reviewer"], override_reason="Done")
    postmortem.refresh_from_db()
    review.publish(postmortem=postmortem, actor=cast["author"])
    assert {"reviewer", "reviewer2", "rev3"} <= _invited(postmortem)


def test_each_person_is_asked_once_whatever_their_parts(ready, cast):
    incident = ready.incident
    incident.commander = cast["author"]  # the author also led the response and wrote entries
    incident.save()
    TimelineEntryFactory(incident=incident, author=cast["author"])
    incident.participants.add(cast["author"], cast["reviewer"])
    review.publish(postmortem=_approved(ready, cast), actor=cast["co-author"])
    assert SurveyInvitation.objects.filter(person=cast["author"]).count() == 1
    assert Notification.objects.filter(recipient=cast["author"], kind="postmortem_survey").count()


def test_the_email_invites_with_the_link_and_says_it_is_anonymous(
    ready, cast, deliver_outbox, settings
):
    EmailPreference.objects.create(user=cast["scribe"], kind=NotificationKind.SURVEY, enabled=False)
    postmortem = _approved(ready, cast)
    deliver_outbox()
    review.publish(postmortem=postmortem, actor=cast["author"])
    invitations = [m for m in deliver_outbox() if m.subject.startswith("Four questions")]
    reference = postmortem.incident.reference
    assert {m.to[0] for m in invitations} == {
        f"{name}@example.com" for name in WRITERS | {"reviewer", "ic", "helper"}
    }  # the scribe turned these emails off, and is still asked in the app
    message = invitations[0]
    assert message.subject == f"Four questions about the review of {reference} Checkout outage"
    assert f"{settings.SITE_URL}/postmortems/{reference}/survey/answer/" in message.body
    assert "anonymous" in message.body
    assert "at least 3 people" in message.body


def test_inactive_people_are_not_asked(ready, cast):
    cast["participant"].is_active = False
    cast["participant"].save()
    review.publish(postmortem=_approved(ready, cast), actor=cast["author"])
    assert "helper" not in _invited(ready)


def test_on_a_restricted_incident_only_people_who_can_see_it_are_asked(ready, cast):
    incident = ready.incident
    incident.restricted = True
    incident.save()
    # The scribe's entry predates the restriction; they are not a participant, so no longer
    # see the incident. The named participant and the commander do.
    incident.participants.add(*(cast[name] for name in ("author", "co-author", "reviewer")))
    review.publish(postmortem=_approved(ready, cast), actor=cast["author"])
    assert _invited(ready) == {"author", "coauthor", "reviewer", "ic", "helper"}
    told = Notification.objects.filter(kind=NotificationKind.SURVEY)
    assert "scribe" not in {n.recipient.username for n in told}
    assert "rc" not in {n.recipient.username for n in told}
