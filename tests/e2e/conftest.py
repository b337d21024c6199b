"""Browser journeys: Playwright drives Debian's Chromium against pytest-django's live server.

Mark them `django_db(transaction=True)`: the live server needs committed data. Each such test
ends by flushing every table, taking with it what data migrations created, so
`migration_data` below puts that back before each browser test.

They never skip: a machine without Chromium fails here with a message saying how to get it
(`make test` installs it).
"""

import importlib
import os
import re
import shutil

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import sync_playwright

from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# itself are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Data migrations whose rows the browser tests rely on (all idempotent).
DATA_MIGRATIONS = [
    ("core.migrations.0002_create_role_groups", "create_role_groups"),
    ("postmortems.migrations.0002_default_templates_and_phrases", "create_defaults"),
    ("postmortems.migrations.0015_contributing_factors", "add_default_categories"),
    ("core.migrations.0006_teams_and_security_role", "create_security_group"),
    ("postmortems.migrations.0012_french_blameless_phrases", "add_phrases"),
]


@pytest.fixture(autouse=True)
def migration_data(transactional_db):
    for module, function in DATA_MIGRATIONS:
        getattr(importlib.import_module(module), function)(django_apps, None)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh browser context (its own cookies), failing on any page error."""
    contexts = []

    def open_page():
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on(
            "console",
            lambda message: page.errors.append(message.text) if message.type == "error" else None,
        )
        return page

    yield open_page
    for context in contexts:
        context.close()


# Where signing in lands (core.views.home): managers on the dashboard, reviewers on the review
# queue, everyone else on their drafts and action items.
ROLE_HOMES = re.compile(r"/(actions/dashboard|postmortems/review-queue|actions/mine)/$")


def sign_in(page, username: str):
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(ROLE_HOMES)
