"""Staff add integrations in the admin, see each secret once, and read every integration's
delivery log with its outcomes; nobody else sees any of it."""

import re

import pytest
from django.urls import reverse

from alerting.models import AlertDelivery, AlertIntegration, Outcome
from tests.alerting.conftest import firing, post_alerts
from tests.factories import AlertIntegrationFactory, UserFactory

pytestmark = pytest.mark.django_db

INTEGRATIONS = reverse("alerting:integrations")


@pytest.fixture
def admin_client(make_client):
    return make_client(UserFactory(username="admin", is_staff=True, is_superuser=True))


def _add_form(reporter, **overrides):
    return {
        "name": "Prometheus production",
        "kind": "alertmanager",
        "is_active": "on",
        "auth_method": "bearer",
        "reporter": reporter.pk,
        "commander": "",
        "mitigate_on_resolve": "on",
        "severity_label": "severity",
        "default_severity": "SEV3",
        "service_label": "service",
        "severity_rules-TOTAL_FORMS": "1",
        "severity_rules-INITIAL_FORMS": "0",
        "severity_rules-0-label_value": "critical",
        "severity_rules-0-severity": "SEV1",
        **overrides,
    }


def _shown_secret(response) -> str:
    return re.findall(r"<code>([A-Za-z0-9_-]{40,})</code>", response.content.decode())[0]


def test_adding_an_integration_shows_its_secret_once_and_keeps_only_its_hash(admin_client):
    reporter = UserFactory(username="alertmanager")

    response = admin_client.post(
        reverse("admin:alerting_alertintegration_add"), _add_form(reporter)
    )

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    secret = _shown_secret(response)
    integration = AlertIntegration.objects.get()
    assert integration.endpoint_path in response.content.decode()
    assert secret not in integration.token_hash and not integration.signing_secret
    assert integration.severity_rules.get().severity == "SEV1"
    # The secret works, and no page shows it again.
    integration.plain_secret = secret
    assert post_alerts(integration, firing()).status_code == 201
    change = admin_client.get(
        reverse("admin:alerting_alertintegration_change", args=[integration.pk])
    )
    assert secret not in change.content.decode()


def test_switching_to_hmac_issues_a_signing_secret(admin_client):
    integration = AlertIntegrationFactory()
    form = _add_form(integration.reporter, name=integration.name, auth_method="hmac")
    form.update({"severity_rules-TOTAL_FORMS": "0"})

    response = admin_client.post(
        reverse("admin:alerting_alertintegration_change", args=[integration.pk]), form
    )

    integration.refresh_from_db()
    assert integration.signing_secret == _shown_secret(response)
    assert integration.token_hash == ""


def test_issue_a_new_secret_action(admin_client):
    integration = AlertIntegrationFactory()

    response = admin_client.post(
        reverse("admin:alerting_alertintegration_changelist"),
        {"action": "issue_secret_action", "_selected_action": [integration.pk]},
    )

    integration.plain_secret = _shown_secret(response)
    assert post_alerts(integration, firing()).status_code == 201


def test_a_delivery_is_readable_in_the_admin_but_not_changeable(admin_client, alertmanager):
    post_alerts(alertmanager, firing())
    delivery = AlertDelivery.objects.get()

    url = reverse("admin:alerting_alertdelivery_change", args=[delivery.pk])
    response = admin_client.get(url)

    assert response.status_code == 200
    assert "CheckoutErrorRate" in response.content.decode()
    assert admin_client.post(url, {}).status_code == 403


def test_staff_see_the_integrations_and_their_last_outcome(make_client, staff, alertmanager):
    post_alerts(alertmanager, firing(), secret="wrong")

    response = make_client(staff).get(INTEGRATIONS)

    assert response.status_code == 200
    assert "Prometheus" in response.content.decode()
    assert "Rejected" in response.content.decode()


def test_staff_read_the_delivery_log_filtered_by_outcome(make_client, staff, alertmanager):
    post_alerts(alertmanager, firing())
    post_alerts(alertmanager, firing())
    post_alerts(alertmanager, b"not json")
    client = make_client(staff)

    response = client.get(alertmanager.get_absolute_url())
    page = response.content.decode()
    assert "Created an incident" in page and "Duplicate: nothing new" in page
    assert "The body is not valid JSON" in page
    assert alertmanager.endpoint_path in page

    response = client.get(alertmanager.get_absolute_url(), {"outcome": Outcome.DUPLICATE})
    assert [d.outcome for d in response.context["page"]] == [Outcome.DUPLICATE]


@pytest.mark.parametrize("url_name", ["integrations", "deliveries"])
def test_people_who_are_not_staff_may_not_see_them(make_client, author, alertmanager, url_name):
    args = [alertmanager.pk] if url_name == "deliveries" else []

    response = make_client(author).get(reverse(f"alerting:{url_name}", args=args))

    assert response.status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, alertmanager):
    response = client.get(alertmanager.get_absolute_url())

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("count", [3, 40])
def test_the_pages_query_count_does_not_grow_with_the_data(
    count, make_client, staff, django_assert_max_num_queries
):
    integrations = AlertIntegrationFactory.create_batch(count, severity_rules={})
    for integration in integrations:
        AlertDelivery.objects.create(
            integration=integration, outcome=Outcome.REJECTED, status_code=403
        )
    client = make_client(staff)
    # session, user, count, page of integrations (reporter, commander, last delivery), the bell.
    with django_assert_max_num_queries(5):
        assert client.get(INTEGRATIONS).status_code == 200
    for _ in range(count):
        post_alerts(integrations[0], firing(), secret="wrong")
    # session, user, integration, count, page of deliveries (with incidents), the bell.
    with django_assert_max_num_queries(6):
        assert client.get(integrations[0].get_absolute_url()).status_code == 200


def test_a_label_value_given_twice_in_the_table_is_refused_with_a_message(admin_client):
    reporter = UserFactory(username="alertmanager")
    form = _add_form(reporter)
    form.update(
        {
            "severity_rules-TOTAL_FORMS": "2",
            "severity_rules-1-label_value": "Critical",
            "severity_rules-1-severity": "SEV2",
        }
    )

    response = admin_client.post(reverse("admin:alerting_alertintegration_add"), form)

    assert response.status_code == 200
    assert "This label value is in the table twice." in response.content.decode()
    assert not AlertIntegration.objects.exists()
