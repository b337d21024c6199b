import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.factories import IncidentFactory, PostmortemFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_engineer_finds_a_past_postmortem_by_a_word_from_its_discussion(new_page, author):
    PostmortemFactory(
        incident=IncidentFactory(title="Checkout outage"),
        status="published",
        what_happened="The connection pool was exhausted by a retry storm.",
    )
    IncidentFactory(title="Unrelated disk alert")
    page = new_page()
    sign_in(page, "author")

    search_box = page.get_by_role("searchbox", name=re.compile("Search incidents"))
    search_box.fill("retry storm")
    search_box.press("Enter")

    results = page.locator("#results-postmortems")
    expect(results.locator("mark").first).to_have_text("retry")
    results.get_by_role("link", name=re.compile("Checkout outage")).click()
    expect(page).to_have_url(re.compile(r"/postmortems/INC-\d+/$"))
    expect(page.locator("#section-what_happened")).to_contain_text("retry storm")
    assert page.errors == []
