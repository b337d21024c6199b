import pytest
from django.test import Client
from django.urls import reverse

from postmortems import review
from postmortems.models import PostmortemStatus
from tests.factories import ActionItemFactory, PostmortemFactory, ServiceFactory

pytestmark = pytest.mark.django_db

SECRET = "db-primary-7 credentials rotated by Alice"


@pytest.fixture
def published(postmortem, author, reviewer):
    postmortem.summary = f"Internal: {SECRET}"
    postmortem.impact = "Impact."
    postmortem.what_happened = "Happened."
    postmortem.save()
    ActionItemFactory(postmortem=postmortem)
    review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
    review.approve(postmortem=postmortem, actor=reviewer)
    return review.publish(
        postmortem=postmortem,
        actor=author,
        make_public=True,
        public_title="Checkout errors on 4 May",
        public_summary="Some payments failed for **48 minutes**. We fixed it.",
    )


def test_the_public_page_and_feed_show_only_the_public_summary(published):
    anonymous = Client()
    listing = anonymous.get(reverse("public:list")).content.decode()
    detail = anonymous.get(published.public_url()).content.decode()
    feed = anonymous.get(reverse("public:feed"))
    assert feed["Content-Type"].startswith("application/atom+xml")
    for content in (listing, detail, feed.content.decode()):
        assert "Checkout errors on 4 May" in content
        assert "48 minutes" in content
        assert SECRET not in content
        assert published.incident.title not in content
        assert published.incident.reference not in content
    assert "<strong>48 minutes</strong>" in detail


def test_everything_else_is_not_found_for_the_public(published, author):
    private = PostmortemFactory()  # a draft
    no_public_summary = PostmortemFactory(status=PostmortemStatus.PUBLISHED)
    anonymous = Client()
    for postmortem in (private, no_public_summary):
        assert anonymous.get(postmortem.public_url()).status_code == 404
    assert (
        anonymous.get(
            reverse("public:detail", args=["00000000-0000-0000-0000-000000000000"])
        ).status_code
        == 404
    )
    feed = anonymous.get(reverse("public:feed")).content.decode()
    assert feed.count("<entry>") == 1
    # The internal pages still need signing in.
    assert anonymous.get(published.get_absolute_url()).status_code == 302


def test_the_library_lists_published_postmortems_newest_first_with_filters(
    published, author_client
):
    draft = PostmortemFactory(incident__title="Still a draft")
    older = PostmortemFactory(incident__title="Older outage", status=PostmortemStatus.PUBLISHED)
    older.published_at = published.published_at.replace(year=2025)
    older.save()
    older.incident.services.set([ServiceFactory(name="Search")])
    page = author_client.get(reverse("postmortems:library"))
    titles = [p.incident.title for p in page.context["page"].object_list]
    assert titles == ["Checkout outage", "Older outage"]
    assert draft.incident.title not in page.content.decode()
    filtered = author_client.get(reverse("postmortems:library"), {"service": "search"})
    assert [p.incident.title for p in filtered.context["page"].object_list] == ["Older outage"]


def test_library_queries_do_not_grow(author_client, django_assert_max_num_queries):
    def add(n):
        for postmortem in PostmortemFactory.create_batch(n, status=PostmortemStatus.PUBLISHED):
            postmortem.incident.services.set([ServiceFactory(name="Search")])

    add(2)
    # Session, user, roles, the data version and the kept count, the page, services, the
    # filters' services and teams, the bell.
    with django_assert_max_num_queries(10) as few:
        author_client.get(reverse("postmortems:library"))
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        author_client.get(reverse("postmortems:library"))


def test_review_queue_shows_what_waits_for_whom(make_client, postmortem, author, reviewer):
    for field in ("summary", "impact", "what_happened"):
        setattr(postmortem, field, "Written.")
    postmortem.save()
    review.request_review(postmortem=postmortem, actor=author, reviewers=[reviewer])
    queue = make_client(reviewer).get(reverse("postmortems:queue"))
    assert list(queue.context["to_review"]) == [postmortem]
    review.request_changes(postmortem=postmortem, actor=reviewer, comment="More detail")
    assert list(make_client(reviewer).get(reverse("postmortems:queue")).context["to_review"]) == []
    author_queue = make_client(author).get(reverse("postmortems:queue"))
    assert list(author_queue.context["changes_requested"]) == [postmortem]
