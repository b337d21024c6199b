"""Kept summaries (core/snapshots.py): the data version moves with every write to a watched
table, whatever writes it, and a kept value is computed once per version."""

import pytest
from django.db import connection

from core.snapshots import data_version, snapshot
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

# Every table the insights and the dashboard read (users and incidents: see below).
WATCHED = [
    "core_user_groups",
    "core_team",
    "core_team_members",
    "incidents_incident_services",
    "incidents_incident_tags",
    "incidents_incidentlink",
    "incidents_service",
    "incidents_tag",
    "postmortems_postmortem",
    "postmortems_postmortem_co_authors",
    "actions_actionitem",
    "postmortems_factorcategory",
    "postmortems_contributingfactor",
    "postmortems_contributingfactor_timeline_entries",
]


def _write(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.mark.parametrize("table", WATCHED)
def test_any_statement_on_a_watched_table_moves_the_data_version(table):
    before = data_version()
    # Raw SQL that changes nothing: the trigger is the database's, per statement.
    _write(f"UPDATE {table} SET id = id WHERE false")
    assert data_version() > before


@pytest.mark.parametrize(
    ("factory", "table", "shown", "bookkeeping"),
    [
        (UserFactory, "core_user", "first_name = 'Ann'", "last_login = now()"),
        (IncidentFactory, "incidents_incident", "title = 'Renamed'", "similar_computed_at = now()"),
    ],
)
def test_users_and_incidents_move_it_unless_only_bookkeeping_changed(
    factory, table, shown, bookkeeping
):
    row = factory()
    before = data_version()
    # A sign-in, or the worker stamping a similar-incidents list: no summary shows either.
    _write(f"UPDATE {table} SET {bookkeeping} WHERE id = {row.pk}")
    assert data_version() == before
    _write(f"UPDATE {table} SET {shown}, {bookkeeping} WHERE id = {row.pk}")
    moved = data_version()
    assert moved > before
    _write(f"DELETE FROM {table} WHERE id = {row.pk}")
    assert data_version() > moved


def test_writes_to_other_tables_leave_the_data_version_alone():
    before = data_version()
    _write("UPDATE incidents_timelineentry SET id = id WHERE false")
    _write("UPDATE notifications_notification SET id = id WHERE false")
    assert data_version() == before


def test_a_kept_value_is_computed_once_per_data_version():
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    first = snapshot("test", ("a",), compute)
    assert snapshot("test", ("a",), compute).value == first.value == 1
    assert snapshot("test", ("b",), compute).value == 2  # other parts, another value
    IncidentFactory()
    assert snapshot("test", ("a",), compute).value == 3
    assert len(computed) == 3


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_is_seen_by_the_next_request(author_client):
    """Through real commits (no test transaction around them): the page after a write
    computes afresh."""
    assert author_client.get("/insights/").context["incident_count"] == 0
    IncidentFactory()
    assert author_client.get("/insights/").context["incident_count"] == 1
