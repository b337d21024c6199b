"""core.forms.Select renders in Python exactly what Django's select templates render."""

from datetime import date

import pytest
from django import forms
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from actions.forms import ActionItemForm
from core.forms import Select
from tests.factories import UserFactory

CHOICES = [
    ("", "---------"),
    ("a", "Plain"),
    ("b&c", 'Quotes " and <tags> & ampersands'),
    ("d", gettext_lazy("Owner")),
    ("e", mark_safe("<b>Safe</b>")),
    ("f", "Non-ASCII: é “quoted”"),
]


def _both(choices, value, attrs=None, **widget_attrs):
    django = forms.Select(attrs=widget_attrs, choices=choices).render("field", value, attrs)
    ours = Select(attrs=widget_attrs, choices=choices).render("field", value, attrs)
    return django, ours


@pytest.mark.parametrize("value", [None, "", "a", "b&c", "e", "missing"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_choice_value_and_label_renders_as_django_renders_it(value, language):
    with translation.override(language):
        django, ours = _both(CHOICES, value, {"id": "id_field"}, **{"class": "form-select"})
    assert ours == django


@pytest.mark.parametrize(
    "attrs",
    [
        {},
        {"required": True, "disabled": False},
        {"data-x": '{"P1": "2026-01-01"}', "aria-describedby": "help"},
        {"data-safe": mark_safe("<ok>"), "data-number": 3},
    ],
)
def test_the_select_s_own_attributes_render_as_django_renders_them(attrs):
    django, ours = _both(CHOICES, "a", attrs)
    assert ours == django


def test_option_groups_and_other_labels_go_through_the_templates():
    grouped = [("Group", [("a", "A"), ("b", "B")]), ("c", "C")]
    assert _both(grouped, "a")[0] == _both(grouped, "a")[1]
    numbered = [(1, 1), (2, 2000)]
    assert _both(numbered, 1)[0] == _both(numbered, 1)[1]
    assert _both([], None)[0] == _both([], None)[1]


@pytest.mark.django_db
def test_the_add_action_item_form_is_unchanged():
    UserFactory(first_name="Ana", last_name="O'Neil")
    UserFactory(username="<script>")
    form = ActionItemForm(today=date(2026, 1, 5))
    for name in ("kind", "owner", "priority"):
        field = form[name]
        assert isinstance(field.field.widget, Select)
        # The same widget through Django's templates.
        django = forms.Select.render(
            field.field.widget, field.html_name, field.value(), {"id": field.auto_id}
        )
        assert (
            field.field.widget.render(field.html_name, field.value(), {"id": field.auto_id})
            == django
        )


def test_the_comment_form_s_section_select_is_unchanged():
    from postmortems.forms import CommentForm

    for language in ("en", "fr"):
        with translation.override(language):
            field = CommentForm()["section"]
            widget = field.field.widget
            assert isinstance(widget, Select)
            attrs = {"id": field.auto_id, "class": "select form-select"}
            django = forms.Select.render(widget, field.html_name, field.value(), attrs)
            assert widget.render(field.html_name, field.value(), attrs) == django
