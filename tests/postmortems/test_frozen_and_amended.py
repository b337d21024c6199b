"""Approved text is frozen; published text changes only through an approved amendment."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.urls import reverse

from actions.services import ActionItemError, action_item_update
from core.models import Role
from postmortems import amendments, review
from postmortems.models import Amendment, AmendmentStatus, AuditAction
from postmortems.models import PostmortemStatus as S
from postmortems.services import postmortem_create
from tests.e2e.conftest import DATA_MIGRATIONS
from tests.factories import ActionItemFactory, IncidentFactory, TimelineEntryFactory, UserFactory
from tests.postmortems import document_edits as edits
from tests.postmortems.conftest import in_state

pytestmark = pytest.mark.django_db

FROZEN = "frozen"
AMEND_FIRST = "start an amendment"


def _document(postmortem) -> tuple:
    """Everything a reader of the postmortem sees change when its document changes."""
    postmortem.refresh_from_db()
    incident = postmortem.incident
    incident.refresh_from_db()
    return (
        postmortem.content_version,
        postmortem.section_texts(),
        incident.title,
        sorted(incident.timeline_entries.values_list("body", flat=True)),
        sorted(postmortem.action_items.values_list("title", flat=True)),
    )


def _shown(client, response) -> str:
    """The page the person ends up on."""
    if response.status_code == 302:
        response = client.get(response.url)
    return response.content.decode()


# Every edit path, run by the author (a timeline entry they wrote, an item of the postmortem).
EDIT_PATHS = {
    "section": lambda c, pm, entry: edits.edit_section(c, pm),
    "all sections": lambda c, pm, entry: edits.edit_all_sections(c, pm),
    "restore a revision": lambda c, pm, entry: edits.restore_revision(c, pm),
    "add a timeline entry": lambda c, pm, entry: edits.add_timeline_entry(c, pm),
    "edit a timeline entry": lambda c, pm, entry: edits.edit_timeline_entry(c, pm, entry),
    "delete a timeline entry": lambda c, pm, entry: edits.delete_timeline_entry(c, pm, entry),
    "incident facts": lambda c, pm, entry: edits.edit_incident_title(c, pm),
    "add an action item": lambda c, pm, entry: edits.add_action_item(c, pm),
    "action item text": lambda c, pm, entry: edits.edit_action_item_title(c, pm.action_items.get()),
}

# (state, edit path, the refusal the author reads; None when the edit is silently impossible
# because the field is disabled)
REFUSALS = [
    *((S.APPROVED, path, FROZEN) for path in EDIT_PATHS),
    *((S.PUBLISHED, path, AMEND_FIRST) for path in EDIT_PATHS),
]
REFUSALS = [
    (state, path, None if path == "action item text" else refusal)
    for state, path, refusal in REFUSALS
]


@pytest.mark.parametrize(("state", "path", "refusal"), REFUSALS)
def test_approved_and_published_text_does_not_change_through_any_edit_path(
    state, path, refusal, ready, people, make_client
):
    entry = TimelineEntryFactory(incident=ready.incident, author=people["author"], body="Clue.")
    postmortem = in_state(ready, state, people)
    client = make_client(people["author"])
    before = _document(postmortem)

    response = EDIT_PATHS[path](client, postmortem, entry)

    assert response.status_code in (200, 302)
    assert _document(postmortem) == before
    if refusal:
        assert refusal in _shown(client, response)


@pytest.mark.parametrize("state", [S.APPROVED, S.PUBLISHED])
def test_the_action_item_service_refuses_text_changes_but_allows_tracking(state, ready, people):
    postmortem = in_state(ready, state, people)
    item = postmortem.action_items.get()
    with pytest.raises(ActionItemError):
        action_item_update(item=item, changed_by=people["author"], title="Rewritten")
    item.refresh_from_db()
    action_item_update(item=item, changed_by=people["author"], status="in_progress")
    item.refresh_from_db()
    assert item.status == "in_progress" and item.title != "Rewritten"


def test_approved_pages_show_no_edit_controls_only_a_banner(ready, people, make_client):
    TimelineEntryFactory(incident=ready.incident, author=people["author"], body="Clue.")
    postmortem = in_state(ready, S.APPROVED, people)
    reference = postmortem.incident.reference
    author = make_client(people["author"])
    page = author.get(postmortem.get_absolute_url()).content.decode()
    assert "frozen-banner" in page and "Withdraw approval" in page
    assert reverse("postmortems:edit", args=[reference]) not in page
    assert reverse("postmortems:edit-section", args=[reference, "summary"]) not in page
    assert "/timeline/" not in page.split('id="section-timeline"')[1].split("</section>")[0]
    assert "Add an action item" not in page
    incident_page = author.get(postmortem.incident.get_absolute_url()).content.decode()
    assert "timeline-frozen" in incident_page and "Add a timeline entry" not in incident_page
    edit_page = author.get(reverse("postmortems:edit", args=[reference]))
    assert edit_page.status_code == 302
    reviewer_page = make_client(people["reviewer"]).get(postmortem.get_absolute_url())
    assert "Withdraw approval" not in reviewer_page.content.decode()


# (who withdraws, with a reason?, allowed)
WITHDRAWALS = [
    ("author", True, True),
    ("co-author", True, True),
    ("staff", True, True),
    ("author", False, False),
    ("reviewer", True, False),
    ("manager", True, False),
    ("outsider", True, False),
]


@pytest.mark.parametrize(("who", "with_reason", "allowed"), WITHDRAWALS)
def test_withdrawing_an_approval(
    who, with_reason, allowed, ready, people, make_client, deliver_outbox
):
    postmortem = in_state(ready, S.APPROVED, people)
    client = make_client(people[who])
    reason = "The impact figure was wrong." if with_reason else ""
    deliver_outbox()  # what reaching this state queued
    mail.outbox.clear()
    response = client.post(
        postmortem.review_url(), {"action": "withdraw_approval", "reason": reason}
    )
    deliver_outbox()
    postmortem.refresh_from_db()
    if not allowed:
        assert response.status_code == 200
        assert postmortem.status == S.APPROVED and review.approvals(postmortem) == 1
        return
    assert response.status_code == 302
    assert postmortem.status == S.CHANGES_REQUESTED
    assert review.approvals(postmortem) == 0
    entry = postmortem.audit.get(action=AuditAction.APPROVAL_WITHDRAWN)
    assert entry.actor == people[who] and entry.reason == reason
    assert [m.to for m in mail.outbox] == [[people["reviewer"].email]]
    assert "Approval withdrawn" in mail.outbox[0].subject
    # The writers can change it again, then resubmit.
    assert edits.edit_section(make_client(people["author"]), postmortem).status_code == 302
    review.request_review(
        postmortem=postmortem, actor=people["author"], reviewers=[people["reviewer"]]
    )
    postmortem.refresh_from_db()
    assert postmortem.status == S.IN_REVIEW


# Amendments -------------------------------------------------------------------------------------


def _amendment_url(postmortem):
    return reverse("postmortems:amendment", args=[postmortem.incident.reference])


def _start(client, postmortem, reason="The error rate was 18%, not 8%."):
    return client.post(_amendment_url(postmortem), {"action": "start", "reason": reason})


def _propose(client, postmortem, **texts):
    amendment = postmortem.amendments.get(status=AmendmentStatus.OPEN)
    postmortem.refresh_from_db()
    data = {"action": "save", "version": postmortem.content_version, **amendment.proposed_text}
    data.update(texts)
    return client.post(_amendment_url(postmortem), data)


def _approve_amendment(client, postmortem):
    postmortem.refresh_from_db()
    return client.post(
        _amendment_url(postmortem),
        {"action": "approve", "seen_version": postmortem.content_version},
    )


@pytest.fixture
def published(ready, people):
    return in_state(ready, S.PUBLISHED, people)


# (who starts, with a reason?, allowed)
STARTS = [
    ("author", True, True),
    ("co-author", True, True),
    ("staff", True, True),
    ("author", False, False),
    ("reviewer", True, False),
    ("outsider", True, False),
]


@pytest.mark.parametrize(("who", "with_reason", "allowed"), STARTS)
def test_who_may_start_an_amendment(who, with_reason, allowed, published, people, make_client):
    response = _start(make_client(people[who]), published, "Typo" if with_reason else "")
    assert published.amendments.filter(status=AmendmentStatus.OPEN).exists() == allowed
    assert response.status_code == (302 if allowed else 200)


def test_readers_see_the_published_text_until_the_amendment_is_approved(
    published, people, make_client, client, deliver_outbox
):
    author = make_client(people["author"])
    published.refresh_from_db()
    old_summary = published.summary
    _start(author, published)
    assert (
        _propose(author, published, summary="Checkout failed for 18% of attempts.").status_code
        == 302
    )
    reader = make_client(UserFactory(username="reader"))

    def every_read_path() -> str:
        pages = [
            published.get_absolute_url(),
            reverse("postmortems:export", args=[published.incident.reference]),
            reverse("postmortems:library"),
            reverse("search:results") + "?q=attempts",
        ]
        return " ".join(reader.get(url).content.decode() for url in pages)

    seen = every_read_path()
    assert old_summary in seen and "18% of attempts" not in seen
    published.refresh_from_db()
    assert published.summary == old_summary

    response = _approve_amendment(make_client(people["other reviewer"]), published)
    deliver_outbox()
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.summary == "Checkout failed for 18% of attempts."
    page = reader.get(published.get_absolute_url()).content.decode()
    assert "18% of attempts" in page
    assert "The error rate was 18%, not 8%." in page  # the reason, in the list of amendments
    assert "<ins>" in page  # its diff
    assert published.revisions.first().note == "The error rate was 18%, not 8%."
    entry = published.audit.get(action=AuditAction.AMENDED)
    assert entry.actor == people["other reviewer"]
    assert "Amendment approved" in " ".join(m.subject for m in mail.outbox)


def test_a_published_postmortem_s_pages_offer_changes_only_while_an_amendment_is_open(
    published, people, make_client, django_assert_max_num_queries
):
    """The page and the review page ask for the open amendment once each, whatever asks."""
    author = make_client(people["author"])
    urls = [published.get_absolute_url(), published.review_url()]

    def controls() -> list[tuple[bool, bool, bool]]:
        shown = []
        for url in urls:
            page = author.get(url).content.decode()
            shown.append(
                (
                    "Add an action item" in page,
                    "Add or change factors" in page,
                    "open-amendment" in page,
                )
            )
        return shown

    assert controls() == [(False, False, False), (False, False, False)]
    _start(author, published)
    assert controls() == [(True, True, True), (True, True, False)]
    for url in urls:
        with django_assert_max_num_queries(30) as page:
            author.get(url)
        amendment_reads = [
            query
            for query in page.captured_queries
            if 'FROM "postmortems_amendment"' in query["sql"]
        ]
        assert len(amendment_reads) == 1, url
    amendment = published.amendments.get(status=AmendmentStatus.OPEN)
    amendments.withdraw_amendment(amendment=amendment, actor=people["author"], reason="No need.")
    assert controls() == [(False, False, False), (False, False, False)]


def test_the_public_summary_is_amended_too(published, people, make_client, client):
    author = make_client(people["author"])
    review_url = published.review_url()
    published.is_public, published.public_title, published.public_summary = True, "Old", "Old."
    published.save()
    _start(author, published)
    _propose(author, published, public_title="Checkout errors on 4 May")
    assert "Checkout errors on 4 May" not in client.get(reverse("public:list")).content.decode()
    assert "Checkout errors on 4 May" not in client.get(reverse("public:feed")).content.decode()
    _approve_amendment(make_client(people["other reviewer"]), published)
    assert "Checkout errors on 4 May" in client.get(reverse("public:list")).content.decode()
    assert review_url


def _reviewer_writer(published, people, client):
    author = people["author"]
    author.groups.add(*UserFactory(username="r0", roles=[Role.REVIEWER]).groups.all())
    return author


def _former_co_author(published, people, client):
    former = people["reviewing co-author"]
    published.co_authors.remove(former)
    return former


def _changed_the_proposed_text(published, people, client):
    _propose(client, published, impact="Reviewer's wording.")
    return people["reviewer"]


def _changed_the_timeline_during_it(published, people, client):
    assert edits.add_timeline_entry(client, published).status_code == 302
    return people["reviewer"]


def _started_it(published, people, client):
    return None  # the opener, set below


def _a_manager(published, people, client):
    return people["manager"]


def _another_reviewer(published, people, client):
    return people["other reviewer"]


# (who approves the amendment, allowed)
AMENDMENT_APPROVERS = [
    (_reviewer_writer, False),
    (_former_co_author, False),
    (_changed_the_proposed_text, False),
    (_changed_the_timeline_during_it, False),
    (_started_it, False),
    (_a_manager, False),
    (_another_reviewer, True),
]


@pytest.mark.parametrize(
    ("who", "allowed"), AMENDMENT_APPROVERS, ids=[w.__name__ for w, _a in AMENDMENT_APPROVERS]
)
def test_who_may_approve_an_amendment(who, allowed, published, people, make_client):
    opener = UserFactory(username="ops-reviewer", is_staff=True, roles=[Role.REVIEWER])
    _start(make_client(opener), published)
    _propose(make_client(people["author"]), published, summary="Amended summary.")
    approver = who(published, people, make_client(people["reviewer"])) or opener
    response = _approve_amendment(make_client(approver), published)
    published.refresh_from_db()
    assert (published.summary == "Amended summary.") == allowed
    amendment = published.amendments.get()
    assert amendment.status == (AmendmentStatus.APPLIED if allowed else AmendmentStatus.OPEN)
    assert response.status_code == (302 if allowed else 200)


def test_timeline_changes_during_an_amendment_reach_readers_only_once_it_is_approved(
    published, people, make_client
):
    author = make_client(people["author"])
    _start(author, published)
    assert edits.add_timeline_entry(author, published, "Rolled back the flag.").status_code == 302
    assert edits.edit_incident_title(author, published, "Card checkout outage").status_code == 302
    reader = make_client(UserFactory(username="reader"))
    page = reader.get(published.get_absolute_url()).content.decode()
    assert "Rolled back the flag." not in page and "Card checkout outage" not in page
    change = published.changes.get(description__startswith="Added the timeline entry at ")
    assert change.amendment == published.amendments.get()
    _approve_amendment(make_client(people["other reviewer"]), published)
    page = reader.get(published.get_absolute_url()).content.decode()
    assert "Rolled back the flag." in page and "Card checkout outage" in page


def test_withdrawing_an_amendment_keeps_the_published_text(published, people, make_client):
    author = make_client(people["author"])
    _start(author, published)
    _propose(author, published, summary="Not needed after all.")
    url = _amendment_url(published)
    refused = author.post(url, {"action": "withdraw", "reason": ""})
    assert refused.status_code == 200
    assert (
        author.post(url, {"action": "withdraw", "reason": "Misread the graph."}).status_code == 302
    )
    published.refresh_from_db()
    assert published.summary != "Not needed after all."
    amendment = published.amendments.get()
    assert amendment.status == AmendmentStatus.WITHDRAWN
    assert published.audit.filter(action=AuditAction.AMENDMENT_WITHDRAWN).exists()
    # Without an open amendment the timeline is closed again.
    response = edits.add_timeline_entry(author, published)
    assert AMEND_FIRST in _shown(author, response)
    page = author.get(published.get_absolute_url()).content.decode()
    assert "Misread the graph." in page


def test_only_one_amendment_is_open_at_a_time(published, people, make_client):
    author = make_client(people["author"])
    _start(author, published)
    with pytest.raises(review.TransitionRefused, match="already open"):
        amendments.start_amendment(postmortem=published, actor=people["author"], reason="Again")
    assert Amendment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_amendment_is_approved_through_the_view_outside_a_test_transaction(make_client):
    # A transactional test flushes what data migrations created (the roles): put them back.
    for module, function in DATA_MIGRATIONS:
        getattr(importlib.import_module(module), function)(django_apps, None)
    author = UserFactory(username="author", roles=[Role.AUTHOR])
    people = {
        "author": author,
        "co-author": UserFactory(username="coauthor", roles=[Role.AUTHOR]),
        "reviewing co-author": UserFactory(username="rc", roles=[Role.REVIEWER]),
        "reviewer": UserFactory(username="reviewer", roles=[Role.REVIEWER]),
    }
    postmortem = postmortem_create(incident=IncidentFactory(), author=author, template=None)
    for field in ("summary", "impact", "what_happened"):
        setattr(postmortem, field, f"Written {field}.")
    postmortem.save()
    ActionItemFactory(postmortem=postmortem)
    in_state(postmortem, S.PUBLISHED, people)
    client = make_client(author)
    assert _start(client, postmortem).status_code == 302
    assert _propose(client, postmortem, summary="Amended.").status_code == 302
    second = UserFactory(username="second", roles=[Role.REVIEWER])
    assert _approve_amendment(make_client(second), postmortem).status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.summary == "Amended."


def test_action_item_text_changed_in_an_amendment_reaches_readers_once_it_is_approved(
    published, people, make_client
):
    author = make_client(people["author"])
    item = published.action_items.get()
    published_title = item.title
    _start(author, published)
    assert edits.edit_action_item_title(author, item, "Validate timeouts in CI").status_code == 302
    response = edits.add_action_item(author, published, "Alert on unit mismatches")
    assert response.status_code == 302
    reader = make_client(UserFactory(username="reader"))
    page = reader.get(published.get_absolute_url()).content.decode()
    assert published_title in page
    assert "Validate timeouts in CI" not in page and "Alert on unit mismatches" not in page
    assert {c.amendment_id for c in published.changes.all()} == {published.amendments.get().pk}
    _approve_amendment(make_client(people["other reviewer"]), published)
    page = reader.get(published.get_absolute_url()).content.decode()
    assert "Validate timeouts in CI" in page and "Alert on unit mismatches" in page


def test_an_amendment_changed_after_the_reviewer_read_it_is_not_approved_unread(
    published, people, make_client
):
    author, checker = make_client(people["author"]), make_client(people["other reviewer"])
    _start(author, published)
    published.refresh_from_db()
    read_version = published.content_version
    _propose(author, published, summary="Changed while the reviewer was reading.")
    response = checker.post(
        _amendment_url(published), {"action": "approve", "seen_version": read_version}
    )
    assert "changed since you loaded it" in response.content.decode()
    assert published.amendments.get().status == AmendmentStatus.OPEN


def test_only_writers_reviewers_and_staff_see_a_proposed_amendment(published, people, make_client):
    author = make_client(people["author"])
    _start(author, published)
    _propose(author, published, summary="Proposed, not approved.")
    reader_page = make_client(UserFactory(username="reader")).get(_amendment_url(published))
    assert "Proposed, not approved." not in reader_page.content.decode()
    reviewer_page = make_client(people["other reviewer"]).get(_amendment_url(published))
    assert "Proposed, not approved." in reviewer_page.content.decode()
