import pytest

from postmortems.models import PostmortemTemplate
from postmortems.services import postmortem_create
from tests.factories import IncidentFactory


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
