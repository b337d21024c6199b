"""What list rows show, made cheaply, is what it was: links made once for a page (core/links.py)
are those reverse() makes, and the labels read from a dict are get_FOO_display()'s."""

import pytest
from django.urls import reverse, set_script_prefix
from django.utils import translation

from actions.models import ActionItem, ActionKind, ActionStatus, Priority, with_links
from core.links import link_maker
from incidents.models import Incident, Status
from postmortems.models import Postmortem, PostmortemStatus
from tests.factories import ActionItemFactory


@pytest.mark.parametrize(
    ("viewname", "values"),
    [
        ("actions:detail", [1, 42, 1234567890]),
        ("actions:status", [7, 70135]),
        ("postmortems:detail", ["INC-1", "INC-98765"]),
        ("incidents:detail", ["INC-12"]),
    ],
)
def test_a_link_maker_makes_what_reverse_makes(viewname, values):
    make = link_maker(viewname)
    assert [make(value) for value in values] == [reverse(viewname, args=[v]) for v in values]


def test_a_link_maker_keeps_the_script_prefix():
    set_script_prefix("/hindsight/")
    try:
        assert link_maker("actions:detail")(5) == reverse("actions:detail", args=[5])
        assert link_maker("actions:detail")(5).startswith("/hindsight/")
    finally:
        set_script_prefix("/")


@pytest.mark.django_db
def test_rows_link_to_the_item_its_status_and_its_postmortem_made_once_or_not():
    item = ActionItemFactory()
    expected = (
        item.get_absolute_url(),
        reverse("actions:status", args=[item.pk]),
        item.postmortem.get_absolute_url(),
    )
    assert (item.link, item.status_link, item.postmortem_link) == expected
    [prepared] = with_links([item])
    assert prepared._links  # made once, not reversed again
    assert (prepared.link, prepared.status_link, prepared.postmortem_link) == expected


@pytest.mark.parametrize("language", ["en", "fr"])
def test_row_labels_are_what_get_foo_display_shows(language):
    cases = [
        (ActionItem, "status", ActionStatus, "status_label"),
        (ActionItem, "priority", Priority, "priority_label"),
        (ActionItem, "kind", ActionKind, "kind_label"),
        (Incident, "status", Status, "status_label"),
        (Postmortem, "status", PostmortemStatus, "status_label"),
    ]
    with translation.override(language):
        for model, field, choices, label in cases:
            for value in choices.values:
                row = model(**{field: value})
                shown = getattr(row, f"get_{field}_display")()
                assert str(getattr(row, label)) == shown, (model, value)
