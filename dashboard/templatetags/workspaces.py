"""Role checks in templates: `{% if request.membership|allows:"audit_log" %}` (accounts/roles.py)."""

from django import template

from accounts import roles

register = template.Library()


@register.filter
def allows(membership, permission: str) -> bool:
    """Whether the membership's role has `permission`; False without a membership."""
    return bool(membership) and roles.allows(membership.role, permission)
