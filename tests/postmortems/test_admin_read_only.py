"""One way to change state: a postmortem's status, approvals, publication, version, revisions
and audit trail, action items' and timelines' histories and incident changes are read-only in
the Django admin, for superusers too. Staff change them through the workflow's pages."""

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem
from incidents.models import (
    EntryChangeAction,
    IncidentChange,
    IncidentField,
    TimelineEntryChange,
)
from postmortems.audit import record_audit
from postmortems.models import AuditAction, Postmortem, PostmortemStatus, ReviewRequest
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    PostmortemFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(make_client):
    return make_client(UserFactory(username="root", is_staff=True, is_superuser=True))


@pytest.fixture
def published(reviewer):
    postmortem = PostmortemFactory(status=PostmortemStatus.PUBLISHED, public_title="Checkout")
    ReviewRequest.objects.create(
        postmortem=postmortem,
        reviewer=reviewer,
        requested_by=postmortem.author,
        approved_at=timezone.now(),
    )
    record_audit(
        postmortem,
        actor=reviewer,
        action=AuditAction.PUBLISHED,
        from_status=PostmortemStatus.APPROVED,
    )
    return postmortem


def test_posting_a_changed_status_in_the_admin_changes_nothing(superuser_client, published):
    url = reverse("admin:postmortems_postmortem_change", args=[published.pk])
    page = superuser_client.get(url)
    assert page.status_code == 200  # staff may look
    assert 'name="status"' not in page.content.decode()

    response = superuser_client.post(
        url,
        {
            "incident": published.incident_id,
            "author": published.author_id,
            "status": PostmortemStatus.DRAFT,
            "version": 99,
            "is_public": "",
            "public_title": "Rewritten",
            "summary": "Rewritten silently",
        },
    )

    assert response.status_code == 403
    published.refresh_from_db()
    assert published.status == PostmortemStatus.PUBLISHED
    assert published.version == 1 and published.public_title == "Checkout"
    assert published.summary == "A config change broke checkout."


def test_the_postmortem_page_in_the_admin_shows_approvals_and_the_audit_trail_read_only(
    superuser_client, published, reviewer
):
    page = superuser_client.get(
        reverse("admin:postmortems_postmortem_change", args=[published.pk])
    ).content.decode()
    assert reviewer.display_name in page  # the approval and the audit entry
    assert 'name="review_requests-0-approved_at"' not in page
    assert 'name="audit-0-reason"' not in page
    assert "DELETE" not in page  # no delete boxes on the inlines


def _delete_urls(published):
    item = ActionItemFactory(postmortem=published)
    entry = TimelineEntryFactory(incident=published.incident)
    entry_change = TimelineEntryChange.objects.create(
        entry=entry,
        action=EntryChangeAction.EDITED,
        before=entry.snapshot(),
        after=entry.snapshot(),
        changed_by=entry.author,
    )
    incident_change = IncidentChange.objects.create(
        incident=published.incident,
        field=IncidentField.TITLE,
        old_value="Old",
        new_value="New",
        changed_by=entry.author,
    )
    audit = published.audit.get()
    return {
        "postmortem": reverse("admin:postmortems_postmortem_delete", args=[published.pk]),
        "audit entry": reverse("admin:postmortems_auditentry_delete", args=[audit.pk]),
        "action item": reverse("admin:actions_actionitem_delete", args=[item.pk]),
        "timeline change": reverse(
            "admin:incidents_timelineentrychange_delete", args=[entry_change.pk]
        ),
        "incident change": reverse(
            "admin:incidents_incidentchange_delete", args=[incident_change.pk]
        ),
    }


def test_delete_pages_answer_403_even_for_superusers(superuser_client, published):
    for what, url in _delete_urls(published).items():
        assert superuser_client.get(url).status_code == 403, what
        assert superuser_client.post(url, {"post": "yes"}).status_code == 403, what
    assert Postmortem.objects.filter(pk=published.pk).exists()
    assert published.audit.count() == 1
    assert ActionItem.objects.filter(postmortem=published).count() == 1
    assert TimelineEntryChange.objects.count() == 1 and IncidentChange.objects.count() == 1


@pytest.mark.parametrize(
    "model",
    [
        "postmortems_postmortem",
        "postmortems_auditentry",
        "incidents_incident",
        "incidents_timelineentrychange",
        "incidents_incidentchange",
    ],
)
def test_nothing_of_the_record_can_be_added_in_the_admin(superuser_client, model):
    assert superuser_client.get(reverse(f"admin:{model}_add")).status_code == 403


def test_incident_facts_cannot_be_changed_in_the_admin(superuser_client):
    incident = IncidentFactory(title="As declared")
    url = reverse("admin:incidents_incident_change", args=[incident.pk])
    assert superuser_client.get(url).status_code == 200
    response = superuser_client.post(url, {"title": "Changed unseen", "severity": "SEV1"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.title == "As declared" and not incident.changes.exists()


def test_bulk_delete_is_not_offered_on_the_lists(superuser_client, published):
    for model in ("postmortems_postmortem", "postmortems_auditentry", "actions_actionitem"):
        page = superuser_client.get(reverse(f"admin:{model}_changelist")).content.decode()
        assert "delete_selected" not in page, model
