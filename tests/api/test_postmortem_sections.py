"""Changing sections through the API takes the edit page's path: the same version check (a
stale save refused, with 409 and the version to start again from), the same frozen states and
the same length limits, and nothing half-saved."""

import pytest

from core.forms import SECTION_MAX_LENGTH
from core.models import Role
from postmortems.models import DocumentChange, Revision
from tests.factories import PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db


def _url(postmortem) -> str:
    return f"/api/postmortems/{postmortem.incident.reference}/sections/"


def _patch(client, postmortem, body):
    return client.patch(_url(postmortem), body, content_type="application/json")


@pytest.fixture
def postmortem(author):
    return PostmortemFactory(author=author, status="in_review")


def test_a_stale_save_is_refused_with_409_and_the_current_version(postmortem, author, token_client):
    colleague = UserFactory(roles=[Role.REVIEWER])
    loaded = postmortem.version
    first = _patch(
        token_client(colleague), postmortem, {"version": loaded, "sections": {"summary": "Sam's."}}
    )
    assert first.status_code == 200

    refused = _patch(
        token_client(author), postmortem, {"version": loaded, "sections": {"impact": "Mine."}}
    )
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "stale"
    assert "Someone else saved this postmortem while you were editing" in body["detail"]
    assert body["current_version"] == loaded + 1
    postmortem.refresh_from_db()
    assert (postmortem.summary, postmortem.version) == ("Sam's.", loaded + 1)
    assert postmortem.impact != "Mine."

    # Starting again from the current version goes through, as on the page.
    again = _patch(
        token_client(author), postmortem, {"version": loaded + 1, "sections": {"impact": "Mine."}}
    )
    assert again.status_code == 200
    assert again.json()["sections"]["summary"] == "Sam's."
    assert again.json()["sections"]["impact"] == "Mine."


def test_a_save_records_a_revision_and_a_document_change(postmortem, author, token_client):
    response = _patch(
        token_client(author),
        postmortem,
        {"version": postmortem.version, "sections": {"lessons_learned": "Units in names."}},
    )
    assert response.status_code == 200
    assert Revision.objects.filter(postmortem=postmortem, changed_sections=["lessons_learned"])
    change = DocumentChange.objects.get(postmortem=postmortem)
    assert change.actor == author
    assert "Lessons learned" in change.description


def test_sections_not_sent_are_left_as_they_are(postmortem, author, token_client):
    before = postmortem.section_texts()
    _patch(token_client(author), postmortem, {"version": 1, "sections": {"summary": "New."}})
    postmortem.refresh_from_db()
    assert postmortem.section_texts() == {**before, "summary": "New."}


@pytest.mark.parametrize("state", ["approved", "published"])
def test_approved_and_published_text_is_frozen(state, author, token_client):
    frozen = PostmortemFactory(author=author, status=state)
    response = _patch(
        token_client(author), frozen, {"version": frozen.version, "sections": {"summary": "X"}}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "frozen"
    assert "amendment" in response.json()["detail"] or "approval" in response.json()["detail"]
    frozen.refresh_from_db()
    assert frozen.summary != "X"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"sections": {"summary": "No version"}}, "version"),
        ({"version": "two", "sections": {"summary": "x"}}, "version"),
        ({"version": 0, "sections": {"summary": "x"}}, "version"),
        ({"version": 10**30, "sections": {"summary": "x"}}, "version"),
        ({"version": 1}, "sections"),
        ({"version": 1, "sections": {}}, "sections"),
        ({"version": 1, "sections": {"no_such_section": "x"}}, "sections"),
        ({"version": 1, "sections": "summary"}, "sections"),
        ({"version": 1, "sections": {"summary": ["a", "list"]}}, "sections"),
        ({"version": 1, "sections": {"summary": "x" * (SECTION_MAX_LENGTH + 1)}}, "summary"),
    ],
)
def test_bad_input_gets_400_saying_what_is_wrong(body, field, postmortem, author, token_client):
    before = postmortem.section_texts()
    response = _patch(token_client(author), postmortem, body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    postmortem.refresh_from_db()
    assert postmortem.section_texts() == before


def test_a_body_that_is_not_json_gets_400(postmortem, author, token_client):
    response = token_client(author).patch(
        _url(postmortem), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_the_too_long_message_is_the_edit_page_s(postmortem, author, token_client):
    response = _patch(
        token_client(author),
        postmortem,
        {"version": 1, "sections": {"summary": "x" * (SECTION_MAX_LENGTH + 1)}},
    )
    assert "Keep this under" in response.json()["errors"]["summary"][0]


@pytest.mark.django_db(transaction=True)
def test_a_save_commits_for_other_connections(migration_data, token_client):
    author = UserFactory(roles=[Role.AUTHOR])
    postmortem = PostmortemFactory(author=author)
    response = _patch(
        token_client(author), postmortem, {"version": 1, "sections": {"summary": "Committed."}}
    )
    assert response.status_code == 200
    postmortem.refresh_from_db()
    assert (postmortem.summary, postmortem.version) == ("Committed.", 2)
