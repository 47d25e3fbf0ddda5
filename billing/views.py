"""Stripe's webhook (the dashboard's billing pages are in dashboard/billing.py)."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import stripe_billing


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's signed events; only a valid signature is acted on, each event once."""
    try:
        event = stripe_billing.verify_event(request.body, request.headers.get("Stripe-Signature", ""))
    except stripe_billing.InvalidSignature:
        return JsonResponse({"error": "invalid signature"}, status=400)
    try:
        stripe_billing.handle_event(event)
    except stripe_billing.StripeUnavailable:
        # Nothing was kept (the event is not marked handled): Stripe delivers it again later.
        return JsonResponse({"error": "try again"}, status=503)
    return JsonResponse({"received": True})
