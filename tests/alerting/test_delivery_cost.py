"""A delivery's queries are the same however many alerts it holds, and however many incidents,
groups and deliveries exist already."""

import pytest

from tests.alerting.conftest import firing, post_alerts, resolved

pytestmark = pytest.mark.django_db


def _earlier_groups(integration, count):
    for number in range(count):
        payload = firing()
        payload["groupKey"] = f"earlier group {number}"
        assert post_alerts(integration, payload).status_code == 201


def _with_alerts(payload, count):
    alerts = payload["alerts"]
    payload["alerts"] = [
        {**alerts[number % 2], "fingerprint": f"fp{number:04d}"} for number in range(count)
    ]
    return payload


@pytest.mark.parametrize("earlier, alerts", [(1, 2), (15, 60)])
def test_a_delivery_costs_the_same_whatever_its_size_and_the_data(
    earlier, alerts, alertmanager, checkout, django_assert_max_num_queries
):
    _earlier_groups(alertmanager, earlier)

    # Savepoints count. Integration; group (get, insert, lock); earlier copy?; incident lock;
    # services; reporter; severity table; incident_create (its checks, insert, services, tags:
    # about 27, with the similar-incidents change and its job, the teams given access, and the
    # webhook endpoints that want the event); the delivery; alerts already recorded; the entries (lock, postmortem guard,
    # insert, listener); the alerts; the delivery's outcome.
    with django_assert_max_num_queries(59):
        assert post_alerts(alertmanager, _with_alerts(firing(), alerts)).status_code == 201
    # As above, with incident_update (its checks, the change records, who may see it before and
    # after: restricted, participants, teams given access) instead of the creation.
    with django_assert_max_num_queries(57):
        assert post_alerts(alertmanager, _with_alerts(resolved(), alerts)).status_code == 200
    # Integration; group (get, lock); the earlier copy with its incident; the log row.
    with django_assert_max_num_queries(7):
        response = post_alerts(alertmanager, _with_alerts(resolved(), alerts))
    assert response.json()["outcome"] == "duplicate"
