"""What a restricted API key may do (docs/api.md, "Restricted keys").

A key with no scopes may do everything; a key with scopes may call only the
operations that need one of them. Every API view declares the scope each of its
methods needs (api/permissions.py checks it).
"""

SCOPES = {
    "templates:read": "List and read templates, their modification schemas and fonts.",
    "templates:write": "Create, change and delete templates.",
    "images:read": "List and read images.",
    "images:write": "Render, edit and delete images (and run batches).",
    "assets:write": "Upload and delete assets.",
    "fonts:write": "Upload and delete fonts.",
    "webhooks:read": "List and read webhook subscriptions.",
    "webhooks:write": "Create and delete webhook subscriptions.",
    "account:read": "Read the account: plan, credits and secrets.",
    "usage:read": "Read usage figures.",
}


def validate_scopes(values) -> list[str]:
    """The scopes, de-duplicated in canonical order; ValueError naming any unknown one."""
    if not isinstance(values, (list, tuple)) or not all(isinstance(value, str) for value in values):
        raise ValueError("Scopes are a list of names.")
    unknown = sorted(set(values) - SCOPES.keys())
    if unknown:
        raise ValueError(f"Unknown scope {', '.join(unknown)}; the scopes are {', '.join(SCOPES)}.")
    return [scope for scope in SCOPES if scope in values]
