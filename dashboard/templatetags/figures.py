"""The one way the dashboard shows a figure (docs/dashboard.md, "Figures")."""

from django import template

register = template.Library()


@register.filter
def figure(value):
    """A count or amount with thousands separators: 2500 → "2,500", -1200 → "-1,200"; anything else as it is."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value
