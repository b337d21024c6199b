"""Dates outside 1970-01-01 … 2100-12-31 are refused everywhere a person can type one.

A timeline entry at 9999-12-31 23:00 in Los Angeles is year 10000 in UTC: once stored, every
page that read it answered 500 for everyone.
"""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from actions.models import ActionItem
from core.dates import refuse_out_of_range_rows
from core.models import Role
from incidents.models import Incident, TimelineEntry
from tests.actions.conftest import new_item_data
from tests.factories import IncidentFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db

ZONES = ["America/Los_Angeles", "Pacific/Auckland", "UTC"]
OUT_OF_RANGE = "Enter a date from 1970-01-01 to 2100-12-31."


def _client_in(client, zone):
    user = UserFactory(username="writer", time_zone=zone, roles=[Role.AUTHOR])
    client.force_login(user)
    return client


def _entry_data(occurred_at):
    return {"occurred_at": occurred_at, "kind": "note", "body": "Typed by hand"}


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("typed", ["9999-12-31T23:00", "2101-01-01T00:00", "1969-12-31T23:59"])
def test_a_timeline_entry_out_of_range_is_refused_with_the_typed_text_kept(client, zone, typed):
    incident = IncidentFactory()
    response = _client_in(client, zone).post(
        reverse("incidents:timeline-create", args=[incident.reference]), _entry_data(typed)
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert OUT_OF_RANGE in content
    assert f'value="{typed}"' in content and "Typed by hand" in content
    assert not TimelineEntry.objects.exists()


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("typed", ["1970-01-01T00:00", "2100-12-31T23:59"])
def test_the_first_and_last_minutes_of_the_range_are_accepted_in_every_zone(client, zone, typed):
    incident = IncidentFactory()
    response = _client_in(client, zone).post(
        reverse("incidents:timeline-create", args=[incident.reference]), _entry_data(typed)
    )
    assert response.status_code == 302
    assert TimelineEntry.objects.count() == 1


def test_incident_times_out_of_range_are_refused_on_the_fields(client):
    response = _client_in(client, "America/Los_Angeles").post(
        reverse("incidents:create"),
        {
            "title": "Far future",
            "severity": "SEV3",
            "status": "resolved",
            "started_at": "9999-12-31T23:00",
            "resolved_at": "9999-12-31T23:30",
            "customer_impact": "",
            "tags": "",
        },
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.count(OUT_OF_RANGE) == 2
    assert 'value="9999-12-31T23:00"' in content
    assert not Incident.objects.exists()


def test_an_action_item_due_out_of_range_is_refused(client):
    writer = UserFactory(username="writer", roles=[Role.AUTHOR])
    postmortem = PostmortemFactory(author=writer)
    client.force_login(writer)
    response = client.post(
        reverse("actions:create", args=[postmortem.incident.reference]),
        new_item_data(due_date="9999-12-31"),
    )
    assert response.status_code == 200
    assert OUT_OF_RANGE in response.content.decode()
    assert not ActionItem.objects.exists()


def test_date_inputs_tell_the_browser_the_range(client):
    incident = IncidentFactory()
    content = _client_in(client, "UTC").get(incident.get_absolute_url()).content.decode()
    assert 'min="1970-01-01T00:00"' in content and 'max="2100-12-31T23:59"' in content
    content = client.get(reverse("incidents:list")).content.decode()
    assert 'min="1970-01-01"' in content and 'max="2100-12-31"' in content


@pytest.mark.parametrize(
    "url_name, query",
    [
        ("incidents:list", "started_to=9999-12-31"),
        ("incidents:list", "started_from=0001-01-01"),
        ("search:results", "q=disk&started_to=9999-12-31"),
        ("search:results", "q=disk&started_from=0001-01-01"),
        ("insights:index", "date_to=0001-01-01"),
        ("insights:index", "date_from=0001-01-01"),
        ("insights:index", "date_to=9999-12-31"),
        ("actions:list", "due_to=9999-12-31"),
        ("actions:list", "completed_to=9999-12-31"),
        ("actions:list", "completed_from=0001-01-01"),
    ],
)
def test_a_filter_date_out_of_range_is_a_form_error_on_the_page_not_a_500(client, url_name, query):
    IncidentFactory(title="Disk full")
    client.force_login(UserFactory(username="reader", time_zone="Pacific/Auckland"))
    response = client.get(f"{reverse(url_name)}?{query}")
    content = response.content.decode()
    assert response.status_code == 200
    assert OUT_OF_RANGE in content and "That filter was ignored." in content
    typed = query.rsplit("=", 1)[1]
    assert f'value="{typed}"' in content
    assert "</footer>" in content or "</main>" in content  # the rest of the page rendered


@pytest.mark.parametrize(
    "url_name, query, page",
    [
        ("actions:export", "due_to=9999-12-31", "actions:list"),
        ("insights:index", "format=csv&figure=incidents_per_month&date_to=0001-01-01", None),
    ],
)
def test_a_csv_with_a_bad_filter_sends_the_person_to_the_page_that_shows_the_error(
    client, url_name, query, page
):
    client.force_login(UserFactory(username="reader"))
    response = client.get(f"{reverse(url_name)}?{query}")
    assert response.status_code == 302
    followed = client.get(response.url)
    assert followed.status_code == 200
    assert followed["Content-Type"].startswith("text/html")
    assert OUT_OF_RANGE in followed.content.decode()


def test_the_database_refuses_a_year_10000_timeline_entry():
    entry = TimelineEntry.objects.create(
        incident=IncidentFactory(),
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        author=UserFactory(),
        body="x",
    )
    with (
        pytest.raises(IntegrityError, match="timeline_entry_occurred_in_range"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE incidents_timelineentry SET occurred_at = '9999-12-31 23:00-08' WHERE id = %s",
            [entry.pk],
        )


def test_the_migration_stops_with_a_list_of_rows_already_out_of_range():
    entry = TimelineEntry.objects.create(
        incident=IncidentFactory(),
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        author=UserFactory(),
        body="x",
    )
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks before ALTER TABLE
        cursor.execute(
            "ALTER TABLE incidents_timelineentry DROP CONSTRAINT timeline_entry_occurred_in_range"
        )
        cursor.execute(
            "UPDATE incidents_timelineentry SET occurred_at = '9999-12-31 23:00-08' WHERE id = %s",
            [entry.pk],
        )
    check = refuse_out_of_range_rows("incidents_timelineentry", moments=["occurred_at"])
    with pytest.raises(RuntimeError) as refused, connection.schema_editor() as editor:
        check.code(None, editor)
    assert f"incidents_timelineentry.occurred_at id={entry.pk}: 10000-01-01" in str(refused.value)
