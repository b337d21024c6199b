import json

import pytest
from playwright.sync_api import expect

from actions.models import ActionItemChange
from tests.e2e.conftest import sign_in
from tests.factories import ActionItemFactory, PostmortemFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_token_is_made_on_settings_and_the_docs_page_acts_as_the_signed_in_person(
    new_page, author
):
    item = ActionItemFactory(postmortem=PostmortemFactory(author=author, status="published"))
    page = new_page()
    sign_in(page, "author")

    page.goto("/account/")
    page.get_by_label("New token's name").fill("deploy bot")
    page.get_by_label("It may").select_option("write")
    page.get_by_role("button", name="Save").click()
    shown = page.get_by_text("Your new API token")
    expect(shown).to_contain_text("hsat_")
    page.reload()
    expect(page.get_by_text("Your new API token")).to_have_count(0)
    expect(page.get_by_text("deploy bot (read and write, hsat_")).to_be_visible()

    # The docs page: Swagger UI from static/vendor, under the strict policy (any violation
    # would be a console error, and fail the test below).
    page.goto("/api/docs/")
    operation = page.locator("#operations-action-items-action_items_status_create")
    expect(operation).to_be_visible()
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_placeholder("id").fill(str(item.pk))
    operation.locator("textarea.body-param__text").fill(
        json.dumps({"status": "in_progress", "note": "Started from the docs page."})
    )
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status")).to_have_text(
        "200"
    )
    change = ActionItemChange.objects.get(item=item)
    assert (change.new_value, change.changed_by) == ("in_progress", author)
    assert page.errors == []
