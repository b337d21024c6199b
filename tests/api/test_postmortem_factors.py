"""The postmortem endpoint shows its contributing factors, read-only."""

import pytest

from postmortems.models import FactorCategory
from tests.factories import ContributingFactorFactory, PostmortemFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db


def test_a_postmortem_lists_its_factors_with_their_timeline_entries(author, token_client):
    postmortem = PostmortemFactory(author=author, status="in_review")
    entry = TimelineEntryFactory(incident=postmortem.incident)
    ContributingFactorFactory(
        postmortem=postmortem,
        category=FactorCategory.objects.get(name="Handoffs"),
        description="Context was lost at the shift change",
        timeline_entries=[entry],
    )
    body = token_client(author).get(f"/api/postmortems/{postmortem.incident.reference}/").json()
    assert body["contributing_factors"] == [
        {
            "id": postmortem.factors.get().pk,
            "category": "Handoffs",
            "top_category": "Human factors / coordination",
            "description": "Context was lost at the shift change",
            "timeline_entries": [entry.pk],
        }
    ]
