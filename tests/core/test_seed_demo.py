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
