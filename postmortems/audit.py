"""The audit trail: the one place that writes an AuditEntry."""

from postmortems.models import AuditEntry


def record_audit(
    postmortem, *, actor, action, from_status, to_status=None, reason=""
) -> AuditEntry:
    return AuditEntry.objects.create(
        postmortem=postmortem,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status if to_status is not None else postmortem.status,
        reason=reason,
    )
