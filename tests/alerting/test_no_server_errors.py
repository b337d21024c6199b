"""Whatever a sender puts in any field of a payload, the answer is a 2xx or a 4xx with a
message, never a server error: every field of the samples, replaced by every kind of value."""

import pytest

from alerting.models import AuthMethod
from tests.alerting.conftest import firing, grafana_firing, post_alerts, post_signed
from tests.factories import AlertIntegrationFactory

pytestmark = pytest.mark.django_db

ODD_VALUES = [None, -1, 1e308, True, " ", "x" * 3000, ["x"], {}, {"a": "b"}, "\u0000"]


def _paths(value, path=()):
    """Every place in the payload, top to bottom; of a list, its first item (the others are
    alike)."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list) and value:
        yield from _paths(value[0], (*path, 0))


def _replaced(payload, path, value):
    if not path:
        return value
    parent = payload
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return payload


@pytest.mark.parametrize(
    "kind, sample", [("alertmanager", firing), ("grafana", grafana_firing)], ids=["am", "grafana"]
)
def test_any_value_in_any_field_is_answered_without_a_server_error(kind, sample):
    integration = AlertIntegrationFactory(kind=kind, auth_method=AuthMethod.BEARER)
    answered = set()
    for path in list(_paths(sample())):
        for value in ODD_VALUES:
            response = post_alerts(integration, _replaced(sample(), path, value))
            assert response.status_code in (200, 201, 400), (path, value, response.content)
            answered.add(response.status_code)
    assert answered == {200, 201, 400}


def test_a_signed_payload_with_odd_values_is_answered_without_a_server_error(db):
    integration = AlertIntegrationFactory(kind="grafana", auth_method=AuthMethod.HMAC)
    for value in ODD_VALUES:
        response = post_signed(integration, _replaced(grafana_firing(), ("alerts", 0), value))
        assert response.status_code == 400
