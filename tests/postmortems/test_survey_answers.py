"""Answering the questionnaire about a published postmortem: once per person asked, nobody
else; anonymous in the data; results shown to readers only once three people answered."""

import re

import pytest
from django.db import models
from django.urls import reverse

from core.models import User
from postmortems import survey
from postmortems.models import SurveyAnswer, SurveyInvitation
from tests.factories import PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db

ALL_YES = {"blameless": "yes", "found_how": "yes", "actions_owned": "yes", "worth_time": "yes"}


@pytest.fixture
def published():
    return PostmortemFactory(
        incident__title="Checkout outage", status="published", author=UserFactory(username="a")
    )


@pytest.fixture
def asked(published):
    """Five people asked about ``published``."""
    people = [UserFactory(username=f"asked{n}") for n in range(5)]
    SurveyInvitation.objects.bulk_create(
        SurveyInvitation(postmortem=published, person=person) for person in people
    )
    return people


def _urls(postmortem):
    reference = postmortem.incident.reference
    return (
        reverse("postmortems:survey-answer", args=[reference]),
        reverse("postmortems:survey", args=[reference]),
    )


def _answer(make_client, person, postmortem, comment="", client=None, **ratings):
    answer_url, _results = _urls(postmortem)
    client = client or make_client(person)
    return client.post(answer_url, {**ALL_YES, **ratings, "comment": comment})


def _text(response) -> str:
    """The page's main content as words, without markup."""
    main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


# Who may answer, and how often ------------------------------------------------------------------


def test_a_person_asked_answers_once_and_is_thanked(make_client, published, asked):
    answer_url, results_url = _urls(published)
    client = make_client(asked[0])
    assert client.get(answer_url).status_code == 200

    response = _answer(
        make_client, asked[0], published, blameless="partly", comment="Calm.", client=client
    )

    assert response.status_code == 302 and response.url == results_url
    answer = SurveyAnswer.objects.get()
    assert (answer.blameless, answer.found_how, answer.comment) == ("partly", "yes", "Calm.")
    assert SurveyInvitation.objects.get(person=asked[0]).answered
    page = client.get(results_url)
    assert "Your answer is kept without your name or the time." in page.content.decode()
    assert "You have answered. Thank you." in page.content.decode()


def test_a_second_answer_is_refused_and_not_kept(make_client, published, asked):
    _answer(make_client, asked[0], published)
    again = _answer(make_client, asked[0], published, blameless="no")
    assert again.status_code == 302
    assert SurveyAnswer.objects.count() == 1
    assert SurveyAnswer.objects.get().blameless == "yes"
    followed = make_client(asked[0]).get(_urls(published)[0], follow=True)
    assert "You have already answered about this postmortem" in followed.content.decode()
    with pytest.raises(survey.SurveyRefused):
        survey.answer(postmortem=published, person=asked[0], ratings=ALL_YES)


def test_people_not_asked_cannot_answer(make_client, published, asked):
    answer_url, results_url = _urls(published)
    for person in (published.author, UserFactory(username="passer-by")):
        client = make_client(person)
        assert client.get(answer_url).status_code == 404
        assert _answer(make_client, person, published).status_code == 404
        assert client.get(results_url).status_code == 200  # readers still see the results
    assert not SurveyAnswer.objects.exists()


def test_nobody_answers_about_a_postmortem_not_published(make_client, asked, published):
    published.status = "approved"
    published.save()
    answer_url, results_url = _urls(published)
    assert make_client(asked[0]).get(answer_url).status_code == 404
    assert _answer(make_client, asked[0], published).status_code == 404
    assert make_client(asked[0]).get(results_url).status_code == 404


def test_a_restricted_incident_s_questionnaire_is_not_found_by_those_who_cannot_see_it(
    make_client, published, asked
):
    published.incident.restricted = True
    published.incident.save()
    published.incident.participants.add(asked[1])
    answer_url, results_url = _urls(published)
    # Asked before the incident was restricted: no longer sees it, so may no longer answer.
    assert _answer(make_client, asked[0], published).status_code == 404
    assert make_client(asked[0]).get(results_url).status_code == 404
    assert _answer(make_client, asked[1], published).status_code == 302
    assert SurveyAnswer.objects.count() == 1


def test_the_postmortem_page_offers_the_questionnaire_to_those_asked_until_they_answer(
    make_client, published, asked
):
    def panel(person):
        text = _text(make_client(person).get(published.get_absolute_url()))
        return text.split("How the review went", 1)[1].split("About the questionnaire", 1)[0]

    not_asked = UserFactory(username="not-asked")
    assert "Answer the four questions" in panel(asked[0])
    assert "Answer the four questions" not in panel(not_asked)
    _answer(make_client, asked[0], published)
    answered = panel(asked[0])
    assert "1 of 5 people asked have answered." in answered
    assert "1 of 3 answers needed before any result is shown" in answered
    assert "You have answered. Thank you." in answered
    assert "Answer the four questions" not in answered
    assert "Answer the four questions" in panel(asked[1])
    assert "You have answered" not in panel(not_asked)
    assert "Answer the four questions" not in panel(not_asked)
    assert survey.summary(published, not_asked) == survey.SurveySummary(
        invited=5, answers=1, may_answer=False, has_answered=False
    )


def test_the_postmortem_page_stops_offering_it_to_someone_who_may_no_longer_see_it(
    make_client, published, asked, admin_user
):
    published.incident.restricted = True
    published.incident.save()
    published.incident.participants.add(asked[1])
    # Asked before the incident was restricted: no longer sees it, so may no longer answer.
    assert make_client(asked[0]).get(published.get_absolute_url()).status_code == 404
    assert not survey.summary(published, asked[0]).may_answer
    assert survey.summary(published, asked[1]).may_answer
    assert not survey.summary(published, admin_user).may_answer


def test_every_question_must_be_answered(make_client, published, asked):
    answer_url, _results = _urls(published)
    response = make_client(asked[0]).post(answer_url, {"blameless": "yes", "comment": "Hm."})
    assert response.status_code == 200
    assert response.content.decode().count("Answer this question: yes, partly or no.") == 3
    assert not SurveyAnswer.objects.exists()
    assert not SurveyInvitation.objects.get(person=asked[0]).answered


# Anonymity -------------------------------------------------------------------------------------


def test_no_field_of_an_answer_leads_to_a_person_or_a_moment():
    fields = SurveyAnswer._meta.get_fields()
    related = {f.name: f.related_model for f in fields if f.is_relation}
    assert related == {"postmortem": related["postmortem"]}  # its only link: no user
    assert User not in related.values()
    assert not [f for f in fields if isinstance(f, models.DateField | models.DateTimeField)]
    assert isinstance(SurveyAnswer._meta.pk, models.UUIDField)  # random: no order to read


def test_an_invitation_holds_nothing_of_the_answer():
    names = {f.name for f in SurveyInvitation._meta.get_fields()}
    assert names == {"id", "postmortem", "person", "invited_at", "answered"}


def test_answers_keep_random_ids_in_no_order_of_answering(make_client, published, asked):
    for person in asked:
        _answer(make_client, person, published)
    ids = [str(pk) for pk in SurveyAnswer.objects.values_list("pk", flat=True)]
    assert len(set(ids)) == 5
    assert all(re.fullmatch(r"[0-9a-f-]{36}", pk) and pk[14] == "4" for pk in ids)  # uuid4


# Results and the threshold ----------------------------------------------------------------------


def test_two_answers_show_no_figure_and_no_comment(make_client, published, asked):
    _answer(make_client, asked[0], published, comment="Zebra crossing was slow.")
    _answer(make_client, asked[1], published, blameless="no", comment="Felt blamed.")
    reader = make_client(UserFactory(username="reader"))
    for url in (_urls(published)[1], published.get_absolute_url()):
        text = _text(reader.get(url))
        assert "2 of 5 people asked have answered." in text
        assert "2 of 3 answers needed before any result is shown" in text
        assert "Zebra" not in text and "Felt blamed" not in text
        assert " %)" not in text  # no share of any answer
    assert survey.results(published).questions == []


def test_three_answers_show_each_question_s_answers_and_comments_alphabetically(
    make_client, published, asked
):
    # Given in this order; shown A, b, Z whatever the order.
    _answer(make_client, asked[0], published, comment="Zebra crossing was slow.")
    _answer(make_client, asked[1], published, blameless="no", worth_time="partly", comment="")
    _answer(
        make_client,
        asked[2],
        published,
        blameless="partly",
        found_how="no",
        worth_time="partly",
        comment="b: good facilitation",
    )
    _answer(make_client, asked[3], published, comment="A clear timeline helped.")
    page = make_client(UserFactory(username="reader")).get(_urls(published)[1])
    text = _text(page)
    assert "4 of 5 people asked have answered." in text
    assert "answers needed" not in text
    # Hand-computed: blameless yes 2 (50 %), partly 1 (25 %), no 1 (25 %); found how yes 3
    # (75 %), no 1 (25 %); actions owned all 4 yes; worth the time yes 2, partly 2.
    assert "Was the review blameless? 2 (50 %) 1 (25 %) 1 (25 %)" in text
    assert "Did it find how it happened? 3 (75 %) 0 (0 %) 1 (25 %)" in text
    assert "Are the action items owned? 4 (100 %) 0 (0 %) 0 (0 %)" in text
    assert "Was it worth the time? 2 (50 %) 2 (50 %) 0 (0 %)" in text
    comments = text.split("not the order they were given.")[1]
    assert comments.index("A clear") < comments.index("b: good") < comments.index("Zebra")
    assert survey.results(published).comments == [
        "A clear timeline helped.",
        "b: good facilitation",
        "Zebra crossing was slow.",
    ]


def test_exactly_three_answers_are_enough(make_client, published, asked):
    for person in asked[:3]:
        _answer(make_client, person, published)
    results = survey.results(published)
    assert results.shown and results.answers == 3
    assert [q.counts for q in results.questions] == [{"yes": 3, "partly": 0, "no": 0}] * 4
    text = _text(make_client(asked[4]).get(published.get_absolute_url()))
    assert "3 of 5 people asked have answered." in text and "See the answers" in text


def test_the_results_page_runs_a_fixed_number_of_queries(
    make_client, published, asked, django_assert_max_num_queries
):
    for person in asked[:3]:
        _answer(make_client, person, published, comment=f"Comment by {person.username}.")
    client = make_client(asked[4])
    url = _urls(published)[1]
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    queries = len(few.captured_queries)  # the next requests clear Django's query log
    more = [UserFactory(username=f"late{n}") for n in range(6)]
    SurveyInvitation.objects.bulk_create(
        SurveyInvitation(postmortem=published, person=person) for person in more
    )
    for person in more:
        _answer(make_client, person, published, comment=f"Comment by {person.username}.")
    with django_assert_max_num_queries(queries):
        client.get(url)
