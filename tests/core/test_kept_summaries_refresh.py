"""Kept summaries refreshed by the worker (core/snapshots.py, ``KEPT_SUMMARIES_REFRESH =
"worker"``, production's setting; the other tests compute in the request): after a write the
dashboard and the insights serve the figures last computed, say that newer changes are being
counted, and queue one job, which a real worker runs; the next view shows the new figures. The
first view ever, and any view once the last figures are older than MAX_AGE, computes its own."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from core import snapshots
from core.models import KeptSummary
from tests.conftest import pin_clock
from tests.factories import ActionItemFactory, IncidentFactory

DASHBOARD = reverse("actions:dashboard")
INSIGHTS = reverse("insights:index")
COUNTING = "Changes made since then are being counted"


@pytest.fixture(autouse=True)
def refreshed_by_the_worker(settings):
    settings.KEPT_SUMMARIES_REFRESH = "worker"


def _to_do(response) -> int:
    return int(re.search(r'data-count="to_do">(\d+) item', response.content.decode())[1])


def _refresh_jobs() -> int:
    return ProcrastinateJob.objects.filter(task_name=snapshots.REFRESH_TASK, status="todo").count()


def _overdue_item():
    return ActionItemFactory(due_date=timezone.localdate() - timedelta(days=3))


@pytest.mark.django_db(transaction=True)
def test_after_a_write_the_dashboard_shows_the_last_counts_until_the_worker_counted_again(
    manager, make_client, run_worker
):
    client = make_client(manager)
    _overdue_item()
    first = client.get(DASHBOARD)  # the first view ever computes its own
    assert _to_do(first) == 1
    assert COUNTING not in first.content.decode()

    _overdue_item()
    after_write = client.get(DASHBOARD)
    again = client.get(DASHBOARD)
    for response in (after_write, again):
        assert _to_do(response) == 1
        assert "Counts as of 23:30" in response.content.decode()
        assert COUNTING in response.content.decode()
    assert _refresh_jobs() == 1  # one job for the change, however many views

    run_worker()
    refreshed = client.get(DASHBOARD)
    assert _to_do(refreshed) == 2
    assert COUNTING not in refreshed.content.decode()
    assert _refresh_jobs() == 0


@pytest.mark.django_db(transaction=True)
def test_after_a_write_the_insights_show_the_last_figures_until_the_worker_computed_them(
    author_client, run_worker
):
    IncidentFactory()
    assert author_client.get(INSIGHTS).context["incident_count"] == 1

    IncidentFactory()
    after_write = author_client.get(INSIGHTS)
    assert after_write.context["incident_count"] == 1
    assert COUNTING in after_write.content.decode()
    assert _refresh_jobs() == 1

    run_worker()
    refreshed = author_client.get(INSIGHTS)
    assert refreshed.context["incident_count"] == 2
    assert COUNTING not in refreshed.content.decode()
    # Computed by the worker, not by this request: the page has no figures of its own.
    assert "figures" not in refreshed.context


@pytest.mark.django_db
def test_figures_older_than_max_age_are_never_served_the_page_computes_its_own(
    manager, make_client, monkeypatch, pinned_now
):
    client = make_client(manager)
    _overdue_item()
    assert _to_do(client.get(DASHBOARD)) == 1
    _overdue_item()  # no worker runs
    pin_clock(monkeypatch, lambda: pinned_now + snapshots.MAX_AGE + timedelta(seconds=1))
    late = client.get(DASHBOARD)
    assert _to_do(late) == 2
    assert COUNTING not in late.content.decode()


@pytest.mark.django_db
def test_a_refresh_for_a_viewer_whose_account_is_gone_keeps_nothing(manager, make_client):
    client = make_client(manager)
    _overdue_item()
    client.get(DASHBOARD)
    kept = KeptSummary.objects.get(name="dashboard")
    _overdue_item()
    manager.is_active = False
    manager.save()
    assert snapshots.refresh("dashboard", kept.digest) == "no longer the same summary"
    assert not KeptSummary.objects.filter(name="dashboard").exists()


@pytest.mark.django_db
def test_a_refresh_with_nothing_new_computes_nothing(author_client):
    author_client.get(INSIGHTS)
    kept = KeptSummary.objects.get(name="insights")
    assert snapshots.refresh("insights", kept.digest) == "already current"
