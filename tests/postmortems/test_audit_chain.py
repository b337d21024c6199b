"""The audit trail is append-only and tamper-evident: each entry's hash covers its fields and
the previous entry's hash, PostgreSQL refuses UPDATE and DELETE on the table, and
`manage.py verify_audit` names the first broken link.

Tests that tamper disable the database trigger first, deliberately, as an attacker with
owner rights on the table would have to."""

import importlib
import threading
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from postmortems.audit import record_audit, verify_chain
from postmortems.models import AuditAction, AuditEntry, PostmortemStatus
from tests.factories import PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db


@contextmanager
def append_only_trigger_disabled():
    # ALTER TABLE waits for no pending (deferred foreign-key) checks: run them now.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE postmortems_auditentry DISABLE TRIGGER postmortems_auditentry_append_only"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE postmortems_auditentry "
                "ENABLE TRIGGER postmortems_auditentry_append_only"
            )
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _append(postmortem, actor, reason=""):
    return record_audit(
        postmortem,
        actor=actor,
        action=AuditAction.REVIEW_REQUESTED,
        from_status=PostmortemStatus.DRAFT,
        to_status=PostmortemStatus.IN_REVIEW,
        reason=reason,
    )


@pytest.fixture
def trail(author):
    postmortem = PostmortemFactory(author=author)
    return [_append(postmortem, author, reason=f"step {n}") for n in range(4)]


def _verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_each_entry_is_chained_to_the_one_before(trail):
    assert trail[0].prev_hash == ""
    for previous, entry in zip(trail, trail[1:], strict=False):
        assert entry.prev_hash == previous.hash and len(entry.hash) == 64
    stored = list(AuditEntry.objects.order_by("id").values_list("hash", flat=True))
    assert stored == [entry.hash for entry in trail]


def test_verify_audit_summarises_an_intact_trail(trail):
    output = _verify()
    assert "The audit trail is intact: 4 entries" in output
    assert trail[-1].hash in output


def test_verify_audit_on_an_empty_trail():
    assert "empty" in _verify()


def test_a_changed_entry_is_named(trail):
    with append_only_trigger_disabled():
        AuditEntry.objects.filter(pk=trail[1].pk).update(reason="nothing to see here")
    with pytest.raises(CommandError) as refused:
        _verify()
    message = str(refused.value)
    assert f"broken at entry {trail[1].pk}" in message
    assert "no longer match its hash" in message


def test_a_changed_actor_or_time_is_detected_too(trail, reviewer):
    with append_only_trigger_disabled():
        AuditEntry.objects.filter(pk=trail[2].pk).update(actor=reviewer)
    assert verify_chain().broken.entry_id == trail[2].pk


def test_rehashing_a_changed_entry_breaks_the_link_to_the_next(trail):
    from postmortems.audit import entry_hash

    with append_only_trigger_disabled():
        AuditEntry.objects.filter(pk=trail[1].pk).update(reason="rewritten")
        rewritten = AuditEntry.objects.get(pk=trail[1].pk)
        AuditEntry.objects.filter(pk=trail[1].pk).update(
            hash=entry_hash(rewritten, rewritten.prev_hash)
        )
    broken = verify_chain().broken
    assert broken.entry_id == trail[2].pk


def test_a_deleted_entry_is_detected(trail):
    with append_only_trigger_disabled():
        AuditEntry.objects.filter(pk=trail[1].pk).delete()
    with pytest.raises(CommandError) as refused:
        _verify()
    message = str(refused.value)
    assert f"broken at entry {trail[2].pk}" in message
    assert f"follows entry {trail[0].pk}" in message
    assert f"ids {trail[1].pk}–{trail[1].pk} are missing" in message


def test_the_database_refuses_to_update_or_delete_audit_entries(trail):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=trail[0].pk).update(reason="edited")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=trail[0].pk).delete()
    assert AuditEntry.objects.count() == 4
    assert verify_chain().broken is None


def test_the_migration_back_fills_a_chain_that_verifies(trail):
    migration = importlib.import_module("postmortems.migrations.0005_audit_hash_chain")
    with append_only_trigger_disabled():
        AuditEntry.objects.update(hash="", prev_hash="")
        assert verify_chain().broken is not None
        from django.apps import apps

        migration.chain_existing_entries(apps, None)
    assert verify_chain().broken is None
    assert list(AuditEntry.objects.order_by("id").values_list("hash", flat=True)) == [
        entry.hash for entry in trail
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain():
    actor = UserFactory()
    postmortem = PostmortemFactory(author=actor)
    _append(postmortem, actor, reason="before")
    first_written = threading.Event()
    let_first_commit = threading.Event()
    errors = []

    def first():
        try:
            with transaction.atomic():
                _append(postmortem, actor, reason="first")
                first_written.set()
                # Hold the transaction open while the second append starts.
                let_first_commit.wait(timeout=10)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    def second():
        try:
            first_written.wait(timeout=10)
            with transaction.atomic():
                _append(postmortem, actor, reason="second")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_written.wait(timeout=10)
    threading.Event().wait(0.5)  # the second append is now waiting for the lock
    let_first_commit.set()
    for thread in threads:
        thread.join(timeout=20)

    assert errors == []
    entries = list(AuditEntry.objects.order_by("id"))
    assert [entry.reason for entry in entries] == ["before", "first", "second"]
    assert verify_chain().broken is None
    assert len({entry.prev_hash for entry in entries}) == 3  # no two chained to the same entry
