"""Signing in lands each role where their work is, the menu bar counts what needs them, and the
keyboard reaches everything: a skip link first, "/" to search from any page, even on a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from postmortems.models import ReviewRequest
from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import PHONE
from tests.factories import ActionItemFactory, PostmortemFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_each_role_lands_on_its_own_work_with_counts_in_the_menu(
    new_page, author, reviewer, manager
):
    waiting = PostmortemFactory(author=author, status="in_review", incident__title="Slow search")
    ReviewRequest.objects.create(postmortem=waiting, reviewer=reviewer, requested_by=author)
    PostmortemFactory(author=author, status="changes_requested", incident__title="Lost emails")
    ActionItemFactory(
        owner=author, title="Add a lag alert", due_date=timezone.localdate() - timedelta(days=3)
    )

    writer = new_page()
    sign_in(writer, "author")
    assert writer.url.endswith("/actions/mine/")
    expect(writer.locator(".to-finish")).to_contain_text("Lost emails")
    expect(writer.locator(".my-action-items")).to_contain_text("Add a lag alert")
    expect(writer.locator("#main-nav .nav-overdue-items")).to_have_text("1")

    checker = new_page()
    sign_in(checker, "reviewer")
    assert checker.url.endswith("/postmortems/review-queue/")
    expect(checker.get_by_role("heading", level=1)).to_have_text("Review queue")
    expect(checker.get_by_role("main")).to_contain_text("Slow search")
    expect(checker.locator("#main-nav .nav-reviews-waiting")).to_have_text("1")

    boss = new_page()
    sign_in(boss, "manager")
    assert boss.url.endswith("/actions/dashboard/")
    expect(boss.get_by_role("heading", level=1)).to_have_text("Action items dashboard")


def test_the_keyboard_skips_to_content_and_slash_focuses_search(new_page, author):
    page = new_page()
    sign_in(page, "author")
    page.goto("/incidents/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")

    search = page.get_by_role("searchbox", name="Search incidents, postmortems, timelines")
    page.keyboard.press("/")
    expect(search).to_be_focused()
    expect(search).to_have_value("")  # the slash is not typed into the box
    page.keyboard.type("checkout")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=checkout")

    # Typing a slash into a field types it; it does not jump to search.
    page.goto("/incidents/new/")
    title = page.get_by_label("Title")
    title.click()
    page.keyboard.type("a/b")
    expect(title).to_have_value("a/b")

    # On a phone the menu is folded away: "/" opens it and focuses the box.
    page.set_viewport_size(PHONE)
    page.goto("/incidents/")
    expect(search).to_be_hidden()
    page.keyboard.press("/")
    expect(search).to_be_focused()
    assert page.errors == []
