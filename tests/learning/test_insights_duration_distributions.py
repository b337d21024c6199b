"""Durations at a glance: each duration as a distribution over the whole period (median,
middle half, 90th percentile, range and how many were measured) with its definition beside
it, and no bare figure of a "typical" duration anywhere."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import IncidentFactory
from tests.learning.insights_data import PERIOD, at, build_insights_data

pytestmark = pytest.mark.django_db

INSIGHTS = reverse("insights:index")


def minutes(number):
    return timedelta(minutes=number)


def days(number):
    return timedelta(days=number)


def _summaries(client, params=PERIOD):
    return {s.name: s for s in client.get(INSIGHTS, params).context["duration_summaries"]}


def _figures(summary):
    return [
        summary.count,
        summary.minimum,
        summary.p25,
        summary.p50,
        summary.p75,
        summary.p90,
        summary.maximum,
    ]


# Percentiles interpolate as PostgreSQL's percentile_cont: the p-th of n sorted values sits at
# position p × (n − 1), between the two values either side of it.


def test_an_odd_number_of_times_to_detect(author_client):
    build_insights_data()
    summary = _summaries(author_client)["time_to_detect"]
    # In the period: C 5, A 10, B 20, F 30, D 40, B2 60, E 60 (G and H are outside it).
    # 25th: position 1.5, 10 + 0.5 × 10 = 15; median: position 3, 30; 75th: position 4.5,
    # 40 + 0.5 × 20 = 50; 90th: position 5.4, between 60 and 60.
    assert _figures(summary) == [
        7,
        minutes(5),
        minutes(15),
        minutes(30),
        minutes(50),
        minutes(60),
        minutes(60),
    ]


def test_an_even_number_of_times_to_mitigate_and_resolve(author_client):
    build_insights_data()
    summaries = _summaries(author_client)
    # Mitigated: A 30, B 60, F 60, B2 90, D 90, E 120 (C is not). Median: position 2.5,
    # 60 + 0.5 × 30 = 75; 25th: position 1.25, 60; 75th: position 3.75, 90; 90th: position
    # 4.5, 90 + 0.5 × 30 = 105.
    assert _figures(summaries["time_to_mitigate"]) == [
        6,
        minutes(30),
        minutes(60),
        minutes(75),
        minutes(90),
        minutes(105),
        minutes(120),
    ]
    # Resolved: A 120, B2 180, F 180, B 240, D 360, E 1440. Median 180 + 0.5 × 60 = 210;
    # 25th 180; 75th 240 + 0.75 × 120 = 330; 90th 360 + 0.5 × 1080 = 900.
    assert _figures(summaries["time_to_resolve"]) == [
        6,
        minutes(120),
        minutes(180),
        minutes(210),
        minutes(330),
        minutes(900),
        minutes(1440),
    ]


def test_the_postmortem_cycle_time(author_client):
    build_insights_data()
    # Resolution to publication: D 17 days, B 21 days, A 22 days. 25th: position 0.5, 19 days;
    # median 21 days; 75th: position 1.5, 21.5 days; 90th: position 1.8, 21.8 days.
    assert _figures(_summaries(author_client)["postmortem_cycle"]) == [
        3,
        days(17),
        days(19),
        days(21),
        days(21.5),
        days(21.8),
        days(22),
    ]


def test_near_misses_and_other_services_are_left_out(author_client):
    data = build_insights_data()
    start = at(2, 1, 10)
    IncidentFactory(  # a near miss: no customer impact, so no impact figure counts it
        near_miss=True,
        started_at=start,
        detected_at=start + days(3),
        mitigated_at=start + days(3),
        resolved_at=start + days(3),
    )
    summaries = _summaries(author_client)
    assert summaries["time_to_detect"].count == 7
    assert summaries["time_to_detect"].maximum == minutes(60)
    # Checkout: A 10, B 20, B2 60, D 40 → median 30, range 10 to 60.
    checkout = _summaries(author_client, {**PERIOD, "service": data["checkout"].slug})
    detect = checkout["time_to_detect"]
    assert (detect.count, detect.p50, detect.minimum, detect.maximum) == (
        4,
        minutes(30),
        minutes(10),
        minutes(60),
    )
    assert checkout["postmortem_cycle"].count == 3  # A, B and D are all on checkout


def test_one_incident_gives_one_value_and_the_rest_says_no_data(author_client):
    start = at(2, 1, 10)
    IncidentFactory(
        status="investigating",
        started_at=start,
        detected_at=start + minutes(12),
        mitigated_at=None,
        resolved_at=None,
    )
    summaries = _summaries(author_client)
    assert _figures(summaries["time_to_detect"]) == [1] + [minutes(12)] * 6
    for name in ("time_to_mitigate", "time_to_resolve", "postmortem_cycle"):
        assert _figures(summaries[name]) == [0] + [None] * 6

    page = author_client.get(INSIGHTS, PERIOD).content.decode()
    table = page.split('id="table-duration_summaries"')[1].split("</table>")[0]
    rows = {
        name: " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for name, row in re.findall(r'<tr data-duration="(\w+)">(.*?)</tr>', table, re.S)
    }
    assert rows["time_to_detect"] == (
        "Time to detect From the start of the incident to its detection, for incidents with "
        "customer impact that started in the period and have both times. n = 1 12 min "
        "12 min to 12 min 12 min 12 min to 12 min"
    )
    assert rows["time_to_mitigate"].endswith("have been mitigated. n = 0 No data")
    assert rows["postmortem_cycle"].endswith("published in the period. n = 0 No data")


def test_each_duration_chart_says_what_it_measures(author_client):
    build_insights_data()
    figures = author_client.get(INSIGHTS, PERIOD).context["figures"]
    assert figures["time_to_detect"].description.startswith(
        "From the start of the incident to its detection, for incidents with customer impact"
    )
    assert figures["postmortem_cycle"].description.startswith(
        "From the incident's resolution to the postmortem's publication"
    )


# Nowhere a bare "average" ------------------------------------------------------------------------

# "mean" as in a mean of durations, not "the words you mean".
UNTYPICAL = re.compile(r"\b(average|averages|(?<!you )mean|avg|mttr|mttd)\b", re.IGNORECASE)


def test_the_insights_page_never_speaks_of_an_average_or_a_mean(author_client):
    build_insights_data()
    page = author_client.get(INSIGHTS, PERIOD).content.decode()
    assert "Durations at a glance" in page
    assert UNTYPICAL.findall(page) == []
    for figure in ("time_to_detect", "postmortem_cycle", "review_questionnaire"):
        csv = author_client.get(INSIGHTS, {**PERIOD, "format": "csv", "figure": figure})
        assert UNTYPICAL.findall(csv.content.decode()) == []


def test_no_template_or_module_offers_a_mean_of_anything():
    root = Path(settings.BASE_DIR)
    apps = [d for d in root.iterdir() if d.is_dir() and not d.name.startswith((".", "tests"))]
    offending, read = [], 0
    for path in (path for app in apps for path in app.rglob("*")):
        if "vendor" in path.parts or "node_modules" in path.parts:
            continue
        read += path.suffix in {".html", ".txt", ".py"}
        if path.suffix in {".html", ".txt"} and UNTYPICAL.search(path.read_text()):
            offending.append(str(path.relative_to(root)))
        if path.suffix == ".py" and re.search(r"\bAvg\(|statistics\.mean", path.read_text()):
            offending.append(str(path.relative_to(root)))
    assert read > 200  # every app's templates and modules
    assert offending == []
