"""A postmortem's title is its incident's. Search finds and ranks a postmortem by it from a
copy the postmortem keeps (``incident_title`` and its words), so the database keeps that copy
on every kind of write: a postmortem started, an incident renamed (through the edit or a bulk
update), a postmortem moved to another incident, a save of a postmortem loaded before the
rename. Whatever the write, search finds the postmortem by its incident's title as it is."""

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse

from core.models import Role
from incidents import services as incident_services
from incidents.models import Incident
from postmortems.models import Postmortem, PostmortemStatus
from tests.factories import IncidentFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(db):
    return UserFactory(username="reader", roles=[Role.AUTHOR])


def _titles_are_true() -> None:
    assert not Postmortem.objects.exclude(incident_title=F("incident__title")).exists()


def _postmortems_found(user, text: str) -> list[int]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("search:results"), {"q": text, "type": "postmortems"})
    assert response.status_code == 200
    return [postmortem.pk for postmortem in response.context["page"].object_list]


def _postmortem(incident) -> Postmortem:
    return PostmortemFactory(
        incident=incident, status=PostmortemStatus.IN_REVIEW, summary="Nothing to see."
    )


def test_a_postmortem_is_found_by_its_incidents_title_as_it_is_now(reader):
    incident = IncidentFactory(title="Ledger replication stalled", created_by=reader)
    postmortem = _postmortem(incident)
    _titles_are_true()
    assert _postmortems_found(reader, "ledger") == [postmortem.pk]

    incident_services.incident_update(
        incident=incident,
        editor=reader,
        loaded_version=incident.updated_at.isoformat(),
        title="Quorum lost on the vault cluster",
    )
    _titles_are_true()
    assert _postmortems_found(reader, "ledger") == []
    assert _postmortems_found(reader, "quorum vault") == [postmortem.pk]

    Incident.objects.filter(pk=incident.pk).update(title="Ledger lag again")
    _titles_are_true()
    assert _postmortems_found(reader, "ledger") == [postmortem.pk]


def test_a_moved_postmortem_takes_its_new_incidents_title(reader):
    postmortem = _postmortem(IncidentFactory(title="Ledger replication stalled"))
    other = IncidentFactory(title="Quorum lost")
    Postmortem.objects.filter(pk=postmortem.pk).update(incident=other)
    _titles_are_true()
    assert _postmortems_found(reader, "ledger") == []
    assert _postmortems_found(reader, "quorum") == [postmortem.pk]


def test_saving_a_postmortem_loaded_before_the_rename_keeps_the_new_title(reader):
    incident = IncidentFactory(title="Ledger replication stalled")
    postmortem = _postmortem(incident)
    Incident.objects.filter(pk=incident.pk).update(title="Quorum lost")
    postmortem.summary = "Still nothing to see."
    postmortem.save()  # writes back the title it loaded
    _titles_are_true()
    assert _postmortems_found(reader, "quorum") == [postmortem.pk]


def test_the_title_ranks_as_the_incidents_title_did(reader):
    # A title match with little text outranks a text match with more.
    titled = _postmortem(IncidentFactory(title="Ledger replication stalled"))
    in_text = PostmortemFactory(
        incident=IncidentFactory(title="Checkout slow"),
        status=PostmortemStatus.IN_REVIEW,
        summary="The ledger, the ledger, the ledger lagged.",
    )
    assert _postmortems_found(reader, "ledger") == [titled.pk, in_text.pk]
