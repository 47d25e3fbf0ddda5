from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import payments


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's signed events; only a valid signature is acted on."""
    try:
        event = payments.verify_stripe_signature(request.body, request.headers.get("Stripe-Signature", ""))
    except payments.InvalidStripeSignature:
        return JsonResponse({"error": "invalid signature"}, status=400)
    payments.handle_stripe_event(event)
    return JsonResponse({"received": True})
