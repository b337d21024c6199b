"""/readyz/: what a load balancer sees while the database, the migrations or the workers are
not ready, checked against the real test database."""

from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse
from django.utils import timezone

from core import health, queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def workers_table():
    """The task queue's workers table. Until the queue is installed it does not exist here, so
    it is created the way procrastinate 3.x creates it, inside the test's transaction (rolled
    back afterwards); once installed, the real one is used."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {queue.POSTGRES_WORKERS_TABLE} ("
            " id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,"
            " last_heartbeat timestamp with time zone NOT NULL DEFAULT NOW())"
        )
        cursor.execute(f"DELETE FROM {queue.POSTGRES_WORKERS_TABLE}")


def record_heartbeat(seconds_ago: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {queue.POSTGRES_WORKERS_TABLE} (last_heartbeat) VALUES (%s)",
            [timezone.now() - timedelta(seconds=seconds_ago)],
        )


def unrecord_latest_migration(app_label: str) -> str:
    latest = MigrationRecorder.Migration.objects.filter(app=app_label).latest("id")
    latest.delete()
    return f"{app_label}.{latest.name}"


def test_ready_when_the_database_is_up_migrations_applied_and_a_worker_beat_lately(
    client, workers_table
):
    record_heartbeat(seconds_ago=20)

    response = client.get(reverse("readyz"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "failed": [],
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


def test_load_balancers_may_ask_with_head(client, workers_table):
    record_heartbeat(seconds_ago=20)

    assert client.head(reverse("readyz")).status_code == 200
    assert client.post(reverse("readyz")).status_code == 405


def test_not_ready_while_a_migration_is_unapplied(client, workers_table):
    record_heartbeat(seconds_ago=20)
    unapplied = unrecord_latest_migration("core")

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert unapplied in body["checks"]["migrations"]
    assert health.unapplied_migrations() == [unapplied]


def test_not_ready_when_the_freshest_worker_heartbeat_is_stale(client, workers_table, settings):
    settings.HINDSIGHT_WORKER_STALE_AFTER = 300
    record_heartbeat(seconds_ago=301)
    record_heartbeat(seconds_ago=900)

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["worker"]
    assert "No task-queue worker seen for 301 s (allowed 300 s)" in body["checks"]["worker"]


def test_one_fresh_worker_among_stale_ones_is_enough(client, workers_table):
    record_heartbeat(seconds_ago=3600)
    record_heartbeat(seconds_ago=5)

    assert client.get(reverse("readyz")).status_code == 200


def test_not_ready_when_no_worker_row_exists(client, workers_table):
    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "No task-queue worker has been seen; start one."


def test_not_ready_but_no_error_before_the_task_queue_has_its_tables(client):
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {queue.POSTGRES_WORKERS_TABLE} CASCADE")

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json()["failed"] == ["worker"]
    assert queue.last_worker_heartbeat() is None


def test_worker_check_can_be_switched_off(client, settings):
    settings.HINDSIGHT_WORKER_STALE_AFTER = 0

    assert client.get(reverse("readyz")).status_code == 200


def test_not_ready_and_no_error_when_the_database_cannot_be_reached(client, monkeypatch):
    # A second connection to the same server on a port where nothing listens.
    settings_dict = {**connection.settings_dict, "HOST": "127.0.0.1", "PORT": "9"}
    monkeypatch.setattr(
        health, "connection", type(connections["default"])(settings_dict, "default")
    )

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["database", "migrations", "worker"]
    assert body["checks"]["database"].startswith("The database cannot be reached:")
    assert body["checks"]["worker"] == "Not checked: the database cannot be reached."


def test_readiness_needs_no_sign_in_and_sets_no_cookie(client, workers_table):
    record_heartbeat(seconds_ago=1)

    response = client.get(reverse("readyz"))

    assert response.status_code == 200
    assert not response.cookies
