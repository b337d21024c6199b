"""When the sanitiser takes something out of a text, the writer's preview says what."""

import pytest
from django.urls import reverse

from core.markdown import render_markdown, render_markdown_for_writer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "removed"),
    [
        ("Plain **Markdown**, a [link](https://example.com) and `code`.", []),
        ("|a|b|\n|:-|-:|\n|1|2|\n\n```py\nx = 1\n```", []),  # Markdown's own markup
        ("<!-- a template's prompt -->\nWritten.", []),  # comments are hidden on purpose
        ("<script>alert(1)</script>", ["the <script> tag"]),
        ('<iframe src="https://x"></iframe><iframe></iframe>', ["the <iframe> tag"]),
        ("[x](javascript:alert(1))", ["a link using javascript"]),
        ('<a href="https://x" onclick="steal()">x</a>', ["the onclick attribute of <a>"]),
        ("![chart](http://example.com/c.png)", ["the src attribute of <img>"]),
        ('<p class="position-fixed">x</p>', ["the class attribute of <p>"]),
        ("Ordinary prose. " * 10_000, []),
    ],
)
def test_what_is_taken_out_is_named(text, removed):
    html, taken_out = render_markdown_for_writer(text)
    assert taken_out == removed
    assert html == render_markdown(text)


def test_text_too_costly_for_markdown_is_escaped_so_nothing_is_removed():
    assert render_markdown_for_writer("<script>x</script> " + "x" * 1_001)[1] == []


def test_the_preview_says_what_was_taken_out(author_client):
    response = author_client.post(
        reverse("postmortems:preview"),
        {"field": "impact", "impact": "**Bold** <script>alert(1)</script> <u>under</u>"},
    )
    content = response.content.decode()
    assert "Not shown, and never shown to readers:" in content
    assert "the &lt;script&gt; tag, the &lt;u&gt; tag." in content
    assert "<script" not in content


def test_the_preview_of_clean_text_says_nothing(author_client):
    response = author_client.post(
        reverse("postmortems:preview"), {"field": "impact", "impact": "**Bold** and _fine_."}
    )
    assert "Not shown" not in response.content.decode()
