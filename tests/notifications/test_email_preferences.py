import pytest
from django.core import mail
from django.urls import reverse

from notifications.models import EmailPreference, Notification, NotificationKind
from postmortems import review
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db
SETTINGS = reverse("account-settings")
PREFIX = "email_preferences"


def _settings_data(user, *, emailed=tuple(NotificationKind.values), **account) -> dict:
    """The Settings form as sent by a browser: unticked boxes are not sent at all."""
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "time_zone": "",
        f"{PREFIX}-shown": "True",
        **{f"{PREFIX}-{kind}": "on" for kind in emailed},
        **account,
    }


def _enabled(user) -> dict:
    return dict(EmailPreference.objects.filter(user=user).values_list("kind", "enabled"))


def test_the_settings_page_offers_a_ticked_box_for_every_kind(author_client):
    page = author_client.get(SETTINGS).content.decode()
    assert "Email me about" in page
    for kind in NotificationKind:
        assert f'id="id_{PREFIX}-{kind.value}" checked' in page
        assert str(kind.label) in page


def test_turning_a_kind_off_is_saved_with_the_rest_of_the_settings(author, author_client):
    kept = [kind for kind in NotificationKind.values if kind != "review_requested"]
    response = author_client.post(
        SETTINGS, _settings_data(author, emailed=kept, first_name="Alexa"), follow=True
    )
    assert "Your settings are saved." in response.content.decode()
    author.refresh_from_db()
    assert author.first_name == "Alexa"
    enabled = _enabled(author)
    assert enabled["review_requested"] is False
    assert all(enabled[kind] for kind in kept)
    page = author_client.get(SETTINGS).content.decode()
    assert f'id="id_{PREFIX}-review_requested">' in page  # not ticked
    assert f'id="id_{PREFIX}-published" checked' in page

    # and back on
    author_client.post(SETTINGS, _settings_data(author))
    assert _enabled(author)["review_requested"] is True


def test_an_invalid_account_field_saves_nothing_and_keeps_the_ticks_as_sent(author, author_client):
    response = author_client.post(
        SETTINGS, _settings_data(author, emailed=["published"], email="not an address")
    )
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not EmailPreference.objects.filter(user=author).exists()
    form = response.context["sections"][0]
    assert form["published"].value() is True and form["review_requested"].value() is False


def test_a_form_without_the_boxes_leaves_the_preferences_alone(author, author_client):
    data = _settings_data(author, emailed=[], first_name="Alexa")
    del data[f"{PREFIX}-shown"]
    author_client.post(SETTINGS, data)
    author.refresh_from_db()
    assert author.first_name == "Alexa"
    assert not EmailPreference.objects.filter(user=author).exists()


def test_a_kind_turned_off_sends_no_email_but_still_tells_in_the_app(
    author, reviewer, django_capture_on_commit_callbacks, deliver_outbox
):
    """Through the settings page, then a review request."""
    from django.test import Client

    reviewer_client = Client()
    reviewer_client.force_login(reviewer)
    kept = [kind for kind in NotificationKind.values if kind != "review_requested"]
    reviewer_client.post(SETTINGS, _settings_data(reviewer, emailed=kept))
    other = UserFactory(username="other", roles=["Reviewer"])

    postmortem = PostmortemFactory(
        author=author, summary="S", impact="I", what_happened="W", status="draft"
    )
    ActionItemFactory(postmortem=postmortem)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer, other])

    deliver_outbox()  # as the worker does
    assert [message.to for message in mail.outbox] == [[other.email]]
    told = Notification.objects.filter(kind="review_requested")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["other", "reviewer"]
    assert "Review requested" in reviewer_client.get(reverse("notifications:list")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_settings_and_the_preferences_are_committed_together(author, author_client):
    author_client.post(SETTINGS, _settings_data(author, emailed=["published"], first_name="Alexa"))
    author.refresh_from_db()
    assert author.first_name == "Alexa"
    assert _enabled(author)["published"] is True
    assert _enabled(author)["review_requested"] is False
