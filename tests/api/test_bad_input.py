"""Whatever a program sends, the answer is JSON saying what is wrong, never a server error."""

import pytest

from tests.factories import ActionItemFactory, PostmortemFactory

pytestmark = pytest.mark.django_db

ODD_BODIES = [
    None,
    [],
    ["a", "list"],
    42,
    "a string",
    {"version": None, "sections": None},
    {"title": None, "status": None, "occurred_at": None, "body": None},
    {"title": "\x00", "body": "nul \x00 byte", "note": "\x00", "status": "done\x00"},
    {"title": {"nested": True}, "owner": {"id": 1}, "due_date": ["2026-01-01"]},
    {"owner": 1.5, "due_date": 20260101, "version": 1e308, "sections": {"summary": 5}},
    {"occurred_at": "2026-03-10T25:61:00", "kind": "", "source_url": "x" * 600},
    {"postmortem": "INC-1\x00", "title": "\ud800"},
]


@pytest.fixture
def endpoints(author):
    item = ActionItemFactory(postmortem=PostmortemFactory(author=author, status="in_review"))
    reference = item.postmortem.incident.reference
    return [
        ("post", "/api/action-items/"),
        ("patch", f"/api/action-items/{item.pk}/"),
        ("post", f"/api/action-items/{item.pk}/status/"),
        ("patch", f"/api/postmortems/{reference}/sections/"),
        ("post", f"/api/incidents/{reference}/timeline/"),
    ]


@pytest.mark.parametrize("body", ODD_BODIES, ids=range(len(ODD_BODIES)))
def test_odd_bodies_get_400_with_a_message(body, endpoints, author, token_client):
    import json

    client = token_client(author)
    for method, url in endpoints:
        try:
            raw = json.dumps(body)
        except (TypeError, ValueError):
            raw = str(body)
        response = getattr(client, method)(url, raw, content_type="application/json")
        assert response.status_code == 400, (method, url, response.content)
        assert response.json()["detail"], (method, url)


@pytest.mark.parametrize(
    "url",
    [
        "/api/incidents/?q=%00",
        "/api/incidents/?severity=%00",
        "/api/incidents/?started_from=%00",
        "/api/action-items/?incident=%00",
        "/api/action-items/?q=%00",
        "/api/postmortems/?q=%00",
        "/api/tags/%00/",
        "/api/services/%00/",
        "/api/incidents/INC-1/timeline/?cursor=%00",
    ],
)
def test_a_nul_byte_in_a_query_or_path_is_refused_not_an_error(url, author, token_client):
    response = token_client(author).get(url)
    assert response.status_code in (400, 404), response.content
    assert response.json()["detail"]


@pytest.mark.parametrize("url", ["/api/", "/api/no-such-thing/", "/api/incidents/INC-1/nope/"])
def test_other_addresses_under_api_are_a_json_404(url, db):
    from django.test import Client

    response = Client().get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_form_encoded_body_is_refused_with_415(author, token_client):
    response = token_client(author).post("/api/action-items/", {"title": "x"})
    assert response.status_code == 415
    assert response.json()["detail"]
