import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from actions.models import ActionItem
from incidents.models import Severity
from postmortems.models import Postmortem, PostmortemStatus
from tests.e2e.conftest import sign_in
from tests.factories import IncidentFactory, PostmortemFactory, ServiceFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _add_item(page, *, title, kind, priority, due=None):
    section = page.locator("#postmortem-actions")
    form = section.locator("form", has=page.get_by_role("button", name="Add action item"))
    if not form.is_visible():
        section.get_by_text("Add an action item").click()
    form.get_by_label("Title").fill(title)
    form.get_by_label("Kind").select_option(label=kind)
    form.get_by_label("Owner").select_option(label="Olive Owner")
    form.get_by_label("Priority").select_option(priority)
    if due:
        form.get_by_label("Due date").fill(due)
    form.get_by_role("button", name="Add action item").click()
    expect(section.locator(".action-item", has_text=title)).to_be_visible()


def test_items_added_on_a_postmortem_are_completed_by_their_owner_and_overdue_ones_reach_the_manager(
    new_page, author, manager
):
    today = timezone.localdate()
    UserFactory(username="olive", first_name="Olive", last_name="Owner")
    incident = IncidentFactory(
        title="Checkout down", severity=Severity.SEV1, services=[ServiceFactory(name="Checkout")]
    )
    postmortem = PostmortemFactory(author=author, incident=incident)

    # The author adds two action items from the postmortem page, without leaving it.
    page = new_page()
    sign_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    due_field = page.locator("#postmortem-actions").get_by_label("Due date")
    expect(due_field).to_have_value(f"{today + timedelta(weeks=8):%Y-%m-%d}")  # P2's default
    page.locator("#postmortem-actions").get_by_label("Priority").select_option("P1")
    expect(due_field).to_have_value(f"{today + timedelta(weeks=4):%Y-%m-%d}")  # follows P1
    _add_item(page, title="Validate config units", kind="Prevent", priority="P1")
    _add_item(
        page,
        title="Alert on checkout errors",
        kind="Detect",
        priority="P2",
        due=f"{today + timedelta(days=10):%Y-%m-%d}",
    )
    expect(page).to_have_url(re.compile(rf"{re.escape(postmortem.get_absolute_url())}$"))
    groups = page.locator("#postmortem-actions .action-kind-group")
    expect(groups).to_have_count(2)
    assert groups.evaluate_all("els => els.map(e => e.dataset.kind)") == ["prevent", "detect"]
    first = ActionItem.objects.get(title="Validate config units")
    assert first.due_date == today + timedelta(weeks=4)
    assert first.owner.username == "olive" and first.created_by == author

    # Time passes: the postmortem is published (a draft's items are hidden from managers who
    # are not reviewers), and the second item's due date goes by.
    Postmortem.objects.filter(pk=postmortem.pk).update(
        status=PostmortemStatus.PUBLISHED, published_at=timezone.now()
    )
    ActionItem.objects.filter(title="Alert on checkout errors").update(
        due_date=today - timedelta(days=3)
    )

    # The owner completes the first (a prevent item) from "My action items", with evidence.
    owner_page = new_page()
    sign_in(owner_page, "olive")
    owner_page.locator("#main-nav").get_by_role("link", name="Action items").click()
    expect(owner_page.get_by_role("heading", level=1)).to_have_text("My action items")
    rows = owner_page.locator(".my-action-items .action-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Alert on checkout errors")  # overdue first
    expect(rows.first).to_contain_text("Overdue by 3 days")
    row = owner_page.locator(f"#action-row-{first.pk}")
    row.get_by_placeholder("Evidence: a link or a note (needed)").fill(
        "The loader rejects bare numbers now."
    )
    row.get_by_role("button", name="Mark done").click()
    expect(owner_page.locator(f"#action-row-{first.pk}")).to_have_attribute("data-status", "done")
    expect(owner_page.locator(f"#action-row-{first.pk}")).to_contain_text("is done")
    first.refresh_from_db()
    assert first.status == "done"
    assert first.evidence_note == "The loader rejects bare numbers now."

    # The manager's dashboard shows the other one as overdue, and its count opens the list.
    manager_page = new_page()
    sign_in(manager_page, "manager")
    manager_page.locator("#main-nav").get_by_role("link", name="Action items").click()
    manager_page.get_by_role("link", name="Dashboard").click()
    expect(manager_page.locator("#metric-overdue .metric-value")).to_have_text("1")
    overdue = manager_page.locator("section[aria-labelledby=overdue-heading]")
    expect(overdue).to_contain_text("Alert on checkout errors")
    expect(overdue).to_contain_text("Overdue by 3 days")
    expect(overdue).not_to_contain_text("Validate config units")
    expect(manager_page.locator(".by-owner")).to_contain_text("Olive Owner")
    expect(manager_page.locator(".by-severity tr[data-severity=SEV1]")).to_contain_text("1")
    manager_page.locator("#metric-overdue .metric-value").click()
    expect(manager_page).to_have_url(re.compile(r"/actions/\?due=overdue$"))
    expect(manager_page.locator(".action-table tbody tr")).to_have_count(1)
    expect(manager_page.locator(".action-table")).to_contain_text("Alert on checkout errors")

    for opened in (page, owner_page, manager_page):
        assert opened.errors == []


def test_an_item_is_edited_in_place_and_a_moved_due_date_asks_why(new_page, author):
    today = timezone.localdate()
    postmortem = PostmortemFactory(author=author)
    item = ActionItem.objects.create(
        postmortem=postmortem,
        title="Add canary",
        owner=author,
        created_by=author,
        due_date=today + timedelta(days=10),
    )
    page = new_page()
    sign_in(page, "author")
    page.goto(postmortem.get_absolute_url())
    card = page.locator(f"#action-{item.pk}")
    card.get_by_role("link", name="Edit").click()
    form = page.locator(f"#action-{item.pk} form")
    form.get_by_label("Due date").fill(f"{today + timedelta(days=24):%Y-%m-%d}")
    form.get_by_role("button", name="Save").click()
    # Refused in place: the form stays, with the reason asked for.
    expect(page.locator(f"#action-{item.pk}")).to_contain_text("Say why the due date moves")
    page.locator(f"#action-{item.pk} form").get_by_label("Reason for the new date").fill(
        "Waiting for the vendor's release."
    )
    page.locator(f"#action-{item.pk} form").get_by_role("button", name="Save").click()
    expect(page.locator("#postmortem-actions")).to_contain_text("Action item “Add canary” saved.")
    expect(page.locator(f"#action-{item.pk}")).to_contain_text(
        f"Due {today + timedelta(days=24):%Y-%m-%d}"
    )
    expect(page).to_have_url(re.compile(rf"{re.escape(postmortem.get_absolute_url())}$"))

    page.locator(f"#action-{item.pk}").get_by_role("link", name="Add canary").click()
    history = page.locator(".item-history")
    expect(history).to_contain_text(
        f"Due date: {today + timedelta(days=10):%Y-%m-%d} → {today + timedelta(days=24):%Y-%m-%d}"
    )
    expect(history).to_contain_text("Waiting for the vendor's release.")
    assert page.errors == []
