from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from incidents import services
from incidents.models import IncidentChange, IncidentField, IncidentLink, LinkKind
from tests.factories import ActionItemFactory, IncidentFactory, PostmortemFactory

pytestmark = pytest.mark.django_db


def _add(client, incident, reference, kind=LinkKind.RELATED):
    return client.post(
        reverse("incidents:link-create", args=[incident.reference]),
        {"link-kind": kind, "link-reference": reference},
    )


def test_a_link_shows_on_both_pages_with_its_wording_and_in_both_histories(author_client):
    earlier, later = IncidentFactory(), IncidentFactory()
    response = _add(author_client, later, earlier.reference.lower(), LinkKind.RECURRENCE)
    assert response.status_code == 302

    later_page = author_client.get(later.get_absolute_url()).content.decode()
    earlier_page = author_client.get(earlier.get_absolute_url()).content.decode()
    assert "Recurrence of" in later_page and earlier.reference in later_page
    assert "Recurred as" in earlier_page and later.reference in earlier_page
    assert list(
        IncidentChange.objects.filter(field=IncidentField.LINKS)
        .order_by("incident__number")
        .values_list("incident", "new_value")
    ) == [
        (earlier.pk, f"recurred as {later.reference}"),
        (later.pk, f"recurrence of {earlier.reference}"),
    ]


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("SELF", "An incident cannot be linked to itself."),
        ("INC-999999", "No incident has the reference INC-999999."),
        ("not a reference", "No incident has the reference not a reference."),
        ("INC-99999999999999", "No incident has the reference INC-99999999999999."),
        ("", "This field is required."),
    ],
)
def test_a_bad_reference_is_a_form_error_not_a_500(author_client, reference, message):
    incident = IncidentFactory()
    typed = incident.reference if reference == "SELF" else reference
    response = _add(author_client, incident, typed)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IncidentLink.objects.exists()


def test_a_bad_kind_is_a_form_error(author_client):
    incident, other = IncidentFactory(), IncidentFactory()
    assert _add(author_client, incident, other.reference, kind="cause of").status_code == 400
    assert not IncidentLink.objects.exists()


@pytest.mark.parametrize("reverse_direction", [False, True])
def test_the_same_link_twice_is_refused_whichever_way_it_points(author_client, reverse_direction):
    first, second = IncidentFactory(), IncidentFactory()
    _add(author_client, first, second.reference, LinkKind.DUPLICATE)
    source, target = (second, first) if reverse_direction else (first, second)
    response = _add(author_client, source, target.reference, LinkKind.DUPLICATE)
    assert response.status_code == 400
    assert "already linked as “duplicate of”" in response.content.decode()
    assert IncidentLink.objects.count() == 1
    # Another kind between the same pair is a different link.
    assert _add(author_client, source, target.reference, LinkKind.RELATED).status_code == 302


def test_the_database_refuses_self_links_and_duplicate_pairs(author):
    first, second = IncidentFactory(), IncidentFactory()
    IncidentLink.objects.create(
        kind=LinkKind.RELATED, from_incident=first, to_incident=second, created_by=author
    )
    for source, target in ((first, first), (second, first)):
        with pytest.raises(IntegrityError), transaction.atomic():
            IncidentLink.objects.create(
                kind=LinkKind.RELATED, from_incident=source, to_incident=target, created_by=author
            )


def test_only_those_who_may_edit_the_incident_add_or_remove_links(
    outsider, make_client, author_client
):
    incident, other = IncidentFactory(), IncidentFactory()
    outsider_client = make_client(outsider)
    assert _add(outsider_client, incident, other.reference).status_code == 403
    _add(author_client, incident, other.reference)
    link = IncidentLink.objects.get()
    delete = reverse("incidents:link-delete", args=[other.reference, link.pk])
    assert outsider_client.post(delete).status_code == 403
    assert IncidentLink.objects.exists()


def test_removing_a_link_from_either_page_records_it_in_both_histories(author_client):
    incident, other = IncidentFactory(), IncidentFactory()
    _add(author_client, incident, other.reference, LinkKind.DUPLICATE)
    link = IncidentLink.objects.get()
    response = author_client.post(reverse("incidents:link-delete", args=[other.reference, link.pk]))
    assert response.status_code == 302
    assert not IncidentLink.objects.exists()
    removed = IncidentChange.objects.filter(field=IncidentField.LINKS, new_value="")
    assert sorted(removed.values_list("old_value", flat=True)) == [
        f"duplicate of {other.reference}",
        f"duplicated by {incident.reference}",
    ]


def test_a_link_of_another_incident_cannot_be_removed_through_this_one(author_client, author):
    first, second, third = IncidentFactory(), IncidentFactory(), IncidentFactory()
    link = services.incident_link_create(
        from_incident=first, to_incident=second, kind=LinkKind.RELATED, actor=author
    )
    url = reverse("incidents:link-delete", args=[third.reference, link.pk])
    assert author_client.post(url).status_code == 404


# Recurred despite completed actions ----------------------------------------------------------


def _recurrence(author, *, item_statuses, completed_offsets):
    """An earlier incident whose postmortem has items in these statuses, done these hours
    before (negative) or after the recurrence started, and its recurrence."""
    earlier = IncidentFactory()
    later = IncidentFactory(started_at=earlier.started_at + timedelta(days=30))
    postmortem = PostmortemFactory(incident=earlier, status="published")
    for status, offset in zip(item_statuses, completed_offsets, strict=True):
        ActionItemFactory(
            postmortem=postmortem,
            status=status,
            completed_at=later.started_at + timedelta(hours=offset) if status == "done" else None,
        )
    services.incident_link_create(
        from_incident=later, to_incident=earlier, kind=LinkKind.RECURRENCE, actor=author
    )
    return earlier, later


@pytest.mark.parametrize(
    ("statuses", "offsets", "despite"),
    [
        (["done", "done"], [-48, -1], True),
        # One item was done only after the recurrence started: the fixes were not all in.
        (["done", "done"], [-48, 2], False),
        (["done", "in_progress"], [-48, None], False),
        (["done", "wont_do"], [-48, None], False),
        ([], [], False),  # no action items: nothing was completed
    ],
)
def test_recurred_despite_completed_actions_shows_on_both_pages(
    author, author_client, statuses, offsets, despite
):
    earlier, later = _recurrence(author, item_statuses=statuses, completed_offsets=offsets)
    for incident in (earlier, later):
        page = author_client.get(incident.get_absolute_url()).content.decode()
        assert ("Recurred despite completed actions" in page) is despite


def test_only_recurrences_can_recur_despite_completed_actions(author, author_client):
    earlier = IncidentFactory()
    later = IncidentFactory(started_at=earlier.started_at + timedelta(days=30))
    postmortem = PostmortemFactory(incident=earlier, status="published")
    ActionItemFactory(
        postmortem=postmortem, status="done", completed_at=earlier.started_at + timedelta(days=1)
    )
    services.incident_link_create(
        from_incident=later, to_incident=earlier, kind=LinkKind.RELATED, actor=author
    )
    page = author_client.get(later.get_absolute_url()).content.decode()
    assert "Recurred despite completed actions" not in page


@pytest.mark.parametrize("count", [2, 20])
def test_incident_page_query_count_does_not_grow_with_links(
    count, author, author_client, django_assert_max_num_queries
):
    incident = IncidentFactory()
    for n in range(count):
        other = IncidentFactory()
        if n % 2:
            services.incident_link_create(
                from_incident=incident, to_incident=other, kind=LinkKind.RECURRENCE, actor=author
            )
        else:
            services.incident_link_create(
                from_incident=other, to_incident=incident, kind=LinkKind.RELATED, actor=author
            )
    # As the page without links (test_timeline), plus one for the links both ways (with the
    # other incidents, who linked them and whether each recurred despite completed actions).
    with django_assert_max_num_queries(14):
        response = author_client.get(incident.get_absolute_url())
    assert response.content.decode().count('class="mb-2 incident-link"') == count


@pytest.mark.django_db(transaction=True)
def test_linking_commits_the_link_and_both_history_entries(author_client, author):
    # Its creator may edit it whatever the roles (transactional tests flush the role groups).
    incident, other = IncidentFactory(created_by=author), IncidentFactory()
    assert _add(author_client, incident, other.reference).status_code == 302
    assert IncidentLink.objects.count() == 1
    assert IncidentChange.objects.filter(field=IncidentField.LINKS).count() == 2
