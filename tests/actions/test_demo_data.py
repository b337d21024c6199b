import pytest
from django.core.management import call_command
from django.utils import timezone

from actions.models import ActionItem, ActionItemChange

pytestmark = pytest.mark.django_db


def test_demo_data_includes_action_items_some_overdue_some_done_and_loads_once(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    items = ActionItem.objects.all()
    counts = (items.count(), ActionItemChange.objects.count())
    call_command("seed_demo")
    assert (ActionItem.objects.count(), ActionItemChange.objects.count()) == counts

    today = timezone.localdate()
    assert items.overdue(today).count() >= 2
    assert items.filter(status="done").exists()
    assert items.filter(status="wont_do").exclude(resolution_note="").exists()
    checkout = "Checkout failures after payments config deploy"
    assert items.filter(postmortem__incident__title=checkout).count() == 6
    moved = ActionItemChange.objects.get(field="due_date")
    assert moved.reason
