from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from billing import ledger, payments
from billing.models import CreditPack, LedgerEntry, Plan


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


# --- Dashboard: plans, credit packs and the ledger ------------------------------

LEDGER_PAGE_SIZE = 25
# Stripe Checkout is reached by a redirect after the form's POST, which the
# page's CSP form-action must allow.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"


def _stripe_csp() -> dict:
    """The site's CSP with Stripe Checkout added to form-action (the buy forms redirect there)."""
    policy = {**settings.SECURE_CSP}
    policy["form-action"] = [*policy.get("form-action", []), STRIPE_CHECKOUT_ORIGIN]
    return policy


@require_safe
@login_required
def billing_page(request):
    if payments.provider_name() == "stripe" and settings.SECURE_CSP:
        return csp_override(_stripe_csp())(_billing_page)(request)
    return _billing_page(request)


def _billing_page(request):
    account = ledger.open_account(request.user)
    entries = Paginator(LedgerEntry.objects.filter(account=account), LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "account": account,
        "used": ledger.used_this_period(account),
        "plans": Plan.objects.all(),
        "packs": CreditPack.objects.filter(is_active=True),
        "page": entries,
        "query": "",
        "stripe": payments.provider_name() == "stripe",
    }
    return render(request, "billing/billing.html", context)


def _return_urls(request) -> dict:
    back = request.build_absolute_uri(reverse("dash-billing"))
    return {"success_url": back + "?paid=1", "cancel_url": back + "?cancelled=1"}


@require_POST
@login_required
def change_plan(request):
    plan = get_object_or_404(Plan, slug=request.POST.get("plan", ""))
    try:
        checkout = payments.request_plan_change(request.user, plan=plan, **_return_urls(request))
    except payments.PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("dash-billing")
    if checkout.redirect_url:
        return redirect(checkout.redirect_url)
    account = ledger.open_account(request.user)
    if account.pending_plan_id == plan.pk:
        messages.success(
            request, f"You move to {plan.name} when this period ends ({account.period_ends_at:%-d %b %Y})."
        )
    else:
        messages.success(request, f"You are on the {account.plan.name} plan.")
    return redirect("dash-billing")


@require_POST
@login_required
def buy_pack(request):
    pack = get_object_or_404(CreditPack, slug=request.POST.get("pack", ""), is_active=True)
    try:
        checkout = payments.buy_pack(request.user, pack=pack, **_return_urls(request))
    except payments.PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("dash-billing")
    if checkout.redirect_url:
        return redirect(checkout.redirect_url)
    balance = ledger.open_account(request.user).balance
    messages.success(request, f"{pack.credits:,} credits added: the balance is {balance:,}.")
    return redirect("dash-billing")
