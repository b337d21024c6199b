"""Each incident's similar incidents are ranked ahead of time and kept; the kept list is always
the one ranking it now would give, after every kind of write, once the worker has run."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from procrastinate.contrib.django import app

from incidents import services
from incidents.models import Incident, SimilarIncident, SimilarityChange
from incidents.similarity import rank_and_keep, similar_for_page, similar_incidents
from tests.factories import IncidentFactory, PostmortemFactory, ServiceFactory, UserFactory

TITLES_AND_SERVICES = [
    ("Payments timeout after config deploy", ["Payments"]),
    ("Card declines spike", ["Payments"]),
    ("Config deploy broke search", ["Search"]),
    ("Search index lag after deploy", ["Search", "Database"]),
    ("Database failover during deploy", ["Database"]),
    ("Replica lag on database primary", ["Database"]),
    ("Payments database connection pool exhausted", ["Payments", "Database"]),
    ("Office wifi flaky", []),
    ("Checkout timeout after payments deploy", ["Payments"]),
    ("Search results empty", ["Search"]),
    ("Disk full on database primary", ["Database"]),
    ("Timeout storm in checkout", []),
]


def _declare(staff, title, service_names, days_ago):
    return services.incident_create(
        created_by=staff,
        title=title,
        severity="SEV2",
        status="investigating",
        started_at=timezone.now() - timedelta(days=days_ago),
        customer_impact=f"Customers saw {title.lower()}.",
        services=[ServiceFactory(name=name) for name in service_names],
    )


def _hand_built(staff) -> list[Incident]:
    return [
        _declare(staff, title, names, days_ago=n + 1)
        for n, (title, names) in enumerate(TITLES_AND_SERVICES)
    ]


def _shown(similar: list[Incident]) -> list[tuple[str, list[str]]]:
    return [(other.reference, other.match_reasons) for other in similar]


def assert_every_kept_list_is_current():
    for incident in Incident.objects.all():
        kept = similar_for_page(incident)
        assert incident.similar_computed_at is not None, incident  # read from the kept rows
        assert kept.pending_since is None
        assert _shown(kept.incidents) == _shown(similar_incidents(incident)), incident


def _update(incident, staff, **facts):
    incident.refresh_from_db()
    services.incident_update(
        incident=incident, editor=staff, loaded_version=incident.updated_at.isoformat(), **facts
    )


@pytest.fixture
def ranked(db):
    """The hand-built set, every incident's list ranked and kept, no change pending."""
    staff = UserFactory(is_staff=True)
    incidents = _hand_built(staff)
    SimilarityChange.objects.all().delete()
    assert rank_and_keep(incident.pk for incident in incidents) == len(incidents)
    return staff, incidents


def test_the_kept_lists_are_the_lists_ranked_now_on_a_hand_built_set(ranked):
    _staff, incidents = ranked

    assert_every_kept_list_is_current()
    first = Incident.objects.get(pk=incidents[0].pk)
    assert _shown(similar_for_page(first).incidents) == [
        (
            incidents[8].reference,
            ["same services: Payments", "similar title", "shares words: deploy, payments, timeout"],
        ),
        (incidents[6].reference, ["same services: Payments", "shares words: payments"]),
        (incidents[2].reference, ["shares words: config, deploy"]),
        (incidents[3].reference, ["shares words: deploy"]),
        (incidents[11].reference, ["shares words: timeout"]),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_worker_keeps_every_list_current_after_every_kind_of_write(run_worker):
    staff = UserFactory(is_staff=True)
    incidents = _hand_built(staff)
    run_worker()  # the changes the declarations recorded
    assert not SimilarityChange.objects.exists()
    assert_every_kept_list_is_current()
    payments, search, database = incidents[0], incidents[2], incidents[5]
    wifi = incidents[7]

    writes = [
        lambda: _update(wifi, staff, title="Payments timeout after deploy of wifi config"),
        lambda: _update(database, staff, services=[ServiceFactory(name="Payments")]),
        lambda: _update(search, staff, customer_impact="Payments failed: card declines."),
        lambda: _update(payments, staff, started_at=timezone.now() - timedelta(days=30)),
        lambda: _declare(staff, "Payments timeout after config deploy again", ["Payments"], 0),
        lambda: services.incident_delete(incident=Incident.objects.get(pk=incidents[8].pk)),
    ]
    for write in writes:
        write()
        run_worker()
        assert not SimilarityChange.objects.exists()
        assert_every_kept_list_is_current()


def test_a_change_not_yet_processed_is_said_on_the_page(ranked, client):
    staff, incidents = ranked
    page = incidents[0].get_absolute_url()
    client.force_login(staff)
    assert "may not show here yet" not in client.get(page).content.decode()

    _update(incidents[3], staff, title="Checkout outage")

    content = client.get(page).content.decode()
    assert "Changes to incidents since" in content and "may not show here yet" in content


@pytest.mark.django_db
def test_a_change_similarity_does_not_weigh_records_nothing():
    staff = UserFactory(is_staff=True)
    incident = _declare(staff, "Card declines spike", ["Payments"], 1)
    SimilarityChange.objects.all().delete()

    _update(incident, staff, severity="SEV1", tags=["payments"])

    assert not SimilarityChange.objects.exists()


def test_deleting_an_incident_takes_it_out_of_every_list_at_once(ranked, client):
    _staff, incidents = ranked
    duplicate = incidents[8]
    listing = SimilarIncident.objects.filter(similar=duplicate).values_list("incident", flat=True)
    assert listing

    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:incidents_incident_delete", args=[duplicate.pk]), {"post": "yes"}
    )

    assert response.status_code == 302 and not Incident.objects.filter(pk=duplicate.pk).exists()
    for incident in Incident.objects.filter(pk__in=list(listing)):
        shown = similar_for_page(incident).incidents
        assert duplicate.reference not in dict(_shown(shown))
        assert _shown(shown) == _shown(similar_incidents(incident))


@pytest.mark.django_db
def test_an_incident_never_ranked_is_ranked_on_its_page(client):
    staff = UserFactory(is_staff=True)
    payments = ServiceFactory(name="Payments")
    incident = IncidentFactory(title="Payments timeout", services=[payments])
    IncidentFactory(title="Card declines", services=[payments])
    client.force_login(staff)

    content = client.get(incident.get_absolute_url()).content.decode()

    assert "Card declines" in content and "same services: Payments" in content


@pytest.mark.django_db
def test_pages_read_the_kept_list_in_one_query_whatever_the_number_of_incidents(
    client, django_assert_num_queries, django_assert_max_num_queries
):
    staff = UserFactory(is_staff=True)
    payments = ServiceFactory(name="Payments")
    incident = IncidentFactory(title="Payments timeout after deploy", services=[payments])
    postmortem = PostmortemFactory(incident=incident, status="published")
    client.force_login(staff)

    def grow_and_rank(count):
        for n in range(count):
            IncidentFactory(title=f"Payments deploy {n}", services=[payments])
        rank_and_keep(Incident.objects.values_list("pk", flat=True))
        incident.refresh_from_db()

    grow_and_rank(6)
    # The kept rows, with each one's shared services and the oldest unprocessed change.
    with django_assert_num_queries(1):
        assert len(similar_for_page(incident).incidents) == 5
    pages = [incident.get_absolute_url(), postmortem.get_absolute_url()]
    counts = {}
    for page in pages:
        # The postmortem page also reads its questionnaire (counts and invitation, one query)
        # and its contributing factors; the count must not grow below.
        with django_assert_max_num_queries(17) as few:
            content = client.get(page).content.decode()
        assert content.count('class="mb-2 similar-incident"') == 5
        counts[page] = len(few.captured_queries)

    grow_and_rank(60)
    for page in pages:
        with django_assert_num_queries(counts[page]):
            client.get(page)


@pytest.mark.django_db(transaction=True)
def test_the_periodic_job_ranks_the_lists_not_ranked_yet(run_worker):
    # Incidents from before the lists were kept (factories record no change): nothing ranked.
    payments = ServiceFactory(name="Payments")
    for title in ("Payments timeout", "Payments deploy failed", "Card declines", "Wifi flaky"):
        IncidentFactory(title=title, services=[payments] if "Wifi" not in title else [])
    [periodic] = [
        task
        for task in app.periodic_registry.periodic_tasks.values()
        if task.task.name == "incidents.refresh_similar_lists"
    ]
    assert periodic.cron == "* * * * *"

    app.configure_task("incidents.refresh_similar_lists").defer(timestamp=1)
    run_worker()

    assert_every_kept_list_is_current()


@pytest.mark.django_db
def test_the_command_ranks_the_incidents_not_ranked_or_those_named():
    staff = UserFactory(is_staff=True)
    incidents = _hand_built(staff)
    out = StringIO()

    call_command("rank_similar_incidents", incidents[0].reference, stdout=out)
    assert list(Incident.objects.filter(similar_computed_at__isnull=False)) == [incidents[0]]
    call_command("rank_similar_incidents", stdout=out)

    assert "Ranked 11 incident(s)" in out.getvalue()
    SimilarityChange.objects.all().delete()
    assert_every_kept_list_is_current()
    with pytest.raises(CommandError, match="INC-42"):
        call_command("rank_similar_incidents", "42")
