"""How the reviews went, by month of publication: each question's answers as shares, from the
anonymous questionnaire, and nothing for a month with fewer than three answers."""

import pytest
from django.urls import reverse

from postmortems.models import SurveyAnswer
from tests.factories import IncidentFactory, PostmortemFactory, ServiceFactory
from tests.learning.insights_data import MONTHS, PERIOD, at

pytestmark = pytest.mark.django_db

INSIGHTS = reverse("insights:index")
JAN, FEB, MAR, APR = MONTHS
QUESTIONS = ["Blameless", "Found how it happened", "Actions owned", "Worth the time"]


def _postmortem(published_at, *, restricted=False, services=()):
    incident = IncidentFactory(
        started_at=at(1, 5, 10), restricted=restricted, services=list(services)
    )
    return PostmortemFactory(incident=incident, status="published", published_at=published_at)


def _answers(postmortem, *rows):
    """Each row: blameless, found how, actions owned, worth the time (y, p or n)."""
    word = {"y": "yes", "p": "partly", "n": "no"}
    for row in rows:
        b, f, a, w = (word[letter] for letter in row)
        SurveyAnswer.objects.create(
            postmortem=postmortem, blameless=b, found_how=f, actions_owned=a, worth_time=w
        )


@pytest.fixture
def answered():
    checkout = ServiceFactory(name="Checkout", slug="checkout")
    # January: four answers over two postmortems, so shown; the checkout one alone has two.
    _answers(_postmortem(at(1, 15, 9), services=[checkout]), "yyyy", "yyny")
    _answers(_postmortem(at(1, 20, 9)), "pynp", "nnnp")
    # February: two answers, so nothing is shown.
    _answers(_postmortem(at(2, 10, 9)), "yyyy", "nnnn")
    # March: three answers, shown; a restricted incident's three are left out.
    _answers(_postmortem(at(3, 2, 9)), "yypn", "yppn", "ynyy")
    _answers(_postmortem(at(3, 9, 9), restricted=True), "nnnn", "nnnn", "nnnn")
    # Before the period: left out.
    _answers(_postmortem(at(12, 20, 9, year=2024)), "nnnn", "nnnn", "nnnn")
    return {"checkout": checkout}


def _figure(client, params=PERIOD):
    return client.get(INSIGHTS, params).context["figures"]["review_questionnaire"]


def test_each_month_with_three_answers_or_more_shows_every_rating_s_share(author_client, answered):
    figure = _figure(author_client)
    # January, 4 answers — blameless: y y p n; found how: y y y n; actions owned: y n n n;
    # worth the time: y y p p. March, 3 answers — blameless: y y y; found how: y p n;
    # actions owned: p p y; worth the time: n n y. Shares in whole percent (1/3 → 33).
    assert figure.rows == [
        [JAN, "Blameless", 4, 50, 25, 25],
        [JAN, "Found how it happened", 4, 75, 0, 25],
        [JAN, "Actions owned", 4, 25, 0, 75],
        [JAN, "Worth the time", 4, 50, 50, 0],
        [MAR, "Blameless", 3, 100, 0, 0],
        [MAR, "Found how it happened", 3, 33, 33, 33],
        [MAR, "Actions owned", 3, 33, 67, 0],
        [MAR, "Worth the time", 3, 33, 0, 67],
    ]


def test_the_lines_show_the_share_of_yes_with_gaps_below_three_answers(author_client, answered):
    chart = _figure(author_client).chart
    dots = [dot.title for dot in chart.dots]
    assert dots == [
        "Blameless: yes, January 2025: 50 %",
        "Blameless: yes, March 2025: 100 %",
        "Found how it happened: yes, January 2025: 75 %",
        "Found how it happened: yes, March 2025: 33 %",
        "Actions owned: yes, January 2025: 25 %",
        "Actions owned: yes, March 2025: 33 %",
        "Worth the time: yes, January 2025: 50 %",
        "Worth the time: yes, March 2025: 33 %",
    ]  # nothing for February (two answers) or April (none)


def test_a_filter_that_leaves_fewer_than_three_answers_shows_nothing(author_client, answered):
    figure = _figure(author_client, {**PERIOD, "service": "checkout"})
    assert figure.rows == []
    assert figure.chart.dots == []


def test_the_page_and_csv_show_the_shares_and_the_rule(author_client, answered):
    IncidentFactory(started_at=at(2, 1, 10))  # so the period has an incident to chart
    page = author_client.get(INSIGHTS, PERIOD).content.decode()
    table = page.split('id="table-review_questionnaire"')[1].split("</table>")[0]
    assert '<td class="text-end text-nowrap">67 %</td>' in table
    assert "A month with fewer than 3 answers shows nothing" in page
    csv = author_client.get(INSIGHTS, {**PERIOD, "format": "csv", "figure": "review_questionnaire"})
    lines = csv.content.decode().lstrip("\ufeff").splitlines()
    assert lines[0] == "Month published,Question,Answers,Yes (%),Partly (%),No (%)"
    assert lines[1] == "2025-01,Blameless,4,50,25,25"


def test_a_new_answer_shows_on_the_kept_page_at_once(author_client, answered):
    IncidentFactory(started_at=at(2, 1, 10))
    assert FEB not in {row[0] for row in _figure(author_client).rows}
    february = SurveyAnswer.objects.filter(postmortem__published_at__month=2).first().postmortem
    _answers(february, "yyyy")  # the third answer: February is shown
    assert [row for row in _figure(author_client).rows if row[0] == FEB][0] == [
        FEB,
        "Blameless",
        3,
        67,
        0,
        33,
    ]
