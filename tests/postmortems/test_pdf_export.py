import re
import zlib

import pytest
from django.urls import reverse

from postmortems.models import PostmortemStatus
from tests.factories import PostmortemFactory

pytestmark = pytest.mark.django_db


def _pdf_text(pdf: bytes) -> str:
    """The PDF's content streams inflated: enough to find the glyph runs of a page's text."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    return b"".join(zlib.decompress(s) for s in streams if s[:1] == b"x").decode("latin-1")


def test_a_postmortem_downloads_as_a_pdf_of_its_read_page(author_client):
    postmortem = PostmortemFactory(
        status=PostmortemStatus.PUBLISHED,
        what_happened="The **cache** expired. ![x](https://attacker.example/pixel.png)",
    )
    reference = postmortem.incident.reference
    response = author_client.get(reverse("postmortems:pdf", args=[reference]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{reference}-postmortem.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")
    assert re.search(r"\bT[jJ]\b", _pdf_text(response.content))  # text was laid out


def test_a_draft_pdf_is_refused_to_someone_who_may_not_read_it(make_client, outsider):
    draft = PostmortemFactory(what_happened="Secret draft.")
    client = make_client(outsider)
    reference = draft.incident.reference
    response = client.get(reverse("postmortems:pdf", args=[reference]))
    assert response.status_code == 403  # as the page and its Markdown export
    assert client.get(reverse("postmortems:export", args=[reference])).status_code == 403
    assert b"%PDF" not in response.content
