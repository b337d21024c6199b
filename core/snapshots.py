"""Summaries kept between requests: computed once, then served until the data they summarise
changes, or at the latest ``MAX_AGE`` after they were computed.

Every write to a watched table (each app watches its own, see ``watch_tables``) moves the
database's data version; a snapshot is kept under the version it was computed at, so the first
request after any change no longer finds it. A write still uncommitted while a snapshot is
being computed can slip past it: ``MAX_AGE`` bounds that, and the page says when its figures
were computed.

What happens then depends on ``settings.KEPT_SUMMARIES_REFRESH``:

- ``"request"``: the request computes the summary afresh, as it did the first time.
- ``"worker"`` (the default) for a page that passes a ``Recipe`` (``page_snapshot``): the
  request serves the summary last computed, with the time it was computed (``as_of``) and
  ``counting`` set, so the page says that newer changes are being counted; a job
  (``core.refresh_kept_summary``, one per data version) computes it again and stores it for
  every process. This is served only while it is younger than ``MAX_AGE``: when nothing was
  computed yet, or the last one is older (a worker down or behind), the request computes it
  itself. So a page is never older than it says, and never older than ``MAX_AGE``.

Kept summaries live in each process's cache (``CACHES``) under their data version, and in the
database (``KeptSummary``), where the worker's reach every process.
"""

import hashlib
import json
import pickle
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection, transaction
from django.db.migrations import RunSQL
from django.http import HttpRequest, QueryDict
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from core import queue
from core.models import KeptSummary

MAX_AGE = timedelta(minutes=10)
SEQUENCE = "core_data_version"
REFRESH_TASK = "core.refresh_kept_summary"


@dataclass(frozen=True)
class Snapshot:
    value: object
    as_of: datetime
    max_age_minutes: int = MAX_AGE.seconds // 60
    # Computed before the latest changes, which a worker is counting now: the page says so.
    counting: bool = False


@dataclass(frozen=True)
class Recipe:
    """How a worker computes a page's summary again without its request: ``function`` (the
    dotted path of a function marked ``@recomputes``) is called with a request rebuilt from the
    rest, in the viewer's language and time zone, and returns the summary's parts and its
    ``compute``, as for the page."""

    function: str
    path: str
    query: str
    user_id: int | None
    language: str
    time_zone: str
    today: str

    def request(self) -> HttpRequest | None:
        """The page's request again; None if the viewer's account is gone or deactivated."""
        user = AnonymousUser()
        if self.user_id is not None:
            user = get_user_model().objects.filter(pk=self.user_id, is_active=True).first()
            if user is None:
                return None
        request = HttpRequest()
        request.method = "GET"
        request.path = request.path_info = self.path
        request.GET = QueryDict(self.query)
        request.META["QUERY_STRING"] = self.query
        request.user = user
        return request


def recomputes(function: Callable) -> Callable:
    """Mark ``function(request, *, today) -> (parts, compute)`` as one a worker may call to
    compute a page's summary again (``Recipe``)."""
    function.recomputes_kept_summary = True
    return function


def data_version() -> int:
    """A number that grows with every write to a watched table (never rolled back)."""
    with connection.cursor() as cursor:
        # Until its first nextval() a sequence shows last_value 1 with is_called false.
        cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {SEQUENCE}")
        return cursor.fetchone()[0]


def _digest(parts: tuple) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def snapshot(
    name: str, parts: tuple, compute: Callable[[], object], *, recipe: Recipe | None = None
) -> Snapshot:
    """``compute()``'s value for ``parts`` (everything it depends on besides the data: filters,
    dates, language, time zone, who is looking), as of the current data version. One query
    when kept in this process; with a ``recipe`` and the worker refreshing, one more when
    another process or the worker computed it, or when it is served while being counted (and
    two more the first time: the job and its mark)."""
    digest = _digest(parts)
    version = data_version()
    key = f"snapshot:{name}:{version}:{digest}"
    kept = cache.get(key)
    if kept is not None:
        return kept
    if recipe is None or settings.KEPT_SUMMARIES_REFRESH != "worker":
        kept = Snapshot(compute(), timezone.now())
        cache.set(key, kept, MAX_AGE.total_seconds())
        return kept
    now = timezone.now()
    row = (
        KeptSummary.objects.filter(name=name, digest=digest, computed_at__gt=now - MAX_AGE)
        .only("data_version", "computed_at", "value", "refresh_queued_for")
        .first()
    )
    if row is None:
        kept = Snapshot(compute(), timezone.now())
        _store(name, digest, version, kept, recipe)
        cache.set(key, kept, MAX_AGE.total_seconds())
        return kept
    value = pickle.loads(row.value)
    if row.data_version >= version:
        kept = Snapshot(value, row.computed_at)
        cache.set(key, kept, (row.computed_at + MAX_AGE - now).total_seconds())
        return kept
    if row.refresh_queued_for < version:
        _queue_refresh(row, version)
    return Snapshot(value, row.computed_at, counting=True)


def page_snapshot(name: str, request, function: Callable, *, today: date, **known) -> Snapshot:
    """A page's summary: ``function(request, today=today, **known)`` (marked ``@recomputes``)
    gives its parts and its ``compute``; ``known`` is what the page has worked out already
    (its filters), which the function works out itself when a worker calls it again after a
    write (see the module's docstring)."""
    parts, compute = function(request, today=today, **known)
    user = getattr(request, "user", None)
    recipe = Recipe(
        function=f"{function.__module__}.{function.__qualname__}",
        path=request.path,
        query=request.GET.urlencode(),
        user_id=user.pk if user is not None and user.is_authenticated else None,
        language=translation.get_language(),
        time_zone=timezone.get_current_timezone_name(),
        today=today.isoformat(),
    )
    return snapshot(name, parts, compute, recipe=recipe)


def _queue_refresh(row, version: int) -> None:
    # Only the first view since the change queues the job (several processes may try at once);
    # the mark and the job commit together.
    with transaction.atomic():
        marked = KeptSummary.objects.filter(pk=row.pk, refresh_queued_for__lt=version).update(
            refresh_queued_for=version
        )
        if marked:
            queue.defer(REFRESH_TASK, summary=row.name, digest=row.digest)


def _store(name: str, digest: str, version: int, kept: Snapshot, recipe: Recipe) -> None:
    """Keep ``kept`` for every process, unless a summary of a newer version is kept already."""
    table = KeptSummary._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS kept (name, digest, data_version, computed_at, value, recipe,"
            " refresh_queued_for) VALUES (%s, %s, %s, %s, %s, %s::jsonb, 0)"
            " ON CONFLICT (name, digest) DO UPDATE SET data_version = EXCLUDED.data_version,"
            " computed_at = EXCLUDED.computed_at, value = EXCLUDED.value,"
            " recipe = EXCLUDED.recipe WHERE kept.data_version <= EXCLUDED.data_version",
            [
                name,
                digest,
                version,
                kept.as_of,
                pickle.dumps(kept.value, pickle.HIGHEST_PROTOCOL),
                json.dumps(asdict(recipe)),
            ],
        )


def refresh(name: str, digest: str) -> str:
    """What the worker's job does: compute the summary again as of the current data version
    and keep it for every process; throw away those too old to be served."""
    KeptSummary.objects.filter(computed_at__lt=timezone.now() - MAX_AGE).delete()
    row = KeptSummary.objects.filter(name=name, digest=digest).only("data_version", "recipe")
    row = row.first()
    if row is None:
        return "nothing kept any more"
    version = data_version()
    if row.data_version >= version:
        return "already current"
    recipe = Recipe(**row.recipe)
    today = date.fromisoformat(recipe.today)
    function = import_string(recipe.function)
    if not getattr(function, "recomputes_kept_summary", False):
        raise ValueError(f"{recipe.function} does not compute a kept summary.")
    with translation.override(recipe.language), timezone.override(recipe.time_zone):
        request = recipe.request()
        parts, compute = (None, None) if request is None else function(request, today=today)
        if _digest(parts) != digest:
            # Not the same summary any more (the viewer lost access, a filter's value is
            # gone): the next view computes its own.
            KeptSummary.objects.filter(pk=row.pk).delete()
            return "no longer the same summary"
        kept = Snapshot(compute(), timezone.now())
    _store(name, digest, version, kept, recipe)
    return f"computed as of data version {version}"


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
