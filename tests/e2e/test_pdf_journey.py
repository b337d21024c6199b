import pytest

from postmortems.models import PostmortemStatus
from tests.e2e.conftest import sign_in
from tests.factories import PostmortemFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_reader_downloads_a_postmortem_as_pdf(new_page, author):
    postmortem = PostmortemFactory(
        status=PostmortemStatus.PUBLISHED, what_happened="The cache expired."
    )
    page = new_page()
    sign_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF", exact=True).click()
    download = download_info.value
    reference = postmortem.incident.reference
    assert download.suggested_filename == f"{reference}-postmortem.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert page.errors == []
