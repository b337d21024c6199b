"""Pages in French: from the browser's Accept-Language, or the language chosen in Settings,
which wins over the browser. What people typed (titles, postmortem text, service names) stays
as typed; Hindsight's own words, labels and month names follow the language."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from core.models import Role
from postmortems import review
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    ServiceFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-CA,fr;q=0.9,en;q=0.5"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


@pytest.fixture
def incident(db):
    incident = IncidentFactory(
        title="Checkout outage",
        started_at=datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
        services=[ServiceFactory(name="Checkout")],
    )
    TimelineEntryFactory(incident=incident, body="Error rate alert fired.")
    return incident


@pytest.fixture
def postmortem(incident, author, reviewer):
    postmortem = PostmortemFactory(incident=incident, author=author)
    ActionItemFactory(postmortem=postmortem, title="Validate config units", owner=author)
    review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
    return postmortem


def _page(client, url, **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_incident_pages_are_in_french_for_a_french_browser(author_client, postmortem):
    incident = postmortem.incident
    listing = _page(author_client, reverse("incidents:list"), **FRENCH)
    assert '<html lang="fr">' in listing
    assert "Déclarer un incident" in listing
    assert "SEV2 — majeur" in listing
    assert "Checkout outage" in listing  # typed: as typed

    page = _page(author_client, incident.get_absolute_url(), **FRENCH)
    assert "Chronologie" in page
    assert "Ajouter une entrée de chronologie" in page
    assert "Error rate alert fired." in page


def test_the_postmortem_and_its_review_are_in_french(
    author_client, make_client, reviewer, postmortem
):
    page = _page(author_client, postmortem.get_absolute_url(), **FRENCH)
    assert "Leçons apprises" in page
    assert "Hypothèses" in page
    assert "Validate config units" in page
    assert "A config change broke checkout." in page

    page = _page(make_client(reviewer), postmortem.review_url(), **FRENCH)
    assert "Relecture : Checkout outage" in page
    assert "Demander des modifications" in page
    assert "Approuver" in page


def test_the_action_items_are_in_french(author_client, postmortem):
    listing = _page(author_client, reverse("actions:list"), **FRENCH)
    assert "Filtrer les actions" in listing
    assert "Exporter en CSV" in listing
    assert "Validate config units" in listing

    mine = _page(author_client, reverse("actions:mine"), **FRENCH)
    assert "Mes actions" in mine
    assert "P2 — moyenne" in mine


def test_insights_name_months_and_figures_in_french(author_client, incident):
    page = _page(author_client, reverse("insights:index"), **FRENCH)
    assert "Incidents par mois, par gravité" in page
    assert "mars 2026" in page
    assert "March 2026" not in page

    english = _page(author_client, reverse("insights:index"), **ENGLISH)
    assert "Incidents per month, by severity" in english
    assert "March 2026" in english


def test_dates_written_out_follow_the_language(author_client, incident):
    """Dates with month names (the required postmortem's due date here) are in the page's
    language; ISO timestamps (2026-03-02 14:00) read the same in both and stay."""
    from postmortems.models import PostmortemRequirement

    PostmortemRequirement.objects.create(
        incident=incident,
        owner=incident.created_by,
        due_on=incident.started_at.date() + timedelta(days=7),
    )
    assert "9 mars 2026" in _page(author_client, incident.get_absolute_url(), **FRENCH)
    assert "March 9, 2026" in _page(author_client, incident.get_absolute_url(), **ENGLISH)


def test_the_language_chosen_in_settings_wins_over_the_browser(client, incident):
    french_speaker = UserFactory(username="camille", roles=[Role.AUTHOR], language="fr")
    client.force_login(french_speaker)
    response = client.get(reverse("incidents:list"), **ENGLISH)
    assert response["Content-Language"] == "fr"
    assert "Déclarer un incident" in response.content.decode()

    english_speaker = UserFactory(username="sam", roles=[Role.AUTHOR], language="en")
    client.force_login(english_speaker)
    response = client.get(reverse("incidents:list"), **FRENCH)
    assert response["Content-Language"] == "en"
    assert "Declare an incident" in response.content.decode()


def test_with_no_choice_the_browser_decides_and_otherwise_the_site_language(client, author):
    client.force_login(author)
    assert "Déclarer un incident" in _page(client, reverse("incidents:list"), **FRENCH)
    assert "Declare an incident" in _page(client, reverse("incidents:list"), **ENGLISH)
    assert "Declare an incident" in _page(client, reverse("incidents:list"))
    # A language Hindsight does not have falls back to the site's.
    assert "Declare an incident" in _page(
        client, reverse("incidents:list"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"
    )


def test_choosing_french_in_settings_turns_the_pages_french(client, author):
    client.force_login(author)
    form = _page(client, reverse("account-settings"), **ENGLISH)
    assert "Language" in form and "Français" in form

    response = client.post(
        reverse("account-settings"),
        {
            "first_name": author.first_name,
            "last_name": author.last_name,
            "email": author.email,
            "time_zone": "",
            "language": "fr",
        },
        follow=True,
        **ENGLISH,
    )
    author.refresh_from_db()
    assert author.language == "fr"
    assert "Vos paramètres sont enregistrés." in response.content.decode()
    assert "Déclarer un incident" in _page(client, reverse("incidents:list"), **ENGLISH)


def test_error_pages_are_in_french(author_client):
    response = author_client.get("/incidents/INC-99999/", **FRENCH)
    assert response.status_code == 404
    assert "Retour à Hindsight" in response.content.decode()


def test_the_default_templates_are_offered_in_french(author_client, incident):
    page = _page(author_client, reverse("postmortems:start", args=[incident.reference]), **FRENCH)
    assert "Relecture standard sans reproche" in page
    assert "Toutes les sections, avec des questions qui demandent comment, pas qui." in page


def test_the_sign_in_page_offers_a_language_and_keeps_the_choice(client):
    page = _page(client, reverse("login"), **ENGLISH)
    assert "Sign in to Hindsight" in page
    assert '<option value="fr" lang="fr">Français</option>' in page

    response = client.post(reverse("set_language"), {"language": "fr", "next": "/login/"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    page = _page(client, reverse("login"), **ENGLISH)
    assert "Se connecter à Hindsight" in page
    assert '<option value="fr" lang="fr" selected>Français</option>' in page
