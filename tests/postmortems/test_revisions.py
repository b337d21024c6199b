import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.postmortems.conftest import section_data

pytestmark = pytest.mark.django_db


def _edit_url(postmortem):
    return reverse("postmortems:edit", args=[postmortem.incident.reference])


def test_every_save_makes_a_revision_recording_who_and_what_changed(
    author_client, author, postmortem
):
    response = author_client.post(
        _edit_url(postmortem), section_data(postmortem, summary="The cache expired.")
    )
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.version == 2
    assert postmortem.summary_html == "<p>The cache expired.</p>"
    revision = postmortem.revisions.get(number=2)
    assert revision.author == author
    assert revision.changed_sections == ["summary"]
    assert revision.content["summary"] == "The cache expired."
    page = author_client.get(response.url).content.decode()
    assert "Saved as version 2." in page


def test_saving_without_changes_makes_no_revision(author_client, postmortem):
    response = author_client.post(_edit_url(postmortem), section_data(postmortem))
    assert response.status_code == 302
    assert postmortem.revisions.count() == 1
    assert "No changes to save." in author_client.get(response.url).content.decode()


def test_a_single_section_can_be_edited_alone(author_client, postmortem):
    postmortem.summary = "Written before."
    postmortem.save()
    url = reverse("postmortems:edit-section", args=[postmortem.incident.reference, "impact"])
    page = author_client.get(url).content.decode()
    assert 'name="impact"' in page and 'name="summary"' not in page
    author_client.post(url, {"version": postmortem.version, "impact": "All EU customers."})
    postmortem.refresh_from_db()
    assert postmortem.impact == "All EU customers."
    assert postmortem.summary == "Written before."  # untouched


def test_an_unknown_section_is_not_found(author_client, postmortem):
    url = reverse("postmortems:edit-section", args=[postmortem.incident.reference, "nonsense"])
    assert author_client.get(url).status_code == 404


def test_history_lists_revisions_and_shows_a_readable_diff(author_client, postmortem):
    author_client.post(
        _edit_url(postmortem), section_data(postmortem, summary="The cache expired early.")
    )
    postmortem.refresh_from_db()
    author_client.post(
        _edit_url(postmortem), section_data(postmortem, summary="The cache expired late.")
    )
    history = author_client.get(
        reverse("postmortems:history", args=[postmortem.incident.reference])
    )
    assert [r.number for r in history.context["page"].object_list] == [3, 2, 1]

    diff = author_client.get(
        reverse("postmortems:compare", args=[postmortem.incident.reference]), {"from": 2, "to": 3}
    ).content.decode()
    assert "<del>early</del>" in diff
    assert "<ins>late</ins>" in diff
    assert "Summary" in diff


def test_diff_escapes_html_typed_in_a_section(author_client, postmortem):
    author_client.post(
        _edit_url(postmortem), section_data(postmortem, summary="<script>x()</script>")
    )
    diff = author_client.get(
        reverse("postmortems:compare", args=[postmortem.incident.reference]), {"from": 1, "to": 2}
    ).content.decode()
    assert "<script>x()" not in diff
    assert "&lt;script&gt;x()&lt;/script&gt;" in diff


def test_comparing_a_missing_revision_is_not_found(author_client, postmortem):
    url = reverse("postmortems:compare", args=[postmortem.incident.reference])
    assert author_client.get(url, {"from": 1, "to": 9}).status_code == 404
    assert author_client.get(url, {"from": "x"}).status_code == 302


def test_restoring_a_revision_makes_a_new_revision(author_client, author, postmortem):
    author_client.post(_edit_url(postmortem), section_data(postmortem, summary="Good text"))
    postmortem.refresh_from_db()
    author_client.post(_edit_url(postmortem), section_data(postmortem, summary="Vandalised"))
    response = author_client.post(
        reverse("postmortems:restore", args=[postmortem.incident.reference, 2])
    )
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.summary == "Good text" and postmortem.version == 4
    restore = postmortem.revisions.get(number=4)
    assert restore.note == "Restored revision 2" and restore.author == author
    assert "Revision 2 restored as version 4." in author_client.get(response.url).content.decode()


def test_restoring_the_current_text_changes_nothing_and_says_so(author_client, postmortem):
    response = author_client.post(
        reverse("postmortems:restore", args=[postmortem.incident.reference, 1]), follow=True
    )
    assert "nothing to restore" in response.content.decode()
    assert postmortem.revisions.count() == 1


def test_restore_needs_a_post_and_edit_rights(make_client, postmortem):
    url = reverse("postmortems:restore", args=[postmortem.incident.reference, 1])
    reader = make_client(UserFactory())
    assert reader.get(url).status_code == 405
    assert reader.post(url).status_code == 403


def test_history_names_changed_sections_by_their_titles(author_client, postmortem):
    edit = _edit_url(postmortem)
    author_client.post(
        edit, section_data(postmortem, what_happened="Disk filled.", lessons_learned="Watch it.")
    )
    postmortem.revisions.filter(number=1).update(changed_sections=["retired_field"])
    page = author_client.get(
        reverse("postmortems:history", args=[postmortem.incident.reference])
    ).content.decode()
    assert "What happened, Lessons learned" in page
    assert "what_happened" not in page and "lessons_learned" not in page
    assert "retired_field" in page  # a field no longer a section still says what changed
