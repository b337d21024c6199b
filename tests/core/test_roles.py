from django.contrib.auth.models import Group

from core.models import Role
from tests.factories import UserFactory


def test_the_three_role_groups_exist_after_migrating(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {"Author", "Reviewer", "Manager"}


def test_a_user_can_hold_several_roles(db):
    user = UserFactory(roles=[Role.REVIEWER, Role.MANAGER])
    assert user.is_reviewer and user.is_manager
    assert not user.has_role(Role.AUTHOR)
