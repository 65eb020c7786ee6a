"""The audit log: one row per editorial act, written by the code that acts, never edited."""

from ..models import AuditEvent


def record(action, issue=None, user=None, detail=""):
    username = getattr(user, "get_username", lambda: "")() if user is not None else ""
    return AuditEvent.objects.create(
        action=action,
        issue=issue,
        issue_label=issue.label if issue is not None else "",
        user=user if getattr(user, "pk", None) else None,
        username=username,
        detail=str(detail)[:1000],
    )
