"""The task queue's settings fail loudly at start-up when they name no queue Hindsight has."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _check(**variables) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **variables}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"HINDSIGHT_TASK_QUEUE": "rabbit"},
            "HINDSIGHT_TASK_QUEUE must be one of postgres, redis, not 'rabbit'.",
        ),
        (
            {"HINDSIGHT_TASK_QUEUE": "redis", "REDIS_URL": "localhost:6379"},
            "REDIS_URL must start with redis://, rediss:// or unix://, not 'localhost:6379'.",
        ),
    ],
)
def test_a_task_queue_setting_that_names_nothing_known_stops_start_up(variables, message):
    result = _check(**variables)
    assert result.returncode != 0
    assert message in result.stderr


def test_the_redis_queue_starts_with_a_redis_url():
    result = _check(HINDSIGHT_TASK_QUEUE="redis", REDIS_URL="redis://127.0.0.1:8612/0")
    assert result.returncode == 0, result.stderr
