"""The audit log's one writer (docs/workspaces.md, "Audit log").

Call `record` inside the transaction of the action it describes, so an action that
rolls back leaves no event and an event never outlives a failed action.
"""

import ipaddress

from accounts.client_ip import client_ip
from accounts.models import AuditEvent, Workspace, personal_workspace


def record(workspace: Workspace, actor, action: str, target: str, details: dict | None = None, request=None):
    """Append one event: `actor` is a user or None (the system: say which in details["by"]);
    the client's address comes from `request` (through TRUSTED_PROXY_COUNT) when there is one."""
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor,
        actor_email=actor.email if actor else "",
        action=action,
        target=target or "",
        details=details or {},
        ip=_address(request),
    )


def _address(request) -> str | None:
    if request is None:
        return None
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:  # no address, or a proxy that wrote nonsense
        return None


def record_for_owner(owner, actor, action: str, target: str, details: dict | None = None, request=None):
    """`record` in the owner's personal workspace: money and webhooks still belong to a user
    (docs/workspaces.md, phase 2 moves them). billing/ledger.py and billing/plans.py call
    personal_workspace themselves, as their events name that workspace as the target."""
    return record(personal_workspace(owner), actor, action, target, details, request)
