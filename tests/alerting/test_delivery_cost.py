"""A delivery's queries depend on the alerts in it, never on how many incidents, groups and
deliveries exist already."""

import pytest

from tests.alerting.conftest import firing, post_alerts

pytestmark = pytest.mark.django_db


def _earlier_groups(integration, count):
    for number in range(count):
        payload = firing()
        payload["groupKey"] = f"earlier group {number}"
        assert post_alerts(integration, payload).status_code == 201


@pytest.mark.parametrize("earlier", [1, 15])
def test_a_delivery_costs_the_same_whatever_was_received_before(
    earlier, alertmanager, checkout, django_assert_max_num_queries
):
    _earlier_groups(alertmanager, earlier)

    # Savepoints count. Integration; group (get, insert, lock); earlier copy?; incident lock;
    # services; reporter; severity table; incident_create (checks, insert, services, tags:
    # about 25); the delivery; alerts already recorded; then per alert a timeline entry through
    # incidents.services (lock, postmortem guard, checks, insert, listener: 13); the alerts;
    # the delivery's outcome.
    with django_assert_max_num_queries(42 + 2 * 13):
        assert post_alerts(alertmanager, firing()).status_code == 201
    # integration; group (get, lock); the earlier copy with its incident.
    with django_assert_max_num_queries(7):
        assert post_alerts(alertmanager, firing()).json()["outcome"] == "duplicate"
