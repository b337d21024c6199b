import pytest
from django.urls import reverse

from postmortems.models import Postmortem, PostmortemTemplate
from postmortems.sections import SECTION_FIELDS
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_three_default_templates_are_offered(author_client):
    incident = IncidentFactory()
    content = author_client.get(reverse("postmortems:start", args=[incident.reference])).content
    for name in ["Standard blameless review", "Short review", "SRE book example"]:
        assert name.encode() in content


@pytest.mark.parametrize("name", ["Standard blameless review", "Short review", "SRE book example"])
def test_starting_from_each_template_fills_the_sections_with_its_prompts(
    name, author_client, author
):
    template = PostmortemTemplate.objects.get(name=name)
    incident = IncidentFactory()
    response = author_client.post(
        reverse("postmortems:start", args=[incident.reference]), {"template": template.pk}
    )
    postmortem = Postmortem.objects.get(incident=incident)
    assert response.status_code == 302
    assert response.url == reverse("postmortems:edit", args=[incident.reference])
    assert postmortem.author == author and postmortem.template == template
    for field in SECTION_FIELDS:
        assert getattr(postmortem, field) == template.prompts.get(field, "")
    assert postmortem.summary.startswith("<!--") or postmortem.summary.startswith("**Status")
    first = postmortem.revisions.get()
    assert first.number == 1 and name in first.note


def test_prompts_guide_the_writer_but_are_hidden_from_readers(author_client, postmortem):
    edit = author_client.get(reverse("postmortems:edit", args=[postmortem.incident.reference]))
    assert "Ask &#x27;how&#x27;, not &#x27;who&#x27;" in edit.content.decode()
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "Ask 'how'" not in page and "Ask &#x27;how&#x27;" not in page
    assert "Not written yet." in page


def test_an_incident_gets_only_one_postmortem(author_client, postmortem, standard_template):
    url = reverse("postmortems:start", args=[postmortem.incident.reference])
    response = author_client.post(url, {"template": standard_template.pk})
    assert response.status_code == 302 and response.url == postmortem.get_absolute_url()
    assert Postmortem.objects.count() == 1


def test_choosing_no_template_says_so(author_client):
    incident = IncidentFactory()
    response = author_client.post(reverse("postmortems:start", args=[incident.reference]), {})
    assert "Choose a template to start from." in response.content.decode()
    assert not Postmortem.objects.exists()


def test_inactive_templates_are_not_offered(author_client):
    PostmortemTemplate.objects.filter(name="Short review").update(is_active=False)
    incident = IncidentFactory()
    content = author_client.get(reverse("postmortems:start", args=[incident.reference])).content
    assert b"Short review" not in content


def test_the_incident_page_offers_to_start_then_to_open_the_postmortem(
    author_client, standard_template
):
    incident = IncidentFactory()
    assert b"Start postmortem" in author_client.get(incident.get_absolute_url()).content
    author_client.post(
        reverse("postmortems:start", args=[incident.reference]), {"template": standard_template.pk}
    )
    assert b"Open postmortem" in author_client.get(incident.get_absolute_url()).content
