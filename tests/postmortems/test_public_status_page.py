"""The public status page: the site's name, each incident's published dates and duration in a
stated zone, and its services' public names; nothing internal."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import Incident
from postmortems import review
from postmortems.models import Postmortem, PostmortemStatus
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

STARTED = datetime(2025, 5, 4, 13, 2, tzinfo=UTC)


@pytest.fixture
def published(postmortem, author, reviewer):
    incident = postmortem.incident
    Incident.objects.filter(pk=incident.pk).update(
        started_at=STARTED,
        detected_at=STARTED + timedelta(minutes=5),
        mitigated_at=STARTED + timedelta(minutes=30),
        resolved_at=STARTED + timedelta(hours=1, minutes=48),
    )
    incident.services.set(
        [
            ServiceFactory(name="pg-primary-eu", public_name="Payments"),
            ServiceFactory(name="Checkout"),
        ]
    )
    for field in ("summary", "impact", "what_happened"):
        setattr(postmortem, field, f"Written {field}.")
    postmortem.save()
    ActionItemFactory(postmortem=postmortem)
    review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
    review.approve(postmortem=postmortem, actor=reviewer)
    return review.publish(
        postmortem=Postmortem.objects.get(pk=postmortem.pk),
        actor=author,
        make_public=True,
        public_title="Payments failing",
        public_summary="Some payments failed.",
    )


def test_the_status_page_names_the_site_dates_duration_and_public_service_names(
    published, settings
):
    settings.SITE_NAME = "Acme status"
    settings.ORG_TIME_ZONE = "Europe/Paris"
    anonymous = Client()
    listing = anonymous.get(reverse("public:list")).content.decode()
    detail = anonymous.get(published.public_url()).content.decode()
    feed = anonymous.get(reverse("public:feed")).content.decode()
    assert "<title>Acme status: incident reports</title>" in feed
    for page in (listing, detail):
        assert "Acme status" in page
        assert "Started 4 May 2025, 15:02" in page  # 13:02 UTC, in Paris summer time
        assert "resolved 4 May 2025, 16:50" in page
        assert "(Europe/Paris)" in page
        assert "lasted 1 h 48 min" in page
        assert "Affected: Checkout, Payments" in page
        assert "pg-primary-eu" not in page
        assert "Checkout outage" not in page  # the internal title


def test_times_edited_after_publication_wait_for_an_amendment(published):
    Incident.objects.filter(pk=published.incident_id).update(
        started_at=STARTED - timedelta(days=1), resolved_at=STARTED + timedelta(days=1)
    )
    detail = Client().get(published.public_url()).content.decode()
    assert "Started 4 May 2025, 13:02" in detail
    assert "lasted 1 h 48 min" in detail


def test_a_postmortem_published_before_records_shows_its_incidents_times(published):
    Postmortem.objects.filter(pk=published.pk).update(published_record={})
    Incident.objects.filter(pk=published.incident_id).update(status="mitigated", resolved_at=None)
    detail = Client().get(published.public_url()).content.decode()
    assert "Started 4 May 2025, 13:02" in detail
    assert "resolved" not in detail and "lasted" not in detail


def test_drafts_and_private_postmortems_stay_off_the_status_page(published):
    PostmortemFactory(incident=IncidentFactory(title="Secret draft outage"))
    PostmortemFactory(
        incident=IncidentFactory(title="Private outage"), status=PostmortemStatus.PUBLISHED
    )
    listing = Client().get(reverse("public:list")).content.decode()
    assert listing.count("public-facts") == 1
    assert "Secret draft outage" not in listing and "Private outage" not in listing


def _publish_more(count):
    for n in range(count):
        postmortem = PostmortemFactory(
            status=PostmortemStatus.PUBLISHED,
            is_public=True,
            public_title=f"Report {n}",
            public_summary="Summary.",
            published_at=STARTED,
        )
        postmortem.incident.services.set([ServiceFactory(), ServiceFactory()])


@pytest.mark.parametrize("extra", [2, 12])
def test_the_status_page_costs_the_same_queries_at_any_size(
    published, extra, django_assert_max_num_queries
):
    _publish_more(extra)
    anonymous = Client()
    with django_assert_max_num_queries(4):
        response = anonymous.get(reverse("public:list"))
    assert response.content.decode().count("public-facts") == extra + 1
    # The count is kept until the data changes: the data version in its place.
    with django_assert_max_num_queries(3):
        response = anonymous.get(reverse("public:list"))
    assert response.context["page"].paginator.count == extra + 1


def test_the_kept_count_follows_summaries_made_public_and_incidents_restricted(published):
    anonymous = Client()
    assert anonymous.get(reverse("public:list")).context["page"].paginator.count == 1

    _publish_more(1)
    assert anonymous.get(reverse("public:list")).context["page"].paginator.count == 2

    Incident.objects.filter(pk=published.incident_id).update(restricted=True)
    listing = anonymous.get(reverse("public:list"))
    assert listing.context["page"].paginator.count == 1
    assert "Payments failing" not in listing.content.decode()
