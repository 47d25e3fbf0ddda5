"""What each workspace role may do: one table, read by one function (docs/workspaces.md).

Phase 1 defines it; views do not consult it yet (phase 2 wires it into the API and the
dashboard, so a member's call to a key or billing route is refused in one place)."""

OWNER = "owner"
ADMIN = "admin"
MEMBER = "member"
ROLES = (OWNER, ADMIN, MEMBER)

_EVERYONE = frozenset(ROLES)
_MANAGERS = frozenset({OWNER, ADMIN})
_OWNER_ONLY = frozenset({OWNER})

# permission -> the roles that have it. Owners have everything; admins everything but
# billing and the workspace's deletion or transfer; members design, render and see usage.
PERMISSIONS: dict[str, frozenset[str]] = {
    "design": _EVERYONE,  # templates, fonts, assets
    "render": _EVERYONE,  # images, batches
    "usage": _EVERYONE,  # usage and the credit balance (read only)
    "keys": _MANAGERS,  # create, roll, revoke API keys
    "webhooks": _MANAGERS,  # subscriptions, deliveries, the callback and URL-signing secrets
    "members": _MANAGERS,  # invite, remove, change roles (never to or from owner)
    "audit_log": _MANAGERS,
    "settings": _MANAGERS,  # rename the workspace
    "billing": _OWNER_ONLY,  # plan, buying credits, payment details
    "transfer": _OWNER_ONLY,  # hand ownership to another member
    "delete": _OWNER_ONLY,  # delete the workspace
}


def allows(role: str, permission: str) -> bool:
    """Whether `role` has `permission`. An unknown role has nothing; an unknown
    permission is a programming error (KeyError), never a silent yes or no."""
    return role in PERMISSIONS[permission]
