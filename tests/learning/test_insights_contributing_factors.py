"""The contributing-factor figures, against the insights data set (tests/learning/insights_data.py)
with these factors added, counted by hand below.

  A  (Jan, checkout, published)        Technical › Configuration change; Detection › Missing alert
  B  (Jan, checkout, published)        Technical › Software defect; Human factors › Handoffs
  B2 (Jan, checkout, draft)            Technical › Capacity                 — not published: out
  D  (Mar, checkout + search, publ.)   Technical (general); Detection › Monitoring gap
  R  (Mar, checkout, restricted, publ.) Process › Testing gaps              — restricted: out
  H  (May, checkout, published)        Process › Change management          — after the period

The Shop team owns Checkout and Search; Payments has no team.
"""

import pytest
from django.urls import reverse

from core.models import Team
from incidents.models import Service
from learning.insights import Period, factor_figures
from postmortems.models import FactorCategory, Postmortem
from tests.factories import ContributingFactorFactory, PostmortemFactory
from tests.learning.insights_data import MONTHS, PERIOD, _incident, at, build_insights_data

pytestmark = pytest.mark.django_db

INSIGHTS = reverse("insights:index")
TOPS = ["Technical", "Human factors / coordination", "Detection"]


def _factor(postmortem, category, description="How it happened"):
    return ContributingFactorFactory(
        postmortem=postmortem,
        category=FactorCategory.objects.get(name=category),
        description=description,
    )


@pytest.fixture
def factor_data():
    data = build_insights_data()
    incidents = data["incidents"]
    shop = Team.objects.create(name="Shop")
    Service.objects.filter(slug__in=["checkout", "search"]).update(team=shop)
    pm = {name: Postmortem.objects.get(incident=incidents[name]) for name in ("A", "B", "B2", "D")}
    _factor(pm["A"], "Configuration change")
    _factor(pm["A"], "Missing alert")
    _factor(pm["B"], "Software defect")
    _factor(pm["B"], "Handoffs")
    _factor(pm["B2"], "Capacity")
    _factor(pm["D"], "Technical")
    _factor(pm["D"], "Monitoring gap")
    restricted = _incident("R", "SEV2", at(3, 10, 10), 5, 10, 60, [data["checkout"]])
    restricted.restricted = True
    restricted.save()
    _factor(
        PostmortemFactory(incident=restricted, status="published", published_at=at(3, 12)),
        "Testing gaps",
    )
    _factor(
        PostmortemFactory(incident=incidents["H"], status="published", published_at=at(5, 9)),
        "Change management",
    )
    return data


def _figures(client, params=PERIOD):
    return client.get(INSIGHTS, params).context["figures"]


def test_factors_per_month_count_published_unrestricted_factors_by_top_category(
    author_client, factor_data
):
    figure = _figures(author_client)["factors"]
    assert [column.label for column in figure.columns] == ["Month", *TOPS, "Total"]
    assert figure.rows == [
        [MONTHS[0], 2, 1, 1, 4],  # A and B
        [MONTHS[1], 0, 0, 0, 0],
        [MONTHS[2], 1, 0, 1, 2],  # D
        [MONTHS[3], 0, 0, 0, 0],
    ]
    assert [label for _css, label in figure.legend] == TOPS


def test_factors_by_service_count_a_factor_under_each_service_its_incident_touched(
    author_client, factor_data
):
    figure = _figures(author_client)["factors_by_service"]
    assert figure.rows == [
        ["Checkout", 3, 1, 2, 6],  # A, B, D
        ["Search", 1, 0, 1, 2],  # D
    ]


def test_factors_by_team_count_a_factor_once_per_team(author_client, factor_data):
    figure = _figures(author_client)["factors_by_team"]
    # D touched two of the Shop's services; its two factors count once each.
    assert figure.rows == [["Shop", 3, 1, 2, 6]]


def test_the_service_filter_keeps_the_incidents_that_touched_it(author_client, factor_data):
    figures = _figures(author_client, {**PERIOD, "service": "search"})
    assert figures["factors"].rows[2] == [MONTHS[2], 1, 1, 2]
    assert [c.label for c in figures["factors"].columns] == [
        "Month",
        "Technical",
        "Detection",
        "Total",
    ]
    # D also touched Checkout, so it counts there, as in the services ranking.
    assert figures["factors_by_service"].rows == [["Checkout", 1, 1, 2], ["Search", 1, 1, 2]]


def test_a_retired_category_still_counts_its_old_factors(author_client, factor_data):
    FactorCategory.objects.filter(name="Detection").update(is_active=False)
    FactorCategory.objects.filter(name="Missing alert").update(is_active=False)
    assert _figures(author_client)["factors"].rows[0] == [MONTHS[0], 2, 1, 1, 4]


def test_the_page_shows_the_factor_charts_and_their_csv(author_client, factor_data):
    page = author_client.get(INSIGHTS, PERIOD).content.decode()
    assert 'id="figure-factors_by_team"' in page
    assert "<title>Shop, Technical: 3</title>" in page
    csv = author_client.get(INSIGHTS, {**PERIOD, "format": "csv", "figure": "factors_by_service"})
    lines = csv.content.decode().lstrip("\ufeff").splitlines()
    assert lines[:2] == [
        "Service,Technical,Human factors / coordination,Detection,Total",
        "Checkout,3,1,2,6",
    ]


@pytest.mark.parametrize("count", [2, 60])
def test_the_factor_figures_run_three_queries_whatever_the_data(count, django_assert_num_queries):
    service = Service.objects.create(name="Checkout", slug="checkout")
    service.team = Team.objects.create(name="Shop")
    service.save()
    categories = list(FactorCategory.objects.all())
    for n in range(count):
        incident = _incident(f"I{n}", "SEV2", at(1 + n % 4, 1 + n % 28, 10), 5, 10, 60, [service])
        postmortem = PostmortemFactory(incident=incident, status="published", published_at=at(5, 1))
        _factor(postmortem, categories[n % len(categories)].name)
    period = Period.from_filters({}, at(4, 30).date())
    with django_assert_num_queries(3):
        figures = factor_figures({}, period)
    assert sum(figures[0].rows[i][-1] for i in range(len(figures[0].rows))) == count
