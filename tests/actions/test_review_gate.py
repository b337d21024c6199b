"""What the approval step (issue 4) asks of action items before a postmortem may be approved."""

import pytest

from actions.selectors import approval_gate
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db


def approval_blockers(postmortem):
    return approval_gate(postmortem)[0]


def needs_no_actions_confirmation(postmortem):
    return approval_gate(postmortem)[1]


def test_nothing_blocks_when_every_item_has_an_active_owner_and_a_due_date():
    postmortem = PostmortemFactory()
    ActionItemFactory.create_batch(2, postmortem=postmortem)
    assert approval_blockers(postmortem) == []


def test_an_item_without_an_owner_blocks_approval_by_name():
    postmortem = PostmortemFactory()
    ActionItemFactory(postmortem=postmortem, title="Add canary", owner=None)
    assert approval_blockers(postmortem) == ["Action item “Add canary” has no owner."]


def test_an_item_whose_owner_was_deactivated_blocks_approval():
    postmortem = PostmortemFactory()
    leaver = UserFactory(first_name="Sam", last_name="Left", is_active=False)
    ActionItemFactory(postmortem=postmortem, title="Add canary", owner=leaver)
    [message] = approval_blockers(postmortem)
    assert "“Add canary”" in message
    assert "Sam Left" in message
    assert "deactivated" in message


def test_an_item_without_a_due_date_blocks_approval():
    postmortem = PostmortemFactory()
    ActionItemFactory(postmortem=postmortem, title="Add canary", due_date=None)
    assert approval_blockers(postmortem) == ["Action item “Add canary” has no due date."]


def test_an_item_missing_both_gets_both_messages():
    postmortem = PostmortemFactory()
    ActionItemFactory(postmortem=postmortem, title="Add canary", owner=None, due_date=None)
    assert approval_blockers(postmortem) == [
        "Action item “Add canary” has no owner.",
        "Action item “Add canary” has no due date.",
    ]


def test_items_already_closed_do_not_block():
    postmortem = PostmortemFactory()
    ActionItemFactory(postmortem=postmortem, owner=None, due_date=None, status="done")
    ActionItemFactory(postmortem=postmortem, owner=None, due_date=None, status="wont_do")
    assert approval_blockers(postmortem) == []


def test_other_postmortems_items_do_not_block():
    postmortem = PostmortemFactory()
    ActionItemFactory(owner=None)
    assert approval_blockers(postmortem) == []


def test_a_postmortem_without_action_items_asks_to_confirm_none_are_needed():
    postmortem = PostmortemFactory()
    assert needs_no_actions_confirmation(postmortem) is True
    ActionItemFactory(postmortem=postmortem, status="wont_do")
    assert needs_no_actions_confirmation(postmortem) is False


def test_the_gate_runs_one_query_however_many_items(django_assert_num_queries):
    postmortem = PostmortemFactory()
    ActionItemFactory.create_batch(3, postmortem=postmortem, owner=None)
    with django_assert_num_queries(1):
        assert len(approval_blockers(postmortem)) == 3
    ActionItemFactory.create_batch(20, postmortem=postmortem, due_date=None)
    with django_assert_num_queries(1):
        assert len(approval_blockers(postmortem)) == 23


def test_the_gate_answers_both_questions_in_one_query(django_assert_num_queries):
    postmortem = PostmortemFactory()
    leaver = UserFactory(first_name="Sam", last_name="Left", is_active=False)

    def gate():
        with django_assert_num_queries(1):
            return approval_gate(postmortem)

    assert gate() == ([], True)
    ActionItemFactory(postmortem=postmortem, title="Closed", owner=None, status="done")
    assert gate() == ([], False)
    ActionItemFactory(postmortem=postmortem, title="Fine")
    ActionItemFactory(postmortem=postmortem, title="Add canary", owner=None, due_date=None)
    ActionItemFactory(postmortem=postmortem, title="Left", owner=leaver, status="in_progress")
    ActionItemFactory(postmortem=postmortem, title="Undated", due_date=None)
    ActionItemFactory(owner=None)  # another postmortem's
    blockers, confirm = gate()
    assert len(blockers) == 4 and not confirm
