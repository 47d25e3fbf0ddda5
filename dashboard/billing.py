import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from billing import ledger, payments, stripe_billing
from billing.models import CreditPack, LedgerEntry, Payment, Plan
from dashboard.pagination import BoundedPaginator

# --- Dashboard: plans, credit packs, payments and the ledger ---------------------

LEDGER_PAGE_SIZE = 25
PAYMENTS_SHOWN = 50
# Stripe Checkout and the customer portal are reached by a redirect after a
# form's POST, which the page's CSP form-action must allow.
STRIPE_FORM_ORIGINS = ["https://checkout.stripe.com", "https://billing.stripe.com"]


def _with_stripe_csp(view):
    """The site's CSP with Stripe's hosted pages added to form-action when Stripe is the provider."""

    def wrapped(request, *args, **kwargs):
        if payments.provider_name() == "stripe" and settings.SECURE_CSP:
            policy = {**settings.SECURE_CSP}
            policy["form-action"] = [*policy.get("form-action", []), *STRIPE_FORM_ORIGINS]
            return csp_override(policy)(view)(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return wrapped


@require_safe
@login_required
@_with_stripe_csp
def billing_page(request):
    account = ledger.open_account(request.user)
    ledger_entries = LedgerEntry.objects.filter(account=account)
    entries = BoundedPaginator(ledger_entries, LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "account": account,
        "used": ledger.used_this_period(account),
        "plans": Plan.objects.all(),
        "packs": CreditPack.objects.filter(is_active=True),
        "payments": account.payments.select_related("plan", "pack", "from_plan")[:PAYMENTS_SHOWN],
        "page": entries,
        "query": "",
        "provider": payments.provider_name(),
        "paid_period": account.plan.is_paid and account.paid_until and account.paid_until >= account.period_ends_at,
    }
    return render(request, "dashboard/billing.html", context)


def _return_urls(request) -> dict:
    back = request.build_absolute_uri(reverse("dash-billing"))
    return {"success_url": back + "?paid=1", "cancel_url": back + "?cancelled=1"}


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@_with_stripe_csp
def change_plan(request):
    """GET: what choosing the plan charges and changes; POST: do it."""
    data = request.POST if request.method == "POST" else request.GET
    plan = get_object_or_404(Plan, slug=data.get("plan", ""))
    try:
        quote = payments.quote_plan(request.user, plan=plan, proration_date=_proration_date(data))
    except payments.PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("dash-billing")
    return _confirm_or_do(request, quote, target={"name": "plan", "value": plan.slug})


def _proration_date(data) -> int | None:
    """The moment a shown Stripe upgrade price was computed for, if recent (so confirming charges it)."""
    try:
        moment = int(data.get("proration_date", ""))
    except ValueError:
        return None
    return moment if 0 <= time.time() - moment <= 3600 else None


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@_with_stripe_csp
def buy_pack(request):
    """GET: what buying the pack charges; POST: buy it."""
    data = request.POST if request.method == "POST" else request.GET
    pack = get_object_or_404(CreditPack, slug=data.get("pack", ""), is_active=True)
    quote = payments.quote_pack(request.user, pack=pack)
    return _confirm_or_do(request, quote, target={"name": "pack", "value": pack.slug})


def _confirm_or_do(request, quote: payments.Quote, *, target: dict):
    context = {"quote": quote, "target": target, "account": ledger.open_account(request.user)}
    if request.method != "POST":
        return render(request, "dashboard/confirm.html", context)
    if not quote.allowed:
        return render(request, "dashboard/confirm.html", context, status=403)
    # The page confirmed one price and action: if either changed since, show the new ones.
    if request.POST.get("action") != quote.action or request.POST.get("charge") != str(quote.charge_cents):
        messages.error(request, "What this change costs has changed since the page was shown: check it again.")
        return render(request, "dashboard/confirm.html", context, status=409)
    try:
        checkout = payments.confirm(request.user, quote, actor=request.user, request=request, **_return_urls(request))
    except payments.PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("dash-billing")
    if checkout.redirect_url:
        return redirect(checkout.redirect_url)
    if checkout.payment and checkout.payment.status == Payment.Status.PENDING:
        messages.success(
            request,
            f"Payment {checkout.payment.public_id} is pending: nothing changes until it is marked paid.",
        )
        return redirect("dash-billing-payment", public_id=checkout.payment.public_id)
    account = ledger.open_account(request.user)
    if quote.action == payments.Action.UPGRADE:
        if account.plan_id == quote.plan.pk:
            messages.success(request, f"You are on the {account.plan.name} plan: the balance is {account.balance:,}.")
        else:
            messages.success(request, f"You move to {quote.plan.name} as soon as Stripe confirms the payment.")
    elif account.pending_plan_id:
        when = f"{account.period_ends_at:%-d %b %Y}"
        messages.success(request, f"You move to {account.pending_plan.name} when this period ends ({when}).")
    else:
        messages.success(request, f"You stay on the {account.plan.name} plan.")
    return redirect("dash-billing")


@require_POST
@login_required
@_with_stripe_csp
def billing_portal(request):
    """Stripe's hosted customer portal: card changes, Stripe's invoices, cancellation."""
    account = ledger.open_account(request.user)
    if payments.provider_name() != "stripe" or not account.stripe_customer_id:
        messages.error(request, "There is no Stripe subscription to manage.")
        return redirect("dash-billing")
    try:
        url = stripe_billing.portal_url(account, return_url=request.build_absolute_uri(reverse("dash-billing")))
    except stripe_billing.StripeUnavailable as exc:
        messages.error(request, str(exc))
        return redirect("dash-billing")
    return redirect(url)


@require_safe
@login_required
def payment_receipt(request, public_id: str):
    """Our invoice / receipt for one of the user's payments (404 for anyone else's)."""
    payment = get_object_or_404(
        Payment.objects.select_related("account__user", "plan", "pack", "from_plan"),
        public_id=public_id,
        account__user=request.user,
    )
    return render(request, "dashboard/payment.html", {"payment": payment, "provider": payments.provider_name()})
