"""The demo data's teams (demo/management/commands/seed_demo.py, ``seed_demo_teams``)."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from core.models import Team
from incidents.models import Service

pytestmark = pytest.mark.django_db


def test_the_demo_has_teams_with_managers_owning_every_demo_service(settings, client):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")  # once only

    teams = {team.name: team for team in Team.objects.select_related("manager")}
    assert set(teams) == {"Payments", "Platform", "Identity"}
    assert all(team.manager is not None for team in teams.values())
    assert set(teams["Payments"].members.values_list("username", flat=True)) == {"morgan", "alex"}
    assert not Service.objects.filter(team__isnull=True).exists()

    client.force_login(teams["Payments"].manager)
    page = client.get(reverse("teams:detail", args=["payments"]))
    assert page.status_code == 200 and page.context["page"].paginator.count > 0


def test_a_demo_team_changed_since_is_left_as_it_is(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    payments = Team.objects.get(name="Payments")
    payments.members.clear()
    Service.objects.filter(name="Checkout").update(team=Team.objects.get(name="Platform"))

    call_command("seed_demo")

    assert not payments.members.exists()
    assert Service.objects.get(name="Checkout").team.name == "Platform"
