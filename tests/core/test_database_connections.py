"""Development closes its database connections (runserver's threads leaked them until
PostgreSQL refused clients); production keeps them and checks them before reuse."""

import json
import os
import subprocess
import sys

from django.conf import settings

PRINT_CONNECTION_SETTINGS = (
    "import json; from django.conf import settings; db = settings.DATABASES['default'];"
    "print(json.dumps([db['CONN_MAX_AGE'], db.get('CONN_HEALTH_CHECKS', False)]))"
)


def connection_settings(module: str, **env) -> list:
    environment = {
        **{name: value for name, value in os.environ.items() if name != "DATABASE_CONN_MAX_AGE"},
        "DJANGO_SETTINGS_MODULE": module,
        "DJANGO_SECRET_KEY": "settings-test",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        **env,
    }
    output = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PRINT_CONNECTION_SETTINGS}"],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


def test_development_keeps_no_connection_between_requests_even_if_asked():
    assert connection_settings("config.settings.dev")[0] == 0
    assert connection_settings("config.settings.dev", DATABASE_CONN_MAX_AGE="60")[0] == 0


def test_production_keeps_connections_and_checks_them_before_reuse():
    assert connection_settings("config.settings.production") == [60, True]
    assert connection_settings("config.settings.production", DATABASE_CONN_MAX_AGE="300") == [
        300,
        True,
    ]
