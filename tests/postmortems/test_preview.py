import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_preview_renders_markdown_through_the_sanitising_pipeline(author_client):
    response = author_client.post(
        reverse("postmortems:preview"),
        {
            "field": "impact",
            "impact": "**Bold** <script>alert(1)</script> [x](javascript:alert(1))",
        },
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in content
    assert "<script" not in content and "javascript:" not in content


def test_preview_rejects_an_unknown_field(author_client):
    response = author_client.post(reverse("postmortems:preview"), {"field": "password"})
    assert response.status_code == 400


def test_preview_needs_sign_in_and_a_post(author_client):
    from django.test import Client

    assert Client().post(reverse("postmortems:preview"), {"field": "summary"}).status_code == 302
    assert author_client.get(reverse("postmortems:preview")).status_code == 405
