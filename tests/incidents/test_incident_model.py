from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from incidents.models import Incident, Status
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_references_are_sequential():
    first, second = IncidentFactory(), IncidentFactory()
    assert second.number == first.number + 1
    assert second.reference == f"INC-{second.number}"


def test_references_are_never_reused_after_a_delete():
    first = IncidentFactory()
    number = first.number
    first.delete()
    assert IncidentFactory().number == number + 1


def test_reference_parsing_accepts_any_case_and_rejects_junk():
    assert Incident.number_from_reference("INC-42") == 42
    assert Incident.number_from_reference("inc-7") == 7
    assert Incident.number_from_reference("42") is None
    assert Incident.number_from_reference("INC-") is None


def test_durations_are_measured_from_the_start():
    start = timezone.now() - timedelta(days=1)
    incident = IncidentFactory(
        started_at=start,
        detected_at=start + timedelta(minutes=7),
        mitigated_at=start + timedelta(minutes=40),
        resolved_at=start + timedelta(hours=3),
    )
    assert incident.time_to_detect == timedelta(minutes=7)
    assert incident.time_to_mitigate == timedelta(minutes=40)
    assert incident.time_to_resolve == timedelta(hours=3)


def test_durations_are_none_until_the_moment_is_known():
    incident = IncidentFactory(
        status=Status.INVESTIGATING, detected_at=None, mitigated_at=None, resolved_at=None
    )
    assert incident.time_to_detect is None
    assert incident.time_to_resolve is None


def test_detection_before_the_start_is_refused_on_the_detected_field():
    start = timezone.now()
    incident = IncidentFactory.build(
        started_at=start,
        detected_at=start - timedelta(minutes=1),
        mitigated_at=None,
        resolved_at=None,
        status=Status.INVESTIGATING,
    )
    with pytest.raises(ValidationError) as caught:
        incident.full_clean(exclude=["created_by"])
    assert set(caught.value.message_dict) == {"detected_at"}
    assert "before the time started" in caught.value.message_dict["detected_at"][0]


def test_resolution_before_mitigation_is_refused_on_the_resolved_field():
    start = timezone.now()
    incident = IncidentFactory.build(
        started_at=start,
        detected_at=start + timedelta(minutes=5),
        mitigated_at=start + timedelta(hours=1),
        resolved_at=start + timedelta(minutes=30),
    )
    with pytest.raises(ValidationError) as caught:
        incident.full_clean(exclude=["created_by"])
    assert list(caught.value.message_dict) == ["resolved_at"]
    assert "before the time mitigated" in caught.value.message_dict["resolved_at"][0]


def test_a_resolved_incident_needs_its_resolution_time():
    incident = IncidentFactory.build(status=Status.RESOLVED, resolved_at=None)
    with pytest.raises(ValidationError) as caught:
        incident.full_clean(exclude=["created_by"])
    assert "resolved_at" in caught.value.message_dict


def test_the_database_itself_refuses_a_resolution_before_the_start():
    incident = IncidentFactory()
    with pytest.raises(IntegrityError):
        Incident.objects.filter(pk=incident.pk).update(
            resolved_at=incident.started_at - timedelta(seconds=1)
        )


def test_markdown_impact_is_stored_rendered_and_sanitised():
    incident = IncidentFactory(customer_impact="**All** users <script>x()</script>")
    assert "<strong>All</strong>" in incident.customer_impact_html
    assert "<script" not in incident.customer_impact_html
