"""Moments in words on dashboard pages."""

from django import template

from lib.timestamps import from_now_in_words

register = template.Library()


@register.filter
def from_now(moment) -> str:
    """ "in under a minute", "in 5 minutes" (Django's `timeuntil` says "0 minutes")."""
    return from_now_in_words(moment) if moment else ""
