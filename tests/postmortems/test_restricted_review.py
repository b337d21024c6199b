"""A restricted incident's postmortem is reviewed only by people who may see the incident, and
only they are told of it."""

import pytest

from notifications.models import Notification
from postmortems import review
from postmortems.review import TransitionRefused

pytestmark = pytest.mark.django_db


def test_review_of_a_restricted_postmortem_goes_only_to_those_who_see_it(ready, people):
    incident = ready.incident
    incident.restricted = True
    incident.save()
    incident.participants.add(people["author"])
    with pytest.raises(TransitionRefused, match="may not see it: "):
        review.request_review(
            postmortem=ready, actor=people["author"], reviewers=[people["reviewer"]]
        )
    assert not Notification.objects.exists()

    incident.participants.add(people["reviewer"])
    review.request_review(postmortem=ready, actor=people["author"], reviewers=[people["reviewer"]])
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["reviewer"]
