"""WCAG 2.1 AA on every main page: axe-core (static/vendor) finds no serious or critical violation,
signed out and signed in as each role, at desktop and phone widths.

axe is evaluated in the page through the DevTools protocol, so the pages' strict
Content-Security-Policy stays as it is: no inline script is added, and a page that broke the
policy would log an error, which fails the test too.
"""

from datetime import date

import pytest
from django.conf import settings
from playwright.sync_api import expect

from incidents.models import Severity, Status, TimelineKind
from postmortems.review import add_comment, request_review
from postmortems.services import postmortem_create
from tests.e2e.conftest import sign_in
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    NotificationFactory,
    PostmortemFactory,
    ServiceFactory,
    TeamFactory,
    TimelineEntryFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE_SOURCE = settings.BASE_DIR / "static" / "vendor" / "axe-core-4.14.1" / "axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
RUN_AXE = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        targets: v.nodes.map(node => `${node.target.join(" ")}: ${node.failureSummary}`),
    }));
}"""


def build_pages(author, reviewer, manager):
    """One incident of each kind of page's content; returns the paths each role visits."""
    payments_team = TeamFactory(name="Payments", manager=manager, members=[manager, author])
    checkout = ServiceFactory(name="Checkout", team=payments_team)
    outage = IncidentFactory(
        title="Checkout outage", severity=Severity.SEV1, created_by=author, services=[checkout]
    )
    entries = [
        TimelineEntryFactory(incident=outage, kind=kind, author=author, body=f"A *{kind}* entry.")
        for kind in TimelineKind.values
    ]
    published = PostmortemFactory(
        incident=outage,
        author=author,
        status="published",
        is_public=True,
        public_title="Checkout errors",
        public_summary="Some payments failed for **48 minutes**.",
    )
    for priority, status in [("P1", "open"), ("P2", "in_progress"), ("P3", "done")]:
        ActionItemFactory(postmortem=published, owner=author, priority=priority, status=status)
    ActionItemFactory(postmortem=published, owner=author, status="wont_do")

    slowdown = IncidentFactory(title="Search slowdown", severity=Severity.SEV2, created_by=author)
    in_review = postmortem_create(incident=slowdown, author=author, template=None)
    in_review.summary, in_review.impact = "Search was slow.", "Searches took 9 seconds."
    in_review.what_happened = "An index was dropped."
    in_review.save()
    request_review(postmortem=in_review, actor=author, reviewers=[reviewer])
    add_comment(postmortem=in_review, actor=reviewer, body="How many searches?", section="impact")

    login_errors = IncidentFactory(
        title="Login errors",
        severity=Severity.SEV3,
        status=Status.INVESTIGATING,
        mitigated_at=None,
        resolved_at=None,
        created_by=author,
    )
    postmortem_create(incident=login_errors, author=author, template=None)
    item = ActionItemFactory(postmortem=published, owner=author, due_date=date(2020, 1, 6))
    for recipient in (author, reviewer, manager):
        NotificationFactory(recipient=recipient)

    incident_page, postmortem_page = outage.get_absolute_url(), published.get_absolute_url()
    review_page = f"/postmortems/{slowdown.reference}/review/"
    # The questionnaire after publishing: the author is asked (survey.invite does it on publish).
    published.survey_invitations.create(person=author)
    shared = ["/incidents/", "/search/?q=checkout", "/notifications/", "/account/"]
    return {
        None: ["/login/", "/status/", f"/status/{published.public_id}/"],
        "author": [
            *shared,
            incident_page,
            postmortem_page,
            review_page,
            "/postmortems/review-queue/",
            "/actions/",
            "/actions/mine/",
            item.get_absolute_url(),
            "/incidents/new/",
            f"/postmortems/{login_errors.reference}/edit/",
            f"/postmortems/{login_errors.reference}/factors/",
            "/postmortems/",
            "/postmortems/library/",
            f"/postmortems/{login_errors.reference}/review/",
            f"/postmortems/{outage.reference}/history/",
            f"/incidents/{outage.reference}/edit/",
            f"/incidents/{outage.reference}/timeline/{entries[0].pk}/history/",
            f"/actions/postmortem/{outage.reference}/new/",
            f"/postmortems/{outage.reference}/survey/answer/",
            f"/postmortems/{outage.reference}/survey/",
        ],
        "reviewer": [*shared, "/postmortems/review-queue/", review_page, postmortem_page],
        "manager": [
            *shared,
            "/actions/dashboard/",
            "/insights/",
            "/actions/",
            incident_page,
            "/teams/",
            f"/teams/{payments_team.slug}/",
        ],
    }


def serious_violations(page, axe: str, where: str) -> list[str]:
    """axe's serious and critical findings on the open page, at desktop and phone widths."""
    page.evaluate(axe)
    found = []
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        found += [
            f"{where} at {viewport['width']} px: {violation['id']} ({violation['impact']})"
            f" {violation['help']}; at {violation['targets']}"
            for violation in page.evaluate(RUN_AXE)
            if violation["impact"] in FAILING_IMPACTS
        ]
    page.set_viewport_size(DESKTOP)
    return found


def test_every_main_page_has_no_serious_accessibility_violation(
    new_page, author, reviewer, manager
):
    paths_by_role = build_pages(author, reviewer, manager)
    axe = AXE_SOURCE.read_text()
    failures = []
    for role, paths in paths_by_role.items():
        page = new_page()
        if role:
            sign_in(page, role)
        for path in paths:
            response = page.goto(path)
            assert response.ok, f"{path} as {role}: HTTP {response.status}"
            failures += serious_violations(page, axe, f"{path} as {role or 'visitor'}")
        assert page.errors == [], f"as {role}: {page.errors}"
        if role == "author":  # a form showing its errors
            page.goto("/incidents/new/")
            page.get_by_role("button", name="Declare incident").click()
            expect(page.locator(".invalid-feedback").first).to_be_visible()
            failures += serious_violations(page, axe, "/incidents/new/ sent empty")

    # A form showing its errors: the sign-in page after a wrong password.
    page = new_page()
    page.goto("/login/")
    page.get_by_label("Username").fill("author")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    failures += serious_violations(page, axe, "/login/ after a wrong password")
    assert not failures, "axe-core found:\n" + "\n".join(failures)
