import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem
from incidents.models import Incident, Severity, Tag
from postmortems.models import Postmortem
from tests.factories import ServiceFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

INSIGHTS = reverse("insights:index")


def test_signing_in_is_required(client):
    response = client.get(INSIGHTS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anyone_signed_in_may_see_the_insights(outsider, manager, make_client):
    for user in (outsider, manager):
        response = make_client(user).get(INSIGHTS)
        assert response.status_code == 200
        assert '<a class="nav-link active" aria-current="page" href="/insights/">Insights</a>' in (
            response.content.decode()
        )


def test_with_no_matching_incident_the_page_says_so_instead_of_drawing_charts(author_client):
    ServiceFactory(name="Checkout", slug="checkout")
    page = author_client.get(INSIGHTS).content.decode()
    assert "No incidents in the last twelve months." in page
    assert "<svg" not in page
    page = author_client.get(INSIGHTS, {"service": "checkout"}).content.decode()
    assert "No incident matches these filters." in page


def test_every_chart_is_an_svg_with_a_title_and_a_table_beneath(author_client):
    from tests.factories import IncidentFactory

    IncidentFactory(severity="SEV1", started_at=timezone.now() - timedelta(hours=3))
    page = author_client.get(INSIGHTS).content.decode()
    for name in (
        "incidents",
        "time_to_detect",
        "time_to_mitigate",
        "time_to_resolve",
        "postmortem_cycle",
        "action_items",
        "overdue",
        "services",
    ):
        assert f'aria-labelledby="chart-{name}-title chart-{name}-desc"' in page
        assert f'<title id="chart-{name}-title">' in page
    assert '<table class="table table-sm caption-top mb-2" id="table-incidents">' in page
    assert "style=" not in page and "<script>" not in page  # the CSP forbids them


def _bulk_data(count):
    """``count`` incidents over the last year, with services, tags, published postmortems and
    action items, created in bulk."""
    random.seed(count)
    user = UserFactory()
    services = [ServiceFactory(name=f"Service {n}") for n in range(5)]
    tag = TagFactory(name="deploy")
    now = timezone.now()
    incidents = Incident.objects.bulk_create(
        Incident(
            title=f"Incident {n}",
            severity=random.choice(Severity.values),
            status="resolved",
            started_at=(start := now - timedelta(days=random.randint(1, 360))),
            detected_at=start + timedelta(minutes=random.randint(1, 60)),
            mitigated_at=start + timedelta(minutes=random.randint(60, 120)),
            resolved_at=start + timedelta(minutes=random.randint(120, 600)),
            created_by=user,
        )
        for n in range(count)
    )
    Incident.services.through.objects.bulk_create(
        Incident.services.through(incident=incident, service=services[n % 5])
        for n, incident in enumerate(incidents)
    )
    Incident.tags.through.objects.bulk_create(
        Incident.tags.through(incident=incident, tag=tag) for incident in incidents[::3]
    )
    postmortems = Postmortem.objects.bulk_create(
        Postmortem(
            incident=incident,
            author=user,
            status="published",
            published_at=incident.resolved_at + timedelta(days=3),
        )
        for incident in incidents[::2]
    )
    ActionItem.objects.bulk_create(
        ActionItem(
            postmortem=postmortem,
            title="Do better",
            created_by=user,
            due_date=timezone.localdate() - timedelta(days=n % 200),
        )
        for n, postmortem in enumerate(postmortems)
    )


@pytest.mark.parametrize("count", [5, 500])
def test_the_page_runs_a_fixed_number_of_queries(
    count, author_client, django_assert_max_num_queries
):
    _bulk_data(count)
    params = {"service": "service-0", "tag": "deploy"}
    # session, user, the service and the tag looked up for the filters, the data version,
    # incidents per month and severity (and near miss) with all the percentiles, postmortem
    # cycle times, action items per month, the services ranking, recurrences despite completed
    # actions, every duration's distribution over the period, the questionnaire's answers per
    # month, contributing factors per month, per service and per team, then the teams,
    # services and tags listed in the filter form, and the bell's unread count.
    with django_assert_max_num_queries(19):
        response = author_client.get(INSIGHTS, params)
    assert response.context["incident_count"] > 0
    # Asked again with the data unchanged: the figures are kept, their seven queries spared.
    with django_assert_max_num_queries(9):
        response = author_client.get(INSIGHTS, params)
    assert response.context["incident_count"] > 0
    # A CSV computes the figures afresh: session, user, the figures' ten queries and the
    # restricted incidents' total.
    with django_assert_max_num_queries(13):
        response = author_client.get(INSIGHTS, {"format": "csv", "figure": "overdue"})
    assert response.status_code == 200
    assert Tag.objects.count() == 1
