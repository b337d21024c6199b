"""Contributing factors: the taxonomy, the links to the timeline, the bounds of a description,
who may change them and when (the postmortem's editing rules), and what readers see."""

import pytest
from django.urls import reverse

from postmortems.factors import FactorRefused, factor_add, factor_remove, factor_update
from postmortems.models import ContributingFactor, FactorCategory
from postmortems.models import PostmortemStatus as S
from postmortems.services import DocumentFrozen
from tests.factories import ContributingFactorFactory, TimelineEntryFactory
from tests.postmortems.conftest import in_state

pytestmark = pytest.mark.django_db


def _category(name):
    return FactorCategory.objects.get(name=name)


def _url(postmortem, name="factors", *args):
    return reverse(f"postmortems:{name}", args=[postmortem.incident.reference, *args])


@pytest.fixture
def entries(postmortem):
    incident = postmortem.incident
    return [
        TimelineEntryFactory(incident=incident, kind="detection", body="Error rate alert fired."),
        TimelineEntryFactory(incident=incident, kind="action", body="Rolled back the config."),
    ]


def _form(category, description="Timeouts were read as seconds", entries=()):
    return {
        "category": category.pk,
        "description": description,
        "timeline_entries": [entry.pk for entry in entries],
    }


# The taxonomy ----------------------------------------------------------------------------------


def test_the_default_taxonomy_has_five_categories_with_sub_categories():
    tops = FactorCategory.objects.filter(parent=None)
    assert list(tops.values_list("name", flat=True)) == [
        "Technical",
        "Process",
        "Human factors / coordination",
        "External dependency",
        "Detection",
    ]
    assert set(
        _category("Human factors / coordination").children.values_list("name", flat=True)
    ) == {"Communication", "Handoffs", "Unclear ownership", "Workload / fatigue"}
    assert all(top.children.exists() for top in tops)


def test_the_form_offers_categories_grouped_under_their_parent(author_client, postmortem):
    page = author_client.get(_url(postmortem)).content.decode()
    assert '<optgroup label="Detection">' in page
    assert "Detection (general)" in page
    assert "Missing alert" in page


def test_retired_categories_are_not_offered_but_old_factors_keep_them(
    author_client, postmortem, author
):
    retired = _category("Capacity")
    factor = ContributingFactorFactory(postmortem=postmortem, category=retired)
    retired.is_active = False
    retired.save()

    page = author_client.get(_url(postmortem)).content.decode()
    add_form = page.split('id="add-factor-heading"')[1]
    assert "Capacity" not in add_form
    assert (
        "Technical › Capacity" in author_client.get(postmortem.get_absolute_url()).content.decode()
    )

    response = author_client.post(_url(postmortem), _form(retired))
    assert response.status_code == 200
    assert "Choose one of the categories offered." in response.content.decode()
    with pytest.raises(FactorRefused, match="retired"):
        factor_add(postmortem=postmortem, actor=author, category=retired, description="Full disk")

    # Editing the old factor keeps its category choosable.
    response = author_client.post(
        _url(postmortem, "factor-edit", factor.pk), _form(retired, "Disk filled up at night")
    )
    assert response.status_code == 302
    factor.refresh_from_db()
    assert (factor.category, factor.description) == (retired, "Disk filled up at night")


def test_a_retired_top_level_category_retires_its_sub_categories(author_client, postmortem):
    process = _category("Process")
    process.is_active = False
    process.save()
    add_form = author_client.get(_url(postmortem)).content.decode().split("add-factor-heading")[1]
    assert "Change management" not in add_form and "Process" not in add_form


def test_categories_have_two_levels_only():
    from django.core.exceptions import ValidationError

    nested = FactorCategory(name="Too deep", parent=_category("Software defect"))
    with pytest.raises(ValidationError, match="two levels"):
        nested.full_clean()


# Adding, with links to the timeline ------------------------------------------------------------


def test_an_author_adds_a_factor_linked_to_two_timeline_entries(author_client, postmortem, entries):
    response = author_client.post(
        _url(postmortem), _form(_category("Missing alert"), entries=entries)
    )
    assert response.status_code == 302
    factor = postmortem.factors.get()
    assert factor.category.name == "Missing alert"
    assert factor.description == "Timeouts were read as seconds"
    assert set(factor.timeline_entries.all()) == set(entries)
    assert postmortem.changes.filter(description__contains="Added the contributing factor").exists()

    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "Detection › Missing alert" in page
    for entry in entries:
        assert f'href="#entry-{entry.pk}"' in page
        assert f'id="entry-{entry.pk}"' in page


def test_entries_of_another_incident_are_refused(author_client, postmortem, author, entries):
    stranger = TimelineEntryFactory(body="Someone else's incident")
    response = author_client.post(
        _url(postmortem), _form(_category("Handoffs"), entries=[entries[0], stranger])
    )
    assert response.status_code == 200
    assert "Choose entries of this incident" in response.content.decode()
    assert not postmortem.factors.exists()
    with pytest.raises(FactorRefused, match="timeline of"):
        factor_add(
            postmortem=postmortem,
            actor=author,
            category=_category("Handoffs"),
            description="Pager handoff lost context",
            timeline_entries=[stranger],
        )


def test_deleted_entries_cannot_be_linked(postmortem, author, entries):
    from django.utils import timezone

    entries[0].deleted_at = timezone.now()
    entries[0].save()
    with pytest.raises(FactorRefused):
        factor_add(
            postmortem=postmortem,
            actor=author,
            category=_category("Handoffs"),
            description="Pager handoff lost context",
            timeline_entries=[entries[0]],
        )


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ("", "Describe the factor in a few words."),
        ("ab", "at least 3 characters"),
        ("x" * 301, "Keep the description under 300 characters (it has 301)"),
    ],
)
def test_descriptions_are_bounded(author_client, postmortem, description, message):
    response = author_client.post(_url(postmortem), _form(_category("Handoffs"), description))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not postmortem.factors.exists()


def test_the_service_bounds_descriptions_too(postmortem, author):
    for text in ("  a ", "y" * 301):
        with pytest.raises(FactorRefused):
            factor_add(
                postmortem=postmortem,
                actor=author,
                category=_category("Handoffs"),
                description=text,
            )


# Changing and removing -------------------------------------------------------------------------


def test_an_author_changes_and_removes_a_factor(author_client, postmortem, entries):
    factor = ContributingFactorFactory(postmortem=postmortem, timeline_entries=[entries[0]])
    response = author_client.post(
        _url(postmortem, "factor-edit", factor.pk),
        _form(_category("Communication"), "Status updates went to the wrong channel", entries[1:]),
    )
    assert response.status_code == 302
    factor.refresh_from_db()
    assert factor.category.name == "Communication"
    assert list(factor.timeline_entries.all()) == [entries[1]]

    response = author_client.post(_url(postmortem, "factor-remove", factor.pk))
    assert response.status_code == 302
    assert not ContributingFactor.objects.exists()
    assert postmortem.changes.filter(description__startswith="Removed the contributing").exists()


def test_the_edit_page_carries_the_factor_editor(author_client, postmortem, entries):
    page = author_client.get(_url(postmortem, "edit")).content.decode()
    assert 'id="add-factor-heading"' in page
    assert "Error rate alert fired." in page  # the entries offered, by time, kind and text
    response = author_client.post(
        _url(postmortem), {**_form(_category("Handoffs")), "return_to": "edit"}
    )
    assert response.url == _url(postmortem, "edit") + "#factors"


# Who may, and when -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("author", True),
        ("co-author", True),
        ("reviewer", True),
        ("staff", True),
        ("manager", False),
        ("outsider", False),
    ],
)
def test_only_editors_change_factors(make_client, postmortem, people, who, allowed):
    postmortem = in_state(postmortem, S.DRAFT, people)
    factor = ContributingFactorFactory(postmortem=postmortem)
    client = make_client(people[who])
    add = client.post(_url(postmortem), _form(_category("Handoffs")))
    edit = client.post(
        _url(postmortem, "factor-edit", factor.pk), _form(_category("Handoffs"), "Changed text")
    )
    remove = client.post(_url(postmortem, "factor-remove", factor.pk))
    if allowed:
        assert (add.status_code, edit.status_code, remove.status_code) == (302, 302, 302)
    else:
        assert {add.status_code, edit.status_code, remove.status_code} == {403}
        factor.refresh_from_db()
        assert factor.description == "The retry loop had no upper bound."
        assert postmortem.factors.count() == 1
    with pytest.raises(FactorRefused) if not allowed else _no_error():
        factor_add(
            postmortem=postmortem,
            actor=people[who],
            category=_category("Handoffs"),
            description="Via the service",
        )


class _no_error:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_an_approved_postmortem_freezes_its_factors(author_client, ready, people):
    postmortem = in_state(ready, S.APPROVED, people)
    factor = ContributingFactorFactory(postmortem=postmortem)
    page = author_client.get(_url(postmortem)).content.decode()
    assert "frozen" in page and 'id="add-factor-heading"' not in page
    response = author_client.post(_url(postmortem), _form(_category("Handoffs")))
    assert "frozen" in response.content.decode()
    with pytest.raises(DocumentFrozen):
        factor_remove(factor=factor, actor=people["author"])
    assert postmortem.factors.count() == 1


def test_after_publishing_factors_change_only_within_an_amendment(ready, people):
    from postmortems import amendments

    postmortem = in_state(ready, S.PUBLISHED, people)
    author = people["author"]
    with pytest.raises(DocumentFrozen, match="start an amendment"):
        factor_add(
            postmortem=postmortem, actor=author, category=_category("Handoffs"), description="Late"
        )
    amendment = amendments.start_amendment(
        postmortem=postmortem, actor=author, reason="We found a handoff problem"
    )
    factor = factor_add(
        postmortem=postmortem,
        actor=author,
        category=_category("Handoffs"),
        description="Context was lost at the shift change",
    )
    factor_update(
        factor=factor,
        actor=author,
        category=_category("Handoffs"),
        description="Context was lost at the 18:00 shift change",
    )
    recorded = list(amendment.changes.values_list("description", flat=True))
    assert len(recorded) == 2
    assert all("contributing factor" in text for text in recorded)


def test_readers_of_a_published_postmortem_see_factor_changes_once_the_amendment_is_approved(
    make_client, ready, people
):
    from postmortems import amendments

    postmortem = in_state(ready, S.PUBLISHED, people)
    reader = make_client(people["outsider"])
    amendment = amendments.start_amendment(
        postmortem=postmortem, actor=people["author"], reason="A factor was missing"
    )
    factor_add(
        postmortem=postmortem,
        actor=people["author"],
        category=_category("Unclear ownership"),
        description="Nobody owned the payments config repository",
    )
    assert "Nobody owned" not in reader.get(postmortem.get_absolute_url()).content.decode()
    postmortem.refresh_from_db()
    amendments.approve_amendment(
        amendment=amendment,
        actor=people["other reviewer"],
        seen_version=postmortem.content_version,
    )
    page = reader.get(postmortem.get_absolute_url()).content.decode()
    assert "Human factors / coordination › Unclear ownership" in page
    assert "Nobody owned the payments config repository" in page


def test_readers_see_factors_on_the_review_page(make_client, ready, people, entries):
    postmortem = in_state(ready, S.IN_REVIEW, people)
    ContributingFactorFactory(postmortem=postmortem, timeline_entries=entries)
    client = make_client(people["outsider"])
    review_page = client.get(_url(postmortem, "review")).content.decode()
    assert "The retry loop had no upper bound." in review_page
    assert f"{postmortem.incident.get_absolute_url()}#entry-{entries[0].pk}" in review_page
    assert "Add or change factors" not in review_page  # an outsider may not


def test_factor_changes_are_listed_in_the_history(author_client, postmortem, author):
    factor_add(
        postmortem=postmortem,
        actor=author,
        category=_category("Runbooks / documentation"),
        description="The failover runbook predates the new cluster",
    )
    page = author_client.get(_url(postmortem, "history")).content.decode()
    assert (
        "Added the contributing factor “The failover runbook predates the new cluster” "
        "(Process › Runbooks / documentation)"
    ) in page


@pytest.mark.parametrize("name", ["detail", "factors", "edit", "review"])
def test_pages_with_factors_run_the_same_queries_for_few_and_many(
    author_client, postmortem, name, django_assert_max_num_queries
):
    def grow(count):
        for n in range(count):
            entries = TimelineEntryFactory.create_batch(2, incident=postmortem.incident)
            ContributingFactorFactory(
                postmortem=postmortem,
                category=FactorCategory.objects.filter(parent__isnull=False)[n % 5],
                timeline_entries=entries,
            )

    url = postmortem.get_absolute_url() if name == "detail" else _url(postmortem, name)
    grow(1)
    with django_assert_max_num_queries(19) as few:
        assert author_client.get(url).status_code == 200
    grow(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = author_client.get(url).content.decode()
    assert page.count('class="factor-description"') == 16
