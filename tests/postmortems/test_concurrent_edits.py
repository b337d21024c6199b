import pytest
from django.urls import reverse

from core.models import Role
from tests.factories import UserFactory
from tests.postmortems.conftest import section_data

pytestmark = pytest.mark.django_db


def test_a_stale_save_is_refused_keeping_the_typed_text_and_showing_what_changed(
    make_client, author, postmortem
):
    url = reverse("postmortems:edit", args=[postmortem.incident.reference])
    colleague = UserFactory(
        username="sam", first_name="Sam", last_name="Lee", roles=[Role.REVIEWER]
    )
    first, second = make_client(colleague), make_client(author)
    # Both open the editor at version 1.
    loaded = section_data(postmortem)

    saved = first.post(url, {**loaded, "summary": "Sam's summary of the outage."})
    assert saved.status_code == 302

    refused = second.post(url, {**loaded, "impact": "My impact text, typed carefully."})
    content = refused.content.decode()
    assert refused.status_code == 200
    assert "Someone else saved this postmortem while you were editing" in content
    assert "My impact text, typed carefully." in content  # nothing lost
    assert "Sam Lee" in content  # who changed it meanwhile
    assert (
        "<ins>Sam&#x27;s summary of the outage.</ins>" in content or "Sam&#x27;s summary" in content
    )
    assert 'name="version" value="2"' in content  # the form now carries the current version
    postmortem.refresh_from_db()
    assert postmortem.summary == "Sam's summary of the outage."
    assert postmortem.impact != "My impact text, typed carefully."

    # After merging (keeping Sam's summary), saving again goes through.
    merged = {
        **loaded,
        "version": 2,
        "summary": "Sam's summary of the outage.",
        "impact": "My impact text, typed carefully.",
    }
    assert second.post(url, merged).status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.version == 3
    assert postmortem.summary == "Sam's summary of the outage."
    assert postmortem.impact == "My impact text, typed carefully."


def test_a_stale_single_section_save_is_refused_too(make_client, author, reviewer, postmortem):
    section_url = reverse(
        "postmortems:edit-section", args=[postmortem.incident.reference, "summary"]
    )
    full_url = reverse("postmortems:edit", args=[postmortem.incident.reference])
    make_client(reviewer).post(full_url, section_data(postmortem, impact="Changed meanwhile"))
    response = make_client(author).post(section_url, {"version": 1, "summary": "Mine"})
    assert "Someone else saved this postmortem" in response.content.decode()
    postmortem.refresh_from_db()
    assert postmortem.summary != "Mine"
