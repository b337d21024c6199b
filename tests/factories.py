from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from core.models import User
from incidents.models import Incident, Service, Severity, Status, TimelineEntry, TimelineKind

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
        if create:
            self.save()


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Service {n}")


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Incident number {n}")
    severity = Severity.SEV2
    status = Status.RESOLVED
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))
    detected_at = factory.LazyAttribute(lambda i: i.started_at + timedelta(minutes=5))
    mitigated_at = factory.LazyAttribute(lambda i: i.started_at + timedelta(minutes=30))
    resolved_at = factory.LazyAttribute(lambda i: i.started_at + timedelta(hours=2))
    customer_impact = "Some customers saw errors."
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)


class TimelineEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEntry

    incident = factory.SubFactory(IncidentFactory)
    occurred_at = factory.LazyAttribute(lambda e: e.incident.started_at + timedelta(minutes=10))
    kind = TimelineKind.INVESTIGATION
    body = "Looked at the dashboards."
    author = factory.SubFactory(UserFactory)


class PostmortemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "postmortems.Postmortem"
        skip_postgeneration_save = True

    incident = factory.SubFactory(IncidentFactory)
    author = factory.SubFactory(UserFactory)
    summary = "A config change broke checkout."
    impact = "Checkout failed for 18% of attempts for 48 minutes."
    what_happened = "The timeout unit was read as seconds, not milliseconds."
    status = "draft"
    published_at = factory.LazyAttribute(
        lambda p: timezone.now() if p.status == "published" else None
    )

    @factory.post_generation
    def co_authors(self, create, extracted, **kwargs):
        if create and extracted:
            self.co_authors.set(extracted)


class ActionItemFactory(factory.django.DjangoModelFactory):
    """An open P2 item due in eight weeks, owned by a new user. Done items get completed_at and
    won't-do items a reason, as the database requires."""

    class Meta:
        model = "actions.ActionItem"

    # Published, so everyone signed in may read the item (a draft's items are hidden from
    # outsiders: see ActionItemQuerySet.visible_to). Pass a draft postmortem to test that.
    postmortem = factory.SubFactory(PostmortemFactory, status="published")
    title = factory.Sequence(lambda n: f"Action item {n}")
    owner = factory.SubFactory(UserFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(weeks=8))
    priority = "P2"
    kind = "prevent"
    status = "open"
    created_by = factory.LazyAttribute(lambda item: item.postmortem.author)
    completed_at = factory.LazyAttribute(
        lambda item: timezone.now() if item.status == "done" else None
    )
    resolution_note = factory.LazyAttribute(
        lambda item: "Not worth the cost." if item.status == "wont_do" else ""
    )


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "incidents.Tag"
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"tag{n}")
    slug = factory.LazyAttribute(lambda tag: tag.name)


class NotificationFactory(factory.django.DjangoModelFactory):
    """An unread notification of a review request, for a new user."""

    class Meta:
        model = "notifications.Notification"

    recipient = factory.SubFactory(UserFactory)
    kind = "review_requested"
    actor = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"INC-{n} Something broke")
    url = "/postmortems/"


class AlertIntegrationFactory(factory.django.DjangoModelFactory):
    """An integration with a secret issued: ``integration.plain_secret`` is what the sender
    would have been shown. Its severity table maps critical and page to SEV1, warning to SEV3;
    anything else gets SEV4."""

    class Meta:
        model = "alerting.AlertIntegration"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Alerts {n}")
    kind = "alertmanager"
    default_severity = Severity.SEV4
    reporter = factory.SubFactory(UserFactory, username="alertmanager")

    @factory.post_generation
    def severity_rules(self, create, extracted, **kwargs):
        if not create:
            return
        table = (
            extracted
            if extracted is not None
            else {
                "critical": Severity.SEV1,
                "page": Severity.SEV1,
                "warning": Severity.SEV3,
            }
        )
        for value, severity in table.items():
            self.severity_rules.create(label_value=value, severity=severity)

    @factory.post_generation
    def plain_secret(self, create, extracted, **kwargs):
        if create:
            self.plain_secret = self.issue_secret()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "core.Team"
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


def _factor_category(name):
    from postmortems.models import FactorCategory

    return FactorCategory.objects.get(name=name)


class ContributingFactorFactory(factory.django.DjangoModelFactory):
    """A factor under Technical › Software defect (seeded by the migration)."""

    class Meta:
        model = "postmortems.ContributingFactor"
        skip_postgeneration_save = True

    postmortem = factory.SubFactory(PostmortemFactory)
    category = factory.LazyFunction(lambda: _factor_category("Software defect"))
    description = "The retry loop had no upper bound."

    @factory.post_generation
    def timeline_entries(self, create, extracted, **kwargs):
        if create and extracted:
            self.timeline_entries.set(extracted)
