"""A postmortem is not published while its incident is still being investigated."""

import pytest
from django.urls import reverse

from incidents.models import Status
from postmortems import review
from postmortems.models import PostmortemStatus as S
from postmortems.review import TransitionRefused
from tests.postmortems.conftest import in_state

pytestmark = pytest.mark.django_db

REFUSAL = "The incident is still being investigated."


@pytest.fixture
def approved_while_investigating(ready, people):
    postmortem = in_state(ready, S.APPROVED, people)
    postmortem.incident.status = Status.INVESTIGATING
    postmortem.incident.save(update_fields=["status"])
    return postmortem


def test_the_service_refuses_and_changes_nothing(approved_while_investigating, people):
    with pytest.raises(TransitionRefused, match=REFUSAL):
        review.publish(postmortem=approved_while_investigating, actor=people["author"])
    approved_while_investigating.refresh_from_db()
    assert approved_while_investigating.status == S.APPROVED
    assert approved_while_investigating.published_at is None


def test_the_review_page_shows_the_refusal(approved_while_investigating, people, make_client):
    url = reverse("postmortems:review", args=[approved_while_investigating.incident.reference])
    response = make_client(people["author"]).post(url, {"action": "publish"})
    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    approved_while_investigating.refresh_from_db()
    assert approved_while_investigating.status == S.APPROVED


@pytest.mark.parametrize("status", [Status.MITIGATED, Status.RESOLVED])
def test_a_mitigated_or_resolved_incident_may_be_published(
    status, approved_while_investigating, people
):
    approved_while_investigating.incident.status = status
    approved_while_investigating.incident.save(update_fields=["status"])
    review.publish(postmortem=approved_while_investigating, actor=people["author"])
    approved_while_investigating.refresh_from_db()
    assert approved_while_investigating.status == S.PUBLISHED
