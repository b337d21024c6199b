"""The audit trail: the one place that writes an AuditEntry, and the hash chain that makes any
later change to it evident.

Each entry stores ``prev_hash`` (the hash of the entry before it, by id, across the whole table;
empty for the first) and ``hash``, the SHA-256 of a canonical JSON serialisation of its fields
plus ``prev_hash``. Changing, inserting or removing an entry in the middle breaks the link to
the next one; ``manage.py verify_audit`` walks the chain and names the first broken link.
PostgreSQL also refuses UPDATE and DELETE on the table (a trigger, see the migration adding
the chain), so the trail is append-only in the database, not only in this code.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.utils import timezone

from postmortems.models import AuditEntry

# pg_advisory_xact_lock key serialising appends, so two concurrent transactions cannot both
# chain to the same last entry (a fork). Any constant that no other lock in the project uses.
AUDIT_CHAIN_LOCK = 7_130_426_011
CHAIN_FIELDS = {"hash", "prev_hash"}


@transaction.atomic
def record_audit(
    postmortem, *, actor, action, from_status, to_status=None, reason="", **fields
) -> AuditEntry:
    """Append an entry to the trail, chained to the newest one. ``fields`` are any further
    AuditEntry fields; they are covered by the hash like the others."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK])
        # The id is drawn under the lock too, so id order is chain order.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [AuditEntry._meta.db_table]
        )
        (next_id,) = cursor.fetchone()
    previous = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    entry = AuditEntry(
        id=next_id,
        postmortem=postmortem,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status if to_status is not None else postmortem.status,
        reason=reason,
        created_at=timezone.now(),
        prev_hash=previous or "",
        **fields,
    )
    entry.hash = entry_hash(entry, entry.prev_hash)
    # raw: store created_at exactly as hashed (auto_now_add would replace it on insert), in
    # one INSERT, since the table refuses later UPDATEs.
    entry.save_base(raw=True, force_insert=True)
    return entry


def _canonical(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def _is_empty(value) -> bool:
    return (
        value is None
        or value is False
        or value in ("", [], {})
        or (type(value) is int and value == 0)
    )


def entry_hash(entry, prev_hash: str) -> str:
    """The hash of an entry chained to ``prev_hash``. Works on historical models too (the
    migration that back-filled the chain uses it).

    Empty values (None, "", False, 0) are left out, so adding a field to AuditEntry whose
    default is empty keeps earlier entries' hashes valid. (A field added with a non-empty
    default would change every earlier entry's payload: give new fields an empty default.)
    """
    payload = {
        field.attname: _canonical(getattr(entry, field.attname))
        for field in entry._meta.concrete_fields
        if field.attname not in CHAIN_FIELDS and not _is_empty(getattr(entry, field.attname))
    }
    payload["prev_hash"] = prev_hash
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class BrokenLink:
    entry_id: int
    problem: str


@dataclass
class ChainReport:
    checked: int
    head: str  # the newest entry's hash
    broken: BrokenLink | None


def verify_chain(entries=None) -> ChainReport:
    """Walk the chain in id order and report the first broken link, if any."""
    entries = entries if entries is not None else AuditEntry.objects.order_by("id")
    expected_prev, previous_id, checked = "", None, 0
    for entry in entries.iterator(chunk_size=2000):
        checked += 1
        if entry.prev_hash != expected_prev:
            after = f"entry {previous_id}" if previous_id is not None else "the start of the trail"
            gap = (
                f" (ids {previous_id + 1}–{entry.id - 1} are missing)"
                if previous_id is not None and entry.id - previous_id > 1
                else ""
            )
            return ChainReport(
                checked,
                expected_prev,
                BrokenLink(
                    entry.id,
                    f"it is chained to hash {entry.prev_hash[:12] or '(none)'}…, but follows "
                    f"{after} whose hash is {expected_prev[:12] or '(none)'}…: an entry before "
                    f"it was deleted, inserted or changed{gap}.",
                ),
            )
        computed = entry_hash(entry, entry.prev_hash)
        if computed != entry.hash:
            return ChainReport(
                checked,
                expected_prev,
                BrokenLink(
                    entry.id,
                    f"its fields no longer match its hash (stored {entry.hash[:12] or '(none)'}…, "
                    f"computed from what is stored now {computed[:12]}…): it was changed after "
                    f"it was written.",
                ),
            )
        expected_prev, previous_id = entry.hash, entry.id
    return ChainReport(checked, expected_prev, None)
