"""DJANGO_LOG_FORMAT=json: every log line is one JSON object a collector can parse."""

import io
import json
import logging

import pytest
from django.urls import reverse
from gunicorn.glogging import SafeAtoms

from core.json_logs import JsonFormatter

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured():
    """What the named loggers write, formatted as in production with the JSON option."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(name) for name in ("django.request", "gunicorn.access", "app")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger in loggers:
        logger.removeHandler(handler)


def test_a_request_log_line_is_json_with_time_level_logger_path_status_and_request_id(
    author_client, captured
):
    response = author_client.get("/incidents/INC-999999/", headers={"X-Request-ID": "req-12345678"})

    assert response.status_code == 404
    [line] = captured()
    assert line["level"] == "WARNING"
    assert line["logger"] == "django.request"
    assert line["message"] == "Not Found: /incidents/INC-999999/"
    assert line["path"] == "/incidents/INC-999999/"
    assert line["method"] == "GET"
    assert line["status"] == 404
    assert line["request_id"] == "req-12345678"
    assert line["time"].startswith("20")


def test_a_line_logged_while_serving_a_request_carries_its_id(client, captured, monkeypatch):
    from core import health

    def logging_readiness():
        logging.getLogger("app").info("checked %s", "readiness")
        return {"database": "ok"}

    monkeypatch.setattr(health, "readiness", logging_readiness)

    response = client.get(reverse("readyz"))

    assert response.status_code == 200
    [line] = [line for line in captured() if line["logger"] == "app"]
    assert line["message"] == "checked readiness"
    assert line["level"] == "INFO"
    assert line["request_id"] == response["X-Request-ID"]


def test_gunicorn_access_lines_are_json_with_path_status_duration_and_request_id(captured):
    atoms = SafeAtoms(
        {
            "h": "127.0.0.1",
            "m": "POST",
            "U": "/incidents/INC-7/",
            "s": "201",
            "M": 12,
            "{x-request-id}o": "abc123def456",
        }
    )
    logging.getLogger("gunicorn.access").info("%(h)s %(r)s", atoms)

    [line] = captured()
    assert line["logger"] == "gunicorn.access"
    assert line["path"] == "/incidents/INC-7/"
    assert line["status"] == 201
    assert line["duration_ms"] == 12
    assert line["request_id"] == "abc123def456"


def test_exceptions_are_kept_in_one_json_line(captured):
    try:
        raise ValueError("boom\non two lines")
    except ValueError:
        logging.getLogger("app").exception("failed")

    [line] = captured()
    assert line["level"] == "ERROR"
    assert "ValueError: boom" in line["exception"]


def test_every_response_says_its_request_id_and_a_bad_incoming_one_is_replaced(author_client):
    kept = author_client.get(reverse("healthz"), headers={"X-Request-ID": "from-the-proxy-42"})
    replaced = author_client.get(reverse("healthz"), headers={"X-Request-ID": "bad id\r\n"})

    assert kept["X-Request-ID"] == "from-the-proxy-42"
    assert len(replaced["X-Request-ID"]) == 32
    assert replaced["X-Request-ID"] != "bad id"
