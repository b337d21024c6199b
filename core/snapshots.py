"""Summaries kept between requests: computed once, then served until the data they summarise
changes, or at the latest ``MAX_AGE`` after they were computed.

Every write to a watched table (each app watches its own, see ``watch_tables``) moves the
database's data version; a snapshot is kept under the version it was computed at, so the first
request after any change computes afresh. A write still uncommitted while a snapshot is being
computed can slip past it: ``MAX_AGE`` bounds that, and the page says when its figures were
computed.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.migrations import RunSQL
from django.utils import timezone

MAX_AGE = timedelta(minutes=10)
SEQUENCE = "core_data_version"


@dataclass(frozen=True)
class Snapshot:
    value: object
    as_of: datetime
    max_age_minutes: int = MAX_AGE.seconds // 60


def data_version() -> int:
    """A number that grows with every write to a watched table (never rolled back)."""
    with connection.cursor() as cursor:
        # Until its first nextval() a sequence shows last_value 1 with is_called false.
        cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {SEQUENCE}")
        return cursor.fetchone()[0]


def snapshot(name: str, parts: tuple, compute: Callable[[], object]) -> Snapshot:
    """``compute()``'s value for ``parts`` (everything it depends on besides the data: filters,
    dates, language, time zone, who is looking), as of the current data version. One query
    when kept, plus ``compute``'s when not."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    key = f"snapshot:{name}:{data_version()}:{digest}"
    kept = cache.get(key)
    if kept is None:
        kept = Snapshot(compute(), timezone.now())
        cache.set(key, kept, MAX_AGE.total_seconds())
    return kept


def watch_tables(*tables: str, ignoring: tuple[str, ...] = ()) -> RunSQL:
    """The migration operation that makes every write to ``tables`` move the data version.
    An update that changes only the ``ignoring`` columns (bookkeeping no summary shows, such
    as a sign-in time) leaves it where it is, so it does not throw every summary away."""
    forward, backward = [], []
    for table in tables:
        trigger = f"{table}_moves_data_version"
        if not ignoring:
            forward.append(
                f"CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION core_data_changed()"
            )
            backward.append(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            continue
        columns = ", ".join(f"'{column}'" for column in ignoring)
        forward += [
            f"CREATE TRIGGER {trigger} AFTER INSERT OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION core_data_changed()",
            f"CREATE TRIGGER {trigger}_on_update AFTER UPDATE ON {table} FOR EACH ROW "
            f"WHEN ((to_jsonb(OLD) - ARRAY[{columns}]) IS DISTINCT FROM "
            f"(to_jsonb(NEW) - ARRAY[{columns}])) EXECUTE FUNCTION core_data_changed()",
        ]
        backward += [
            f"DROP TRIGGER IF EXISTS {trigger} ON {table}",
            f"DROP TRIGGER IF EXISTS {trigger}_on_update ON {table}",
        ]
    return RunSQL(forward, backward)
