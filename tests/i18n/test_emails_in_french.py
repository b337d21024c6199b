"""Emails are written in their recipient's language: the one they chose in Settings, else the
site's (HINDSIGHT_LANGUAGE). No browser asks when the worker sends them."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone, translation

from actions.services import action_item_create, plan_action_reminders
from core.models import Role
from postmortems import review
from tests.factories import ActionItemFactory, IncidentFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def postmortem(author):
    postmortem = PostmortemFactory(incident=IncidentFactory(title="Checkout outage"), author=author)
    ActionItemFactory(postmortem=postmortem)
    return postmortem


def _by_recipient(messages) -> dict:
    return {message.to[0]: message for message in messages}


def test_a_review_request_reaches_each_reviewer_in_their_language(
    postmortem, author, deliver_outbox
):
    camille = UserFactory(username="camille", roles=[Role.REVIEWER], language="fr")
    sam = UserFactory(username="sam", roles=[Role.REVIEWER])  # no choice: the site's, English
    deliver_outbox()
    mail.outbox.clear()

    review.request_review(postmortem=postmortem, actor=author, reviewers=[camille, sam])
    sent = _by_recipient(deliver_outbox())

    ref = postmortem.incident.reference
    french = sent["camille@example.com"]
    assert french.subject == f"Relecture demandée : {ref} Checkout outage"
    assert "vous demande de relire le post-mortem de" in french.body
    assert "Relisez-le ici :" in french.body
    english = sent["sam@example.com"]
    assert english.subject == f"Review requested: {ref} Checkout outage"
    assert "Review it here:" in english.body


def test_the_site_language_is_used_for_people_who_chose_none(postmortem, author, deliver_outbox):
    sam = UserFactory(username="sam", roles=[Role.REVIEWER])
    deliver_outbox()
    with override_settings(LANGUAGE_CODE="fr"):
        review.request_review(postmortem=postmortem, actor=author, reviewers=[sam])
    (message,) = deliver_outbox()
    assert message.subject.startswith("Relecture demandée : ")


def test_a_new_action_item_owner_is_told_in_their_language(postmortem, author, deliver_outbox):
    owner = UserFactory(username="camille", language="fr")
    deliver_outbox()
    # The person acting reads English pages; the owner still gets French.
    with translation.override("en"):
        action_item_create(
            postmortem=postmortem, created_by=author, title="Add a canary", owner=owner
        )
        assert translation.get_language() == "en"
    (message,) = deliver_outbox()
    assert (
        message.subject == f"Une action pour vous : Add a canary ({postmortem.incident.reference})"
    )


def test_reminders_are_planned_in_each_recipients_language(postmortem):
    today = timezone.localdate()
    camille = UserFactory(username="camille", language="fr")
    sam = UserFactory(username="sam")
    for owner in (camille, sam):
        ActionItemFactory(postmortem=postmortem, owner=owner, due_date=today - timedelta(days=3))

    with translation.override("en"):
        reminders = {r.recipient.username: r for r in plan_action_reminders()}
        assert translation.get_language() == "en"  # the caller's language is back

    french = reminders["camille"]
    assert french.subject == "Hindsight : vos actions — 1 en retard, 0 bientôt à échéance"
    assert "Actions en retard" in french.html or "EN RETARD" in french.text
    assert "Bonjour" in french.text
    assert reminders["sam"].subject == "Hindsight: your action items — 1 overdue, 0 due soon"
