"""Real Hindsight processes for the tests that need them (web servers, task queue workers):
started against the test database, with their output kept for the failure report."""

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 45  # for each phase of a test: start-up, posting, delivery


def database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_environment(smtp_port: int, **overrides: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.outbox.production_like_settings",
        DATABASE_URL=database_url(),
        DJANGO_SECRET_KEY=uuid.uuid4().hex * 2,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="5",
        # Retry every second or two, and never give up during the test.
        HINDSIGHT_OUTBOX_RETRY_BASE_SECONDS="1",
        HINDSIGHT_OUTBOX_RETRY_MAX_SECONDS="2",
        HINDSIGHT_OUTBOX_MAX_ATTEMPTS="1000",
        DJANGO_LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


def start_process(command, env, log_dir, name):
    log = open(log_dir / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    process.log_path = log_dir / f"{name}.log"
    process.name = name
    return process


def wait_until(condition, what, processes, *, seconds=DEADLINE_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, f"{process.name} exited with {process.returncode}"
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"Timed out waiting for {what}")


def print_logs(processes) -> None:
    for process in processes:
        process.log.flush()
        print(f"--- {process.name} ---\n" + process.log_path.read_text()[-3000:])


def stop_processes(processes) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        process.log.close()
