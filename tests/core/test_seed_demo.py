import pytest
from django.core.management import CommandError, call_command

from core.models import User
from incidents.models import Incident, TimelineEntry

pytestmark = pytest.mark.django_db


def test_demo_data_loads_once_and_logins_work(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (User.objects.count(), Incident.objects.count(), TimelineEntry.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Incident.objects.count(), TimelineEntry.objects.count()) == counts
    assert counts[1] > 0
    assert User.objects.get(username="alex").check_password("hindsight-demo")
    assert "alex" in capsys.readouterr().out


def test_the_demo_has_a_french_speaking_reviewer(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    jordan = User.objects.get(username="jordan")
    assert jordan.language == "fr"
    assert User.objects.get(username="riley").language == ""
    assert "jordan   Jordan (Reviewer): lands on the review queue, in French" in (
        capsys.readouterr().out
    )


def test_demo_data_refuses_to_load_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")


def test_the_published_demo_postmortem_has_factors_linked_to_its_timeline(settings):
    from postmortems.models import ContributingFactor

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    factors = ContributingFactor.objects.select_related("postmortem")
    assert factors.count() == 3
    assert {factor.postmortem.status for factor in factors} == {"published"}
    assert all(factor.timeline_entries.exists() for factor in factors)


def test_the_demo_tells_the_story_in_every_state_over_months(settings, client):
    from datetime import timedelta

    from django.utils import timezone

    from actions.models import ActionItem
    from postmortems.models import Postmortem

    settings.DEBUG = True
    call_command("seed_demo")
    postmortems = Postmortem.objects.all()
    states = set(postmortems.values_list("status", flat=True))
    assert states == {"draft", "in_review", "changes_requested", "approved", "published"}
    assert postmortems.filter(status="published").count() >= 4
    in_review = postmortems.get(status="in_review")
    assert in_review.comments.filter(parent__isnull=True).count() >= 2
    assert in_review.comments.filter(parent__isnull=False).exists()  # a reply
    months = {p.incident.started_at.strftime("%Y-%m") for p in postmortems}
    assert len(months) >= 4
    today = timezone.localdate()
    items = ActionItem.objects.all()
    assert items.overdue(today).count() >= 3
    assert items.to_do().filter(due_date__range=(today, today + timedelta(days=7))).exists()

    # Each role finds work where they land.
    client.force_login(User.objects.get(username="riley"))
    queue = client.get(client.get("/").url).content.decode()
    assert "Search results stale for two days" in queue
    client.force_login(User.objects.get(username="alex"))
    home = client.get(client.get("/").url).content.decode()
    assert "Email notifications delayed by a queue backlog" in home  # sent back to alex
    assert "Overdue by" in home
