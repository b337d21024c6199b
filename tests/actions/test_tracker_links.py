import pytest
from django.urls import reverse

from actions.models import ticket_key_from_url
from tests.actions.conftest import new_item_data
from tests.factories import ActionItemFactory


@pytest.mark.parametrize(
    "url, key",
    [
        ("https://acme.atlassian.net/browse/PAY-123", "PAY-123"),
        ("https://jira.example.com/projects/PAY/issues/PAY-77?filter=all", "PAY-77"),
        ("https://acme.atlassian.net/jira/software/board?selectedIssue=OPS-9", "OPS-9"),
        ("https://linear.app/acme/issue/ENG-42/add-canary", "ENG-42"),
        ("https://github.com/acme/payments/issues/318", "payments#318"),
        ("https://github.com/acme/payments/pull/12", "payments#12"),
        ("https://gitlab.com/acme/platform/payments/-/issues/5", "payments#5"),
        ("https://tracker.example.com/ticket/98765", "98765"),
        ("https://wiki.example.com/runbooks/payments", "wiki.example.com"),
        ("", ""),
    ],
)
def test_the_ticket_key_is_read_from_the_tracker_link(url, key):
    assert ticket_key_from_url(url) == key


@pytest.mark.django_db
def test_the_item_page_shows_the_ticket_key_as_a_link(outsider, make_client):
    item = ActionItemFactory(tracker_url="https://acme.atlassian.net/browse/PAY-123")
    content = make_client(outsider).get(item.get_absolute_url()).content.decode()
    assert (
        '<a class="tracker-link" href="https://acme.atlassian.net/browse/PAY-123" '
        'rel="noopener noreferrer" target="_blank" title="Open the ticket">PAY-123</a>'
    ) in content


@pytest.mark.django_db
def test_only_web_links_are_accepted_for_the_tracker(author_client, postmortem):
    response = author_client.post(
        reverse("actions:create", args=[postmortem.incident.reference]),
        new_item_data(tracker_url="javascript:alert(1)"),
    )
    assert response.status_code == 200
    assert "Enter a valid URL." in response.content.decode()
