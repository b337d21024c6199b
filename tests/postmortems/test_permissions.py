import pytest
from django.urls import reverse

from core.models import Role
from tests.factories import UserFactory
from tests.postmortems.conftest import section_data

pytestmark = pytest.mark.django_db


def _urls(postmortem):
    ref = postmortem.incident.reference
    return {
        "detail": reverse("postmortems:detail", args=[ref]),
        "edit": reverse("postmortems:edit", args=[ref]),
        "section": reverse("postmortems:edit-section", args=[ref, "summary"]),
        "history": reverse("postmortems:history", args=[ref]),
        "export": reverse("postmortems:export", args=[ref]),
        "people": reverse("postmortems:people", args=[ref]),
        "list": reverse("postmortems:list"),
        "start": reverse("postmortems:start", args=[ref]),
    }


def test_anonymous_users_are_sent_to_sign_in(client, postmortem):
    for name, url in _urls(postmortem).items():
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url, name
    response = client.post(_urls(postmortem)["edit"], section_data(postmortem, summary="x"))
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.summary != "x"


def test_everyone_signed_in_may_read_once_it_leaves_draft(make_client, postmortem, outsider):
    client = make_client(outsider)
    postmortem.status = "in_review"
    postmortem.save()
    for name in ("detail", "history", "export", "list"):
        assert client.get(_urls(postmortem)[name]).status_code == 200, name
    assert b">Edit<" not in client.get(_urls(postmortem)["detail"]).content


@pytest.mark.parametrize("who", ["outsider", "manager"])
def test_a_draft_is_read_only_by_its_writers_reviewers_and_staff(
    who, make_client, postmortem, request
):
    client = make_client(request.getfixturevalue(who))
    for name in ("detail", "history", "export"):
        response = client.get(_urls(postmortem)[name])
        assert response.status_code == 403, name
    assert "still a draft" in client.get(_urls(postmortem)["detail"]).content.decode()
    assert postmortem.incident.title not in client.get(_urls(postmortem)["list"]).content.decode()
    for reader in (UserFactory(roles=[Role.REVIEWER]), UserFactory(is_staff=True)):
        assert make_client(reader).get(_urls(postmortem)["detail"]).status_code == 200


@pytest.mark.parametrize("who", ["author", "co-author", "reviewer", "staff"])
def test_writers_reviewers_and_staff_may_edit(who, make_client, author, postmortem):
    editor = {
        "author": author,
        "co-author": UserFactory(),
        "reviewer": UserFactory(roles=[Role.REVIEWER]),
        "staff": UserFactory(is_staff=True),
    }[who]
    if who == "co-author":
        postmortem.co_authors.add(editor)
    response = make_client(editor).post(
        _urls(postmortem)["edit"], section_data(postmortem, summary=f"by {who}")
    )
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.summary == f"by {who}"


@pytest.mark.parametrize("roles", [[], [Role.AUTHOR], [Role.MANAGER]])
def test_others_may_not_edit(roles, make_client, postmortem):
    client = make_client(UserFactory(roles=roles))
    assert client.get(_urls(postmortem)["edit"]).status_code == 403
    assert client.get(_urls(postmortem)["section"]).status_code == 403
    response = client.post(_urls(postmortem)["edit"], section_data(postmortem, summary="hijack"))
    assert response.status_code == 403
    postmortem.refresh_from_db()
    assert postmortem.summary != "hijack"


def test_only_the_author_or_staff_choose_co_authors(make_client, author, reviewer, postmortem):
    url = _urls(postmortem)["people"]
    assert make_client(reviewer).post(url, {"co_authors": [reviewer.pk]}).status_code == 403
    assert make_client(author).post(url, {"co_authors": [reviewer.pk]}).status_code == 302
    assert list(postmortem.co_authors.all()) == [reviewer]


def test_someone_without_a_role_cannot_start_a_postmortem(make_client, outsider, standard_template):
    from tests.factories import IncidentFactory

    incident = IncidentFactory()
    client = make_client(outsider)
    url = reverse("postmortems:start", args=[incident.reference])
    assert client.post(url, {"template": standard_template.pk}).status_code == 403
