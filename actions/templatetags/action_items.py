from django import template

from actions.forms import ActionItemForm
from actions.models import can_add_action_items, local_today
from postmortems.services import document_change_refusal

register = template.Library()


@register.filter
def editable_by(item, user) -> bool:
    """``{% if item|editable_by:user %}``: the owner, the postmortem's writers, managers, staff."""
    return item.can_edit(user)


@register.filter
def may_add_action_items(postmortem, user) -> bool:
    """Adding an item changes the postmortem's text: not while it is frozen."""
    return can_add_action_items(postmortem, user) and not document_change_refusal(postmortem)


@register.simple_tag
def new_action_item_form():
    """A blank add form, for pages that include the postmortem's action items without one."""
    return ActionItemForm(today=local_today())
