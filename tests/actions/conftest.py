import pytest

from tests.factories import PostmortemFactory


@pytest.fixture
def postmortem(author):
    """A postmortem written by the ``author`` fixture."""
    return PostmortemFactory(author=author)


def new_item_data(**fields) -> dict:
    """POST data for the add form (its fields carry the ``new-action`` prefix)."""
    data = {
        "title": "Validate config units at deploy time",
        "kind": "prevent",
        "owner": "",
        "priority": "P2",
        "due_date": "",
        "tracker_url": "",
        "description": "",
        **fields,
    }
    return {f"new-action-{name}": value for name, value in data.items()}


def edit_data(item, **fields) -> dict:
    """POST data for an item's edit form, as loaded, with ``fields`` changed."""
    data = {
        "title": item.title,
        "kind": item.kind,
        "owner": item.owner_id or "",
        "priority": item.priority,
        "status": item.status,
        "due_date": item.due_date.isoformat() if item.due_date else "",
        "reason": "",
        "tracker_url": item.tracker_url,
        "description": item.description,
        "resolution_note": item.resolution_note,
        "version": item.updated_at.isoformat(),
        **fields,
    }
    return {f"action-{item.pk}-{name}": value for name, value in data.items()}
