from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from tests.factories import NotificationFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db
LIST = reverse("notifications:list")


def _open(pk):
    return reverse("notifications:open", args=[pk])


def _queries_on_notifications(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries if "notifications_notification" in q["sql"]]


def test_the_bell_shows_how_many_unread_notifications_are_mine(author, author_client):
    NotificationFactory.create_batch(3, recipient=author)
    NotificationFactory(recipient=author, read_at=timezone.now())
    NotificationFactory()  # someone else's
    page = author_client.get(reverse("incidents:list")).content.decode()
    assert '<span class="badge rounded-pill text-bg-danger">3</span>' in page
    assert "3 unread" in page


def test_the_bell_shows_no_number_when_nothing_is_unread(author, author_client):
    NotificationFactory(recipient=author, read_at=timezone.now())
    page = author_client.get(reverse("incidents:list")).content.decode()
    assert "text-bg-danger" not in page
    assert "Notifications, none unread" in page


def test_the_bell_stops_counting_at_99(author, author_client):
    NotificationFactory.create_batch(101, recipient=author)
    page = author_client.get(reverse("incidents:list")).content.decode()
    assert '<span class="badge rounded-pill text-bg-danger">99+</span>' in page


def test_the_bell_costs_one_query(author, author_client):
    NotificationFactory.create_batch(2, recipient=author)
    assert len(_queries_on_notifications(author_client, reverse("incidents:list"))) == 1


def test_signed_out_pages_and_the_public_status_pages_never_ask_for_notifications(client, author):
    PostmortemFactory(status="published", is_public=True, public_title="Outage", public_summary="S")
    assert _queries_on_notifications(client, reverse("login")) == []
    assert _queries_on_notifications(client, reverse("public:list")) == []
    client.force_login(author)  # signed in, the public pages still do not
    assert _queries_on_notifications(client, reverse("public:list")) == []


def test_the_list_shows_my_notifications_newest_first_with_unread_ones_highlighted(
    author, author_client
):
    now = timezone.now()
    riley = UserFactory(username="riley", first_name="Riley", last_name="Reed")
    NotificationFactory(
        recipient=author, title="INC-1 Older", created_at=now - timedelta(hours=2), actor=riley
    )
    NotificationFactory(
        recipient=author, title="INC-2 Newer", created_at=now - timedelta(hours=1), actor=riley
    )
    NotificationFactory(
        recipient=author, title="INC-3 Read", created_at=now, read_at=now, actor=riley
    )
    NotificationFactory(title="INC-4 Somebody else's")
    response = author_client.get(LIST)
    page = response.content.decode()
    titles = [n.title for n in response.context["page"].object_list]
    assert titles == ["INC-3 Read", "INC-2 Newer", "INC-1 Older"]
    assert "Somebody else" not in page
    assert page.count("notification-unread") == 2
    assert page.count(">Unread</span>") == 2
    assert "Review requested" in page and "by Riley Reed" in page
    assert f'action="{_open(response.context["page"].object_list[0].pk)}"' in page


def test_an_empty_list_says_what_will_appear_here(author_client):
    page = author_client.get(LIST).content.decode()
    assert "No notifications yet." in page
    assert "Mark all read" not in page


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_with_few_or_many(
    count, author, author_client, django_assert_max_num_queries
):
    for _n in range(count):
        NotificationFactory(recipient=author, actor=UserFactory())
    # session, user, the bell's unread count, the page's count, the page of notifications
    # with their actors
    with django_assert_max_num_queries(5):
        response = author_client.get(LIST)
    assert len(response.context["page"].object_list) == min(count, 25)


def test_the_list_pages_through_many(author, author_client):
    NotificationFactory.create_batch(30, recipient=author)
    page = author_client.get(LIST, {"page": 2})
    assert len(page.context["page"].object_list) == 5
    assert author_client.get(LIST, {"page": "nonsense"}).status_code == 200


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(author, author_client):
    notification = NotificationFactory(recipient=author, url="/postmortems/INC-7/review/#c-1")
    response = author_client.post(_open(notification.pk))
    assert response.status_code == 302
    assert response.url == "/postmortems/INC-7/review/#c-1"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_needs_a_post(author, author_client):
    notification = NotificationFactory(recipient=author)
    assert author_client.get(_open(notification.pk)).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_nobody_opens_or_sees_another_persons_notification(author, author_client):
    theirs = NotificationFactory(title="INC-9 Not yours")
    assert author_client.post(_open(theirs.pk)).status_code == 404
    assert "Not yours" not in author_client.get(LIST).content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_link_that_would_leave_the_site_leads_to_the_list_instead(author, author_client):
    # Starts with one slash, so the database takes it, but browsers read "/\" as "//".
    notification = NotificationFactory(recipient=author, url="/\\evil.example.com/")
    response = author_client.post(_open(notification.pk))
    assert response.url == LIST


def test_the_database_refuses_a_link_to_another_site(author):
    with pytest.raises(IntegrityError):
        NotificationFactory(recipient=author, url="https://evil.example.com/")


def test_mark_all_read_marks_only_mine(author, author_client):
    NotificationFactory.create_batch(2, recipient=author)
    theirs = NotificationFactory()
    response = author_client.post(reverse("notifications:mark-all-read"), follow=True)
    assert "Marked 2 notifications read." in response.content.decode()
    assert not Notification.objects.filter(recipient=author, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "text-bg-danger" not in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
