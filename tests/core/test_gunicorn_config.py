"""config/gunicorn.py: gunicorn accepts it, with plain and JSON logs, and reads the environment."""

import json
import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings

CONFIG = str(settings.BASE_DIR / "config" / "gunicorn.py")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_gunicorn_serves_with_the_config_and_logs_each_request(log_format):
    port = _free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DJANGO_LOG_FORMAT": log_format,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", CONFIG, "config.wsgi"],
        env=environment,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _attempt in range(100):  # up to 10 s to start
            try:
                answer = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer within 10 s")
        request_id = answer.headers["X-Request-ID"]
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]

    access_lines = [line for line in output.splitlines() if request_id in line]
    assert len(access_lines) == 1, output
    if log_format == "json":
        access = json.loads(access_lines[0])
        assert (access["logger"], access["path"], access["status"]) == (
            "gunicorn.access",
            "/healthz/",
            200,
        )
        assert all(json.loads(line) for line in output.splitlines() if line.startswith("{"))
    else:
        assert '"GET /healthz/ HTTP/1.1" 200' in access_lines[0]


def test_workers_timeouts_and_proxies_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "5")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "45")
    monkeypatch.setenv("GUNICORN_GRACEFUL_TIMEOUT", "20")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.2")
    monkeypatch.setenv("DJANGO_LOG_FORMAT", "json")

    config = runpy.run_path(CONFIG)

    assert (config["workers"], config["timeout"], config["graceful_timeout"]) == (5, 45, 20)
    assert config["forwarded_allow_ips"] == "10.0.0.2"
    access = config["logconfig_dict"]["loggers"]["gunicorn.access"]
    assert config["logconfig_dict"]["handlers"][access["handlers"][0]]["formatter"] == "json"


def test_defaults_suit_a_small_host(monkeypatch):
    for name in ("GUNICORN_WORKERS", "GUNICORN_TIMEOUT", "DJANGO_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)

    config = runpy.run_path(CONFIG)

    assert 2 <= config["workers"] <= 8
    assert config["timeout"] == 30
    assert config["accesslog"] == "-"
    assert "logconfig_dict" not in config
