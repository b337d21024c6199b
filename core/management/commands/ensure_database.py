"""Make sure the PostgreSQL named by DATABASE_URL is reachable and its database exists.

On a developer machine with a local cluster that is down, start it first. Used by `make run`
and `make test`, so a fresh machine needs no manual database setup.
"""

import shutil
import subprocess
import time
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql

LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


def _connect(db: dict, dbname: str):
    return psycopg.connect(
        dbname=dbname,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        connect_timeout=3,
    )


def _start_local_cluster() -> bool:
    if not shutil.which("pg_ctlcluster"):
        return False
    for version_dir in sorted(Path("/etc/postgresql").glob("*")):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version_dir.name, "main", "start"],
            check=False,
            capture_output=True,
        )
    return True


class Command(BaseCommand):
    help = "Check that PostgreSQL is reachable (starting a local cluster if needed) and create the database."

    def handle(self, *args, **options):
        db = settings.DATABASES["default"]
        where = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
        try:
            connection = self._reach_server(db, where)
        except psycopg.OperationalError as error:
            raise CommandError(
                f"Cannot reach PostgreSQL at {where}: {error}".strip()
                + "\nStart PostgreSQL there, or set DATABASE_URL to a server you can reach, "
                "e.g. DATABASE_URL=postgres://user:password@host:5432/hindsight"
            ) from error
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
                if cursor.fetchone() is None:
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
                    self.stdout.write(f"Created database {db['NAME']} on {where}.")
        finally:
            connection.close()
        self.stdout.write(f"PostgreSQL at {where} is ready (database {db['NAME']}).")

    def _reach_server(self, db: dict, where: str):
        try:
            return _connect(db, "postgres")
        except psycopg.OperationalError:
            if (db.get("HOST") or "") not in LOCAL_HOSTS or not _start_local_cluster():
                raise
        self.stdout.write(f"PostgreSQL at {where} was down; started the local cluster.")
        for _attempt in range(20):
            try:
                return _connect(db, "postgres")
            except psycopg.OperationalError:
                time.sleep(0.5)
        return _connect(db, "postgres")
