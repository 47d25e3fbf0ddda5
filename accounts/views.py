"""allauth's over-the-limit page (imagior.urls.handler429). The dashboard's account
pages are in dashboard/keys.py."""

from django.shortcuts import render


def too_many_requests(request, exception=None):
    """allauth's over-the-limit answer (imagior.urls.handler429): our page, with Retry-After."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response
