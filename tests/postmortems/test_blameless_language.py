import pytest
from django.urls import reverse

from postmortems.blameless import compiled_phrases, find_blame
from postmortems.models import BlamelessPhrase
from tests.postmortems.conftest import section_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("The outage was Bob's fault.", "Bob's fault"),
        ("Root cause: human error.", "human error"),
        ("A careless change to the config.", "careless"),
        ("We should have tested it.", "should have"),
        ("The on-call failed to escalate.", "failed to"),
        ("Obviously the disk was full.", "Obviously"),
        ("This was negligent.", "negligent"),
    ],
)
def test_default_phrases_flag_blaming_language(text, flagged):
    hits = find_blame(text, compiled_phrases())
    assert [hit.matched for hit in hits] == [flagged]
    assert hits[0].suggestion
    assert flagged in hits[0].excerpt


@pytest.mark.parametrize(
    "text",
    [
        "The deploy tool did not warn that the timeout unit had changed.",
        "We learned how the failover behaves under load.",
        "The fault-tolerant queue kept messages safe.",
        "Faultless recovery of the replicas.",
        "The alert shoulder period was too long.",
    ],
)
def test_neutral_how_oriented_text_is_not_flagged(text):
    assert find_blame(text, compiled_phrases()) == []


def test_hits_come_in_text_order():
    hits = find_blame("Obviously it was human error.", compiled_phrases())
    assert [hit.matched for hit in hits] == ["Obviously", "human error"]


def test_the_phrase_list_is_data_an_admin_can_extend_or_switch_off():
    BlamelessPhrase.objects.create(pattern=r"\bscrewed up\b", suggestion="Describe what happened.")
    BlamelessPhrase.objects.filter(example="careless").update(is_active=False)
    hits = find_blame("They screwed up, being careless.", compiled_phrases())
    assert [hit.matched for hit in hits] == ["screwed up"]


def test_a_broken_pattern_never_breaks_checking():
    BlamelessPhrase.objects.create(pattern="(unclosed", suggestion="x")
    assert [h.matched for h in find_blame("human error", compiled_phrases())] == ["human error"]


def test_admin_validation_rejects_a_broken_pattern():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Not a valid regular expression"):
        BlamelessPhrase(pattern="(unclosed", suggestion="x").full_clean()


def test_preview_shows_hints_while_writing(author_client):
    response = author_client.post(
        reverse("postmortems:preview"), {"field": "summary", "summary": "It was human error."}
    )
    content = response.content.decode()
    assert "Blameless-language hints" in content
    assert "<mark>human error</mark>" in content
    assert "what made the mistake easy to make" in content


def test_blaming_text_still_saves_and_is_flagged_on_the_document(author_client, postmortem):
    url = reverse("postmortems:edit", args=[postmortem.incident.reference])
    response = author_client.post(url, section_data(postmortem, summary="Obviously Bob's fault."))
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.summary == "Obviously Bob's fault."
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "2 phrases may read as blame" in page
    assert "(Summary)" in page
