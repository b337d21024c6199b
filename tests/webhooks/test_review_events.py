"""The postmortem's review workflow raises its events once each, at the step that completes it:
review requested, approved (with every approval needed), published, amended."""

import pytest

from postmortems import amendments, review
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def _events():
    return list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True))


def test_a_postmortem_reviewed_published_and_amended_raises_each_event_once(
    endpoint, ready, people, settings
):
    settings.POSTMORTEM_REQUIRED_APPROVALS = 2
    review.request_review(
        postmortem=ready,
        actor=people["author"],
        reviewers=[people["reviewer"], people["other reviewer"]],
    )
    WebhookDelivery.objects.all().delete()

    review.approve(postmortem=ready, actor=people["reviewer"])
    assert _events() == []  # one approval of the two needed: not approved yet
    review.approve(postmortem=ready, actor=people["other reviewer"])
    review.publish(postmortem=ready, actor=people["author"])
    ready.refresh_from_db()
    amendment = amendments.start_amendment(
        postmortem=ready, actor=people["author"], reason="Wrong date"
    )
    amendments.save_amendment_text(
        amendment=amendment,
        actor=people["author"],
        texts={"summary": "Corrected."},
        loaded_version=ready.content_version,
    )
    ready.refresh_from_db()
    amendments.approve_amendment(
        amendment=amendment, actor=people["reviewer"], seen_version=ready.content_version
    )

    assert _events() == ["postmortem.approved", "postmortem.published", "postmortem.amended"]
    amended = WebhookDelivery.objects.get(event="postmortem.amended").payload
    assert amended["postmortem"]["status"] == "published"
    assert "Corrected." not in str(amended)
