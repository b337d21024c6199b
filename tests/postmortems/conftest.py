import pytest

from core.models import Role
from postmortems import review
from postmortems.models import PostmortemStatus as S
from postmortems.models import PostmortemTemplate
from postmortems.services import postmortem_create, postmortem_set_co_authors
from tests.factories import ActionItemFactory, IncidentFactory, UserFactory


@pytest.fixture
def standard_template(db):
    return PostmortemTemplate.objects.get(name="Standard blameless review")


@pytest.fixture
def postmortem(author, standard_template):
    """A postmortem started by `author` from the standard template (version 1)."""
    return postmortem_create(
        incident=IncidentFactory(title="Checkout outage"), author=author, template=standard_template
    )


def section_data(postmortem, **texts):
    """The edit form's POST data: every section as it is now, with some replaced."""
    return {"version": postmortem.version, **postmortem.section_texts(), **texts}


@pytest.fixture
def ready(postmortem, author):
    """A postmortem with its required sections written and one action item."""
    for field in ("summary", "impact", "what_happened"):
        setattr(postmortem, field, f"Written {field}.")
    postmortem.save()
    ActionItemFactory(postmortem=postmortem)
    return postmortem


@pytest.fixture
def people(author, reviewer):
    co_author = UserFactory(username="coauthor", roles=[Role.AUTHOR])
    return {
        "author": author,
        "co-author": co_author,
        "reviewer": reviewer,
        "other reviewer": UserFactory(username="reviewer2", roles=[Role.REVIEWER]),
        "reviewing co-author": UserFactory(username="rc", roles=[Role.REVIEWER]),
        "manager": UserFactory(username="boss", roles=[Role.MANAGER]),
        "outsider": UserFactory(username="nobody"),
        "staff": UserFactory(username="ops", is_staff=True),
    }


def in_state(postmortem, state, people):
    postmortem_set_co_authors(
        postmortem=postmortem,
        actor=people["author"],
        co_authors=[people["co-author"], people["reviewing co-author"]],
    )
    if state == S.DRAFT:
        return postmortem
    review.request_review(
        postmortem=postmortem, actor=people["author"], reviewers=[people["reviewer"]]
    )
    if state == S.CHANGES_REQUESTED:
        review.request_changes(postmortem=postmortem, actor=people["reviewer"], comment="Fix it")
    if state in (S.APPROVED, S.PUBLISHED):
        review.approve(postmortem=postmortem, actor=people["reviewer"])
    if state == S.PUBLISHED:
        review.publish(postmortem=postmortem, actor=people["author"])
    postmortem.refresh_from_db()
    assert postmortem.status == state
    return postmortem
