from django import template

register = template.Library()


@register.filter
def dollars(cents: int) -> str:
    """US cents as a price: 1900 → "$19", 1950 → "$19.50"."""
    whole, part = divmod(int(cents or 0), 100)
    return f"${whole:,}" if not part else f"${whole:,}.{part:02d}"
