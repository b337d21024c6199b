import pytest
from django.urls import reverse
from django.utils.html import escape

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
def test_starting_from_each_template_leaves_the_sections_empty_and_shows_its_prompts(
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
    assert postmortem.section_texts() == dict.fromkeys(SECTION_FIELDS, "")
    first = postmortem.revisions.get()
    assert first.number == 1 and name in first.note
    edit = author_client.get(response.url).content.decode()
    for field, guidance in template.guidance().items():
        assert guidance and "<!--" not in guidance
        assert f'id="id_{field}-guidance">Template: {escape(guidance)}</div>' in edit
    assert edit.count("></textarea>") == len(SECTION_FIELDS)


def test_prompts_guide_the_writer_but_are_hidden_from_readers(author_client, postmortem):
    edit = author_client.get(reverse("postmortems:edit", args=[postmortem.incident.reference]))
    assert "Ask &#x27;how&#x27;, not &#x27;who&#x27;" in edit.content.decode()
    assert "&lt;!--" not in edit.content.decode()
    page = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "Ask 'how'" not in page and "Ask &#x27;how&#x27;" not in page
    assert "Not written yet." in page


def test_one_section_on_its_own_shows_its_guidance(author_client, postmortem):
    url = reverse("postmortems:edit-section", args=[postmortem.incident.reference, "impact"])
    edit = author_client.get(url).content.decode()
    assert "Template: Customers and internal teams affected; numbers where you have" in edit


def test_documents_started_with_prompts_in_their_text_keep_it(author_client, postmortem):
    postmortem.summary = "<!-- the old prompt -->\nWhat we wrote."
    postmortem.save()
    edit = author_client.get(reverse("postmortems:edit", args=[postmortem.incident.reference]))
    assert "&lt;!-- the old prompt --&gt;\nWhat we wrote." in edit.content.decode()


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
