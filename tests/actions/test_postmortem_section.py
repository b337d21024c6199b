"""Action items on the postmortem page: grouped by kind, overdue marked, and added, edited and
completed in place with htmx (or with plain forms without JavaScript)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem
from actions.selectors import postmortem_action_items
from tests.actions.conftest import edit_data, new_item_data
from tests.factories import ActionItemFactory, UserFactory

# Dates here depend on "today": check them on both sides of midnight UTC and of the date line.
pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]
HTMX = {"HTTP_HX_REQUEST": "true"}


def _add_url(postmortem):
    return reverse("actions:create", args=[postmortem.incident.reference])


def _section_url(postmortem):
    return reverse("actions:postmortem", args=[postmortem.incident.reference])


def test_the_postmortem_page_shows_items_grouped_by_kind_with_overdue_marked(
    author_client, postmortem
):
    today = timezone.localdate()
    ActionItemFactory(postmortem=postmortem, kind="process", title="Write the runbook")
    ActionItemFactory(
        postmortem=postmortem,
        kind="detect",
        title="Alert on errors",
        due_date=today - timedelta(days=3),
    )
    ActionItemFactory(postmortem=postmortem, kind="prevent", title="Validate units")
    ActionItemFactory(postmortem=postmortem, kind="detect", title="Synthetic checks", owner=None)
    content = author_client.get(postmortem.get_absolute_url()).content.decode()
    section = content[content.index('id="postmortem-actions"') :]
    kinds = re.findall(r'data-kind="(\w+)"', section)
    assert kinds == ["prevent", "detect", "process"]  # the kinds' own order, empty ones left out
    assert section.index("Validate units") < section.index("Alert on errors")
    assert section.index("Alert on errors") < section.index("Write the runbook")
    overdue_card = section[section.index('id="action-', section.index("Alert on errors") - 400) :]
    assert "action-overdue" in section
    assert "Overdue by 3 days" in overdue_card[: overdue_card.index("</li>")]
    assert "No owner" in section


def test_items_are_ordered_by_kind_then_to_do_then_due_date_as_the_database_orders_them(
    postmortem,
):
    from itertools import product

    from django.db.models import Case, F, IntegerField, Value, When

    from actions.models import TO_DO, ActionKind

    today = timezone.localdate()
    dates = [None, today, today - timedelta(days=2), today + timedelta(days=9)]
    for kind, status, due in product(
        ["process", "prevent", "detect", "mitigate"],
        ["done", "open", "in_progress", "wont_do"],
        dates,
    ):
        ActionItemFactory.create_batch(
            2, postmortem=postmortem, kind=kind, status=status, due_date=due
        )
    # The SQL ordering the page used before it sorted them itself.
    by_sql = postmortem.action_items.order_by(
        Case(
            *[When(kind=kind, then=Value(n)) for n, kind in enumerate(ActionKind.values)],
            default=Value(len(ActionKind.values)),
            output_field=IntegerField(),
        ),
        Case(When(status__in=TO_DO, then=Value(0)), default=Value(1)),
        F("due_date").asc(nulls_first=True),
        "pk",
    )
    assert [item.pk for item in postmortem_action_items(postmortem)] == [item.pk for item in by_sql]


def test_a_postmortem_without_items_says_the_reviewer_will_ask(author_client, postmortem):
    content = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "No action items yet." in content
    assert "the reviewer will be asked to confirm" in content
    assert "Add an action item" in content


def test_adding_with_htmx_returns_the_updated_section(author_client, author, postmortem):
    owner = UserFactory(first_name="Olive", last_name="Owner")
    response = author_client.post(
        _add_url(postmortem),
        new_item_data(
            title="Canary config changes",
            kind="mitigate",
            owner=owner.pk,
            priority="P1",
            tracker_url="jira.example.com/browse/PAY-42",
            description="One region **first**.",
        ),
        **HTMX,
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="postmortem-actions"')
    assert "<html" not in content
    assert "Canary config changes" in content
    assert "Olive Owner" in content
    assert "<strong>first</strong>" in content
    assert ">PAY-42</a>" in content
    assert "Action item “Canary config changes” added." in content
    item = ActionItem.objects.get()
    assert (item.postmortem, item.created_by, item.owner) == (postmortem, author, owner)
    assert (item.kind, item.priority, item.status) == ("mitigate", "P1", "open")
    assert item.tracker_url == "https://jira.example.com/browse/PAY-42"
    # The add form is fresh again, ready for the next item.
    assert 'value="Canary config changes"' not in content


def test_adding_without_javascript_redirects_back_to_the_item(author_client, postmortem):
    response = author_client.post(_add_url(postmortem), new_item_data(title="Plain form"))
    item = ActionItem.objects.get()
    assert response.status_code == 302
    assert response.url == f"{postmortem.get_absolute_url()}#action-{item.pk}"


def test_an_invalid_item_keeps_the_typed_text_and_names_the_error(author_client, postmortem):
    response = author_client.post(
        _add_url(postmortem), new_item_data(title="", description="Kept *text*"), **HTMX
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in content
    assert "Kept *text*" in content
    assert "<details" in content and " open>" in content
    assert not ActionItem.objects.exists()


def test_editing_in_place_swaps_in_a_form_then_the_saved_section(author_client, postmortem):
    item = ActionItemFactory(postmortem=postmortem, title="Old title")
    url = reverse("actions:update", args=[item.pk])
    form = author_client.get(url, HTTP_HX_TARGET=f"action-{item.pk}", **HTMX)
    assert (
        form.content.decode()
        .lstrip()
        .startswith(f'<li class="action-item card mb-2 border-primary" id="action-{item.pk}"')
    )
    assert 'value="Old title"' in form.content.decode()

    saved = author_client.post(
        url, edit_data(item, title="New title"), HTTP_HX_TARGET="postmortem-actions", **HTMX
    )
    assert 'id="postmortem-actions"' in saved.content.decode()
    assert "New title" in saved.content.decode()
    item.refresh_from_db()
    assert item.title == "New title"


def test_an_invalid_edit_in_place_shows_its_errors_where_the_form_is(author_client, postmortem):
    item = ActionItemFactory(postmortem=postmortem, title="Old title")
    response = author_client.post(
        reverse("actions:update", args=[item.pk]),
        edit_data(item, title=""),
        HTTP_HX_TARGET="postmortem-actions",
        **HTMX,
    )
    assert response["HX-Retarget"] == f"#action-{item.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    assert "This field is required." in response.content.decode()
    item.refresh_from_db()
    assert item.title == "Old title"


def test_completing_from_the_postmortem_page_updates_the_section(author_client, postmortem):
    item = ActionItemFactory(postmortem=postmortem, title="Add canary", kind="mitigate")
    response = author_client.post(
        reverse("actions:status", args=[item.pk]),
        {"status": "done"},
        HTTP_HX_TARGET="postmortem-actions",
        **HTMX,
    )
    content = response.content.decode()
    assert "“Add canary” is done." in content
    assert 'data-status="done"' in content
    assert ">Reopen<" in content
    item.refresh_from_db()
    assert item.status == "done" and item.completed_at is not None


def test_the_sections_queries_do_not_grow_with_the_items(
    author_client, postmortem, django_assert_num_queries, django_assert_max_num_queries
):
    ActionItemFactory.create_batch(3, postmortem=postmortem)
    # The items with their owners, and the postmortem's co-authors (for who may edit).
    with django_assert_num_queries(2):
        assert len(postmortem_action_items(postmortem)) == 3
    # session, user, postmortem (incident, author), its co-authors, the items (owners), the
    # user's roles, the people to choose an owner from.
    with django_assert_max_num_queries(7) as few:
        author_client.get(_section_url(postmortem), **HTMX)
    ActionItemFactory.create_batch(40, postmortem=postmortem, owner=None, due_date=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = author_client.get(_section_url(postmortem), **HTMX)
    assert response.content.decode().count('class="action-item card') == 43
