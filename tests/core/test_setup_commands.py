import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, env_overrides=None):
    # The browser tests' async-safety switch must not leak into a deployment check.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(env_overrides or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _server_url(dbname: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname}"


def test_ensure_database_creates_a_missing_database():
    name = f"hindsight_probe_{uuid.uuid4().hex[:8]}"
    result = _manage("ensure_database", env_overrides={"DATABASE_URL": _server_url(name)})
    assert result.returncode == 0, result.stderr
    db = settings.DATABASES["default"]
    connection = psycopg.connect(
        dbname="postgres", user=db["USER"], host=db["HOST"], port=db["PORT"], autocommit=True
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            assert cursor.fetchone() is not None
            cursor.execute(f'DROP DATABASE "{name}"')
    finally:
        connection.close()


def test_ensure_database_names_database_url_when_no_server_can_be_reached():
    result = _manage(
        "ensure_database", env_overrides={"DATABASE_URL": "postgres://nobody@127.0.0.2:5999/x"}
    )
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "127.0.0.2:5999" in result.stderr


@pytest.mark.django_db
def test_deploy_check_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "k" + uuid.uuid4().hex + uuid.uuid4().hex,
            "DJANGO_ALLOWED_HOSTS": "hindsight.example.com",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", DJANGO_ALLOWED_HOSTS="x.test")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
