"""The postmortem on postmortems: once a postmortem is published, the people who wrote it,
reviewed it and took part in the incident are asked four short questions about the review
itself, anonymously. Invite, answer and read the results, in one place (as review.py).

Anonymity, in the data and on the pages:
- An answer (``SurveyAnswer``) names no person and carries no time; its id is random. The
  invitation (``SurveyInvitation``) says only that its person answered, never what.
- Results are shown only once ``SURVEY_MIN_ANSWERS`` people answered: before that, not one
  figure or comment. Comments are listed in alphabetical order, never in the order given.
- Who answered is shown to nobody; readers see how many did.

The app shows the pairing of a person and an answer to nobody, staff included (neither model is
in the admin). Someone reading PostgreSQL's internals at the time (the rows' transaction ids,
the write-ahead log) could still pair an answer with the invitation marked answered with it.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from core.emails import render_plain_text
from core.models import User
from core.queries import count_subquery
from incidents.models import Incident, TimelineEntry
from notifications.models import NotificationKind
from notifications.services import notify_in_app, wants_email
from outbox.services import send_email
from postmortems.models import (
    SURVEY_MIN_ANSWERS,
    SURVEY_QUESTIONS,
    AuditAction,
    AuditEntry,
    Comment,
    Postmortem,
    PostmortemStatus,
    ReviewRequest,
    SurveyAnswer,
    SurveyInvitation,
    SurveyRating,
)
from postmortems.services import PostmortemError

REVIEW_DECISIONS = (
    AuditAction.APPROVED,
    AuditAction.APPROVED_WITH_OVERRIDE,
    AuditAction.CHANGES_REQUESTED,
)


class SurveyRefused(PostmortemError):
    """The answer cannot be taken; the message says why."""


class NotInvited(SurveyRefused):
    """The person was not asked about this postmortem (or may no longer see it)."""


# Who is asked ----------------------------------------------------------------------------------


def invitees(postmortem: Postmortem) -> list[User]:
    """Everyone asked about ``postmortem``, each once, active, and able to see its incident:

    - its writers: the author and co-authors;
    - its reviewers: whoever approved it, requested changes or commented on it;
    - the incident's participants: its commander, the authors of its timeline entries and the
      people named as participants.

    One query, and one or two per person when the incident is restricted."""
    incident = postmortem.incident
    person = OuterRef("pk")
    writers = Q(pk=postmortem.author_id) | Q(
        Exists(Postmortem.co_authors.through.objects.filter(postmortem=postmortem, user=person))
    )
    reviewers = (
        Q(
            Exists(
                ReviewRequest.objects.filter(
                    postmortem=postmortem, reviewer=person, approved_at__isnull=False
                )
            )
        )
        | Q(
            Exists(
                AuditEntry.objects.filter(
                    postmortem=postmortem, actor=person, action__in=REVIEW_DECISIONS
                )
            )
        )
        | Q(Exists(Comment.objects.filter(postmortem=postmortem, author=person)))
    )
    participants = (
        Q(pk=incident.commander_id)
        | Q(Exists(TimelineEntry.objects.filter(incident=incident, author=person)))
        | Q(Exists(Incident.participants.through.objects.filter(incident=incident, user=person)))
    )
    people = list(
        User.objects.filter(writers | reviewers | participants, is_active=True).order_by("pk")
    )
    if incident.restricted:
        people = [p for p in people if incident.can_view(p)]
    return people


@transaction.atomic
def invite(*, postmortem: Postmortem) -> list[User]:
    """Ask everyone concerned to answer the questionnaire: an invitation each, a notification
    in the app and, for those who want it, an email, sent by the worker. The publisher is
    asked too: they wrote it. Nobody is asked twice. Who was asked."""
    people = invitees(postmortem)
    already = set(
        SurveyInvitation.objects.filter(postmortem=postmortem).values_list("person", flat=True)
    )
    people = [person for person in people if person.pk not in already]
    if not people:
        return []
    SurveyInvitation.objects.bulk_create(
        [SurveyInvitation(postmortem=postmortem, person=person) for person in people],
        ignore_conflicts=True,
    )
    incident = postmortem.incident
    path = reverse("postmortems:survey-answer", args=[incident.reference])
    notify_in_app(
        recipients=people,
        kind=NotificationKind.SURVEY,
        title=f"{incident.reference} {incident.title}",
        url=path,
        incident=incident,
    )
    context = {
        "postmortem": postmortem,
        "incident": incident,
        "url": settings.SITE_URL + path,
        "min_answers": SURVEY_MIN_ANSWERS,
    }
    subject = " ".join(render_plain_text("postmortems/email/survey_subject.txt", context).split())
    body = render_plain_text("postmortems/email/survey.txt", context)
    for person in wants_email(people, NotificationKind.SURVEY):
        send_email(to=[person.email], subject=subject, body=body, kind=NotificationKind.SURVEY)
    return people


# Answering -------------------------------------------------------------------------------------


def invitation_for(postmortem: Postmortem, user) -> SurveyInvitation | None:
    """The person's invitation, if they were asked and may still see the incident."""
    if not user.is_authenticated or postmortem.status != PostmortemStatus.PUBLISHED:
        return None
    invitation = SurveyInvitation.objects.filter(postmortem=postmortem, person=user).first()
    if invitation is None or not postmortem.incident.can_view(user):
        return None
    return invitation


@transaction.atomic
def answer(
    *, postmortem: Postmortem, person: User, ratings: dict[str, str], comment: str = ""
) -> None:
    """Keep one anonymous answer, and mark the person's invitation answered: both or neither.
    The answer keeps nothing of who gave it or when."""
    invitation = invitation_for(postmortem, person)
    if invitation is None:
        raise NotInvited(_("Only the people asked about this postmortem may answer."))
    invitation = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.answered:
        raise SurveyRefused(_("You have already answered about this postmortem: thank you."))
    fields = [field for field, _question, _short in SURVEY_QUESTIONS]
    if sorted(ratings) != sorted(fields) or not set(ratings.values()) <= set(SurveyRating.values):
        raise SurveyRefused(_("Answer each of the four questions with yes, partly or no."))
    SurveyAnswer.objects.create(postmortem=postmortem, comment=comment.strip(), **ratings)
    invitation.answered = True
    invitation.save(update_fields=["answered"])


# The results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionResult:
    question: str
    short: str
    counts: dict[str, int]  # rating → answers
    total: int

    @property
    def distribution(self) -> list[tuple[str, str, int, int]]:
        """(rating, its label, answers, share in whole percent), yes first."""
        return [
            (value, label, self.counts[value], round(100 * self.counts[value] / self.total))
            for value, label in SurveyRating.choices
        ]


@dataclass(frozen=True)
class SurveyResults:
    invited: int
    answers: int
    questions: list[QuestionResult]  # empty below the threshold
    comments: list[str]  # likewise

    needed: int = SURVEY_MIN_ANSWERS

    @property
    def shown(self) -> bool:
        return self.answers >= self.needed


def rating_counts(field: str, *, prefix: str = "") -> dict[str, Count]:
    """``{field}_{rating}``: how many answers gave each rating to one question."""
    return {
        f"{field}_{value}": Count("pk", filter=Q(**{f"{prefix}{field}": value}))
        for value in SurveyRating.values
    }


def results(postmortem: Postmortem) -> SurveyResults:
    """How many were asked and answered and, once at least ``SURVEY_MIN_ANSWERS`` answered,
    each question's answers and the comments in alphabetical order. Two queries, three when
    shown."""
    invited = SurveyInvitation.objects.filter(postmortem=postmortem).count()
    counts = SurveyAnswer.objects.filter(postmortem=postmortem).aggregate(
        answers=Count("pk"),
        **{
            name: count
            for field, _question, _short in SURVEY_QUESTIONS
            for name, count in rating_counts(field).items()
        },
    )
    total = counts["answers"]
    if total < SURVEY_MIN_ANSWERS:
        return SurveyResults(invited=invited, answers=total, questions=[], comments=[])
    questions = [
        QuestionResult(
            question=str(question),
            short=str(short),
            counts={value: counts[f"{field}_{value}"] for value in SurveyRating.values},
            total=total,
        )
        for field, question, short in SURVEY_QUESTIONS
    ]
    comments = sorted(
        SurveyAnswer.objects.filter(postmortem=postmortem)
        .exclude(comment="")
        .values_list("comment", flat=True),
        key=lambda text: (text.casefold(), text),
    )
    return SurveyResults(invited=invited, answers=total, questions=questions, comments=comments)


@dataclass(frozen=True)
class SurveySummary:
    """What the postmortem page shows of its questionnaire: how many were asked and answered,
    whether the results are shown yet, and whether the reader was asked and has answered."""

    invited: int
    answers: int
    may_answer: bool
    has_answered: bool

    needed: int = SURVEY_MIN_ANSWERS

    @property
    def shown(self) -> bool:
        return self.answers >= self.needed


def summary(postmortem: Postmortem, user) -> SurveySummary:
    """The counts of ``results`` and the reader's invitation (as ``invitation_for`` finds it),
    for a published postmortem's page. One query."""
    invitations = SurveyInvitation.objects.filter(postmortem=postmortem.pk)
    mine = invitations.filter(person=user.pk) if user.is_authenticated else invitations.none()
    row = (
        Postmortem.objects.filter(pk=postmortem.pk)
        .values(
            invited=count_subquery(invitations),
            answers=count_subquery(SurveyAnswer.objects.filter(postmortem=postmortem.pk)),
            # None when not asked (one invitation per person: survey_invitation_once_per_person).
            answered=Subquery(mine.values("answered")[:1]),
        )
        .get()
    )
    # As invitation_for: an invitation counts only on a published postmortem, for someone
    # who may still see the incident.
    asked = (
        row["answered"] is not None
        and postmortem.status == PostmortemStatus.PUBLISHED
        and postmortem.incident.can_view(user)
    )
    return SurveySummary(
        invited=row["invited"],
        answers=row["answers"],
        may_answer=asked and not row["answered"],
        has_answered=asked and row["answered"],
    )
