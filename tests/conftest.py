import threading
import time
from datetime import UTC, datetime, timedelta

import axes.attempts
import axes.handlers.proxy
import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from core.models import Role
from tests.factories import PASSWORD, UserFactory

# Every test runs at a pinned instant, never at the real time, so the suite gives the same
# answer at any hour. The default is late in the UTC day: already tomorrow in Auckland.
DEFAULT_INSTANT = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
# Tests marked `day_boundaries` run once at each of these: both sides of midnight UTC, and an
# hour when Auckland (UTC+13 in March) has already moved to the next day but UTC has not.
DAY_BOUNDARY_INSTANTS = {
    "2330utc": datetime(2026, 3, 10, 23, 30, tzinfo=UTC),
    "0030utc": datetime(2026, 3, 11, 0, 30, tzinfo=UTC),
    "1130utc-auckland-tomorrow": datetime(2026, 3, 10, 11, 30, tzinfo=UTC),
}


def pytest_generate_tests(metafunc):
    if "pinned_now" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "day_boundaries"
    ):
        metafunc.parametrize(
            "pinned_now",
            list(DAY_BOUNDARY_INSTANTS.values()),
            ids=list(DAY_BOUNDARY_INSTANTS),
            indirect=True,
        )


@pytest.fixture(autouse=True)
def pinned_now(request, monkeypatch):
    """Pin `timezone.now` to a fixed instant. The clock still ticks from there, so saves made one
    after another keep distinct timestamps (optimistic locking compares them)."""
    instant = getattr(request, "param", DEFAULT_INSTANT)
    started = time.monotonic()
    pin_clock(monkeypatch, lambda: instant + timedelta(seconds=time.monotonic() - started))
    return instant


def pin_clock(monkeypatch, now) -> None:
    """Make ``now`` the clock of Django and of django-axes (which imported ``now`` by name: its
    sign-in lockout windows must see the same time as the attempts it records)."""
    monkeypatch.setattr(timezone, "now", now)
    monkeypatch.setattr(axes.attempts, "now", now)
    monkeypatch.setattr(axes.handlers.proxy, "now", now)


@pytest.fixture(autouse=True)
def no_active_time_zone():
    """No test inherits the zone another test's request (or code) activated."""
    timezone.deactivate()
    yield
    timezone.deactivate()


@pytest.fixture(autouse=True)
def site_language():
    """No test inherits the language another test's request (or code) activated: tests read
    pages in the site's language (English) unless they ask for another."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def author(db):
    return UserFactory(username="author", roles=[Role.AUTHOR])


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", roles=[Role.REVIEWER])


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", roles=[Role.MANAGER])


@pytest.fixture
def outsider(db):
    """Signed in, but holds no role."""
    return UserFactory(username="outsider")


@pytest.fixture
def staff(db):
    return UserFactory(username="staff", is_staff=True)


def _client_for(client_class, user):
    client = client_class()
    client.force_login(user)
    return client


@pytest.fixture
def author_client(author, client):
    client.force_login(author)
    return client


@pytest.fixture
def make_client():
    """A separate signed-in client per user, for tests where two people act at once."""
    from django.test import Client

    return lambda user: _client_for(Client, user)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def deliver_outbox(db):
    """Deliver every pending email the way the worker does (its own code, inside this test's
    transaction, to the test mail backend); returns the messages this call sent."""
    from django.core import mail

    from outbox.models import OutgoingEmail
    from outbox.services import deliver_email

    def deliver():
        before = len(mail.outbox)
        for pk in OutgoingEmail.objects.pending().order_by("pk").values_list("pk", flat=True):
            deliver_email(email_id=pk)
        return mail.outbox[before:]

    return deliver


def _clear_task_queue():
    from django.db import connection

    # procrastinate's tables are not Django-managed, so a transactional test's flush keeps them.
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers, "
            "procrastinate_workers CASCADE"
        )


@pytest.fixture
def run_worker(transactional_db):
    """Run a real procrastinate worker (what `manage.py queue_worker --burst` runs) in this
    process until no job is left to do now. Needs committed data: the worker has its own
    database connections."""
    from core import queue

    _clear_task_queue()

    def work(errors, options):
        try:
            queue.run_postgres_worker(
                burst=True, install_signal_handlers=False, listen_notify=False, **options
            )
        except BaseException as error:
            errors.append(error)

    def run(**options):
        # In a thread of its own: the browser tests leave an event loop in the main thread.
        errors = []
        thread = threading.Thread(target=work, args=(errors, options))
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the worker did not finish within a minute"
        if errors:
            raise errors[0]

    yield run
    _clear_task_queue()


@pytest.fixture
def migration_data(transactional_db):
    """A transactional test ends by flushing every table, the rows data migrations created
    included (roles, postmortem templates, the postmortem policy): put them back first, as tests/e2e does."""
    import importlib

    from django.apps import apps

    for module, function in [
        ("core.migrations.0002_create_role_groups", "create_role_groups"),
        ("postmortems.migrations.0002_default_templates_and_phrases", "create_defaults"),
        ("postmortems.migrations.0010_default_postmortem_policy", "add_default_policy"),
        ("postmortems.migrations.0015_contributing_factors", "add_default_categories"),
        ("core.migrations.0006_teams_and_security_role", "create_security_group"),
        ("postmortems.migrations.0012_french_blameless_phrases", "add_phrases"),
    ]:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def no_kept_snapshots():
    """Kept summaries (core/snapshots.py) are keyed by a data version that a rolled-back test
    does not take back: no test may read another's."""
    cache.clear()
